"""Organs of repression and their camps: rules for ORG names that NER models split or miss.

News-trained models cut "ОСО при НКВД СССР" into an ORG and a PLACE, read
"Военной коллегией Верховного суда СССР" as two bodies, and have never seen
"Акмолинское отделение Карлага" or "КСРО ІІХК жанындағы Ерекше кеңес". An archive
names these bodies in a handful of fixed ways, so the `testimony_organs`
component finds them by pattern and lets them replace overlapping model spans.
Matching ignores case: typewritten headings are often in capitals.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

W = r"[^\W\d_]"  # a letter, Cyrillic or Latin
END = r"(?![^\W_])"  # not followed by a letter or digit
_UNION = r"(?:СССР|Союза\s+ССР|РСФСР|КазССР|Казахской\s+ССР|Каз\.?\s*ССР|УССР|БССР)"
_REGION = rf"(?:{W}+(?:-{W}+)?(?:ой|ому|ском)\s+(?:обл\.|области|краю|АССР|ССР)|{W}+ской\s+ССР|{_UNION})"
_NKVD = rf"(?:УГБ\s+НКВД|[УО]?НКВД|ОГПУ|ГПУ|УМГБ|УМВД|ГУГБ|МГБ|МВД){END}"
CAMP_NAMES = ("Карлаг", "Қарлаг", "Степлаг", "Сиблаг", "Темлаг", "Дальлаг", "Севвостлаг", "Устьвымлаг", "Ухтпечлаг",
              "Бамлаг", "Белбалтлаг", "Гулаг", "ГУЛАГ", "АЛЖИР", "Алжир")
_CAMPS = "(?:" + "|".join(CAMP_NAMES) + ")"

RU_PATTERNS = [
    # Особое совещание при НКВД СССР, ОСО при НКВД, Особым совещанием
    rf"(?:ОСО{END}|Особ{W}*\s+совещани{W}*)(?:\s+(?:при\s+)?(?:{_NKVD}|Народном\s+Комиссаре\s+Внутренних\s+Дел)(?:\s+{_UNION})?)?",
    # Военная коллегия Верховного суда СССР; Верховный суд СССР; Военный трибунал ...
    rf"Военн{W}*\s+коллеги{W}*(?:\s+Верховного\s+[Сс]уда(?:\s+{_UNION})?)?",
    rf"Верховн{W}*\s+[Сс]уд{W}*\s+{_UNION}",
    rf"Военн{W}*\s+трибунал{W}*(?:\s+{W}+(?:ого|ской)\s+(?:военного\s+)?округа)?",
    # тройка УНКВД по ... области; УНКВД по Харьковской обл.; НКВД Казахской ССР
    rf"(?:[Тт]ройк{W}*\s+(?:при\s+)?)?{_NKVD}(?:\s+(?:по\s+{_REGION}|{_UNION}))?",
    # camps and their branches
    rf"{W}+(?:ое|ого|ому|ым|ом)\s+отделени{W}*\s+{_CAMPS}{W}*",
    rf"{W}+(?:ий|ого|ому|им|ом)\s+(?:ИТЛ|лагер{W}*\s+жен\s+изменников\s+Родины)",
    rf"{_CAMPS}(?:-{W}+|{W}*){END}(?:\s+(?:НКВД|ОГПУ|МВД)(?:\s+{_UNION})?)?",
    # prisons: Бутырская тюрьма, Харьковская тюрьма № 1
    rf"{W}+(?:ая|ой|ую)\s+тюрьм{W}*(?:\s+№\s*\d+)?",
]
# "жанындағы" (attached to) as OCR leaves it: "жаны::дағы", "жаны дағы", "жанындағы"
KK_ATTACHED = r"жаны(?:н|[^\w\s]{1,3}|\s)?\s?дағы"
KK_COUNCIL = r"к(?:е|[^\w\s]?\s?е?)ңес"  # "кеңес", and "к ңес", "к:еңес" as OCR leaves it
KK_PATTERNS = [
    rf"(?:КСРО\s+)?(?:ІІХК|НКВД)\s+{KK_ATTACHED}\s+Ерекше\s+{KK_COUNCIL}{W}*",
    rf"Ерекше\s+кеңес{W}*",
    rf"{_CAMPS}(?:-{W}+|{W}*){END}(?:\s+{W}+\s+бөлімше{W}*)?",
    rf"{W}+\s+түрме{W}*",
    # a camp named after its place: "Шерубай-Нұра лагеріне" (hyphenated: "Зейнеп Нұрмағамбетова лагерьде
    # кестелеген" is a woman who embroidered in the camp, not a camp)
    rf"(?-i:[А-ЯЁӘҒҚҢӨҰҮҺІ]){W}+-(?-i:[А-ЯЁӘҒҚҢӨҰҮҺІ]){W}+\s+лагер{W}*",
    rf"Қазақ\s+КСР\s+(?:Жоғарғы\s+сот{W}*|Халық\s+{W}+\s+комиссариат{W}*|ІІХК{W}*)",
]
# A word every match of the pattern contains (lower case): a text without any of them skips the
# pattern, which spares the regex engine a try at every letter ("{W}+ое отделение ...").
_NKVD_WORDS = ("нквд", "гпу", "мгб", "мвд", "гугб")
_CAMP_WORDS = tuple(dict.fromkeys(name.lower() for name in CAMP_NAMES))
RU_KEYS = [("осо", "совещани"), ("коллеги",), ("суд",), ("трибунал",), _NKVD_WORDS, ("отделени",), ("итл", "лагер"),
           _CAMP_WORDS, ("тюрьм",)]
KK_KEYS = [("ерекше",), ("кеңес",), _CAMP_WORDS, ("түрме",), ("лагер",), ("қазақ",)]
_COMPILED = {
    "ru": [(re.compile(p, re.IGNORECASE), keys) for p, keys in zip(RU_PATTERNS, RU_KEYS, strict=True)],
    "kk": [(re.compile(p, re.IGNORECASE), keys)
           for p, keys in zip(KK_PATTERNS + RU_PATTERNS, KK_KEYS + RU_KEYS, strict=True)],
}


def find_organs(text: str, lang: str) -> list[tuple[int, int]]:
    """Character spans of organ and camp names, longest first where they overlap."""
    found = []
    low = text.lower()
    for pattern, keys in _COMPILED.get(lang, _COMPILED["ru"]):
        if not any(key in low for key in keys):
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            if start > 0 and (text[start - 1].isalnum()):
                continue  # inside a word
            if end < len(text) and text[end].isalnum() and not text[end - 1] == "-":
                continue
            found.append((start, end))
    found.sort(key=lambda se: (se[0], -(se[1] - se[0])))
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda se: -(se[1] - se[0])):
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
    return sorted(chosen)


@Language.factory("testimony_organs", default_config={"lang": "ru"})
def make_organ_rules(nlp: Language, name: str, lang: str):
    def add_organs(doc: Doc) -> Doc:
        spans = []
        for start, end in find_organs(doc.text, lang):
            span = doc.char_span(start, end, label="ORG", alignment_mode="expand")
            # a body's name already whole in a longer ORG ("МВД Республики Казахстан") stays whole
            if span is not None and not any(e.label_ == "ORG" and e.start <= span.start and span.end <= e.end
                                            for e in doc.ents):
                spans.append(span)
        if spans:
            kept = [e for e in doc.ents if not any(e.start < s.end and s.start < e.end for s in spans)]
            doc.ents = filter_spans(kept + spans)
        return doc

    return add_organs
