"""Entities: PERSON, DATE, PLACE and ORG per language span, with normalised values.

One spaCy pipeline per language, chosen per language span of the page:
Russian is spaCy + Slovnet (Natasha's NER model, `pipeline.russian`), Kazakh is
the spaCy NER trained here on KazNERD (`models/kk_ner`). Both get the same
components after their NER:

- `testimony_cleanup`: repairs of what news-trained models get wrong on
  archival pages (form labels taken for names, names cut in two, initials left out);
- `testimony_organs`: rules for organs of repression and camps (`pipeline.organs`);
- `testimony_dates`: the rule-based date finder (`pipeline.dates`), which knows
  what Soviet documents write ("15.VIII.1937", "1937 жылғы 15 тамызда") and so
  replaces whatever DATE spans a statistical model proposes;
- `testimony_normalize`: the contract's `normalized` value for every entity
  (`pipeline.normalize` for names, places and organisations).

Pipelines are built once per worker (`EntityExtractor`), never per document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline import boundaries, dates, dates_other, kazakh_names, name_repair, organs, syntax  # noqa: F401
from pipeline.errors import TestimonyError
from pipeline.model import Entity, LanguageSpan, Page
from pipeline.name_context import gender_after
from pipeline.names import GIVEN_NAMES, LEADING_ROLES, UPPER as _UP, surname_of_gender
from pipeline.normalize import TITLES, CachedMorph, Normalizer, is_patronymic, kk_strip_case


_ORG_ABBREVIATIONS = re.compile(r"(?<=ской )обл\.?(?=\s|$)")
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
KK_MODEL = MODELS_DIR / "kk_ner"
LABELS = ("PERSON", "DATE", "PLACE", "ORG")
# How far a statistical label is trusted before OCR quality is taken into account.
MODEL_CONFIDENCE = {"ru": 0.85, "kk": 0.85}

if not Span.has_extension("normalized"):
    Span.set_extension("normalized", default=None)
if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)


# Words that NER models take for names on these documents: the "Родины" of
# "изменника Родины", form labels ("Отчество", "Конец срока"), Kazakh "хат" (letter).
NOT_NAMES = {
    "родина", "родины", "родине", "родину", "родин", "отв", "конец", "начало", "срок", "срока", "фамилия",
    "имя", "отчество", "местожительство", "национальность", "профессия", "вопрос", "ответ",
    "лагерь", "лагеря", "лагерьде", "лагерьге", "лагерьден", "лагерьдегі", "хат", "хатты", "хатыңды",
    "статья", "ст", "дело", "выписка", "справка", "особого", "особое", "особым", "совещание",
    "совещания", "совещанием", "совеща",
}
# Charges and kinds of place, not bodies: "ЧСИР" (member of a traitor's family), "СОЭ"
# (socially dangerous element), a bare "ИТЛ" (a labour camp, unnamed)...
NOT_ORGS = {"итл", "лагерь", "чсир", "соэ", "сопэ", "кра", "крд", "кртд", "кро", "пш", "шпионаж", "ксир",
            "зк", "з/к", "з/к-", "тк"}  # "ЗК": a prisoner (заключённый), on his card's heading
_WORDS = re.compile(r"[^\W\d_]+")
# Headings and words of the document's own frame that models take for names or bodies.
FRAME_WORDS = {
    "справка", "постановили", "слушали", "выписка", "протокол", "протокола", "копия", "верна", "нач",
    "анықтама", "анықтамасы", "мұрағат", "мұрағаттық", "восемь", "пять", "десять", "три", "сегіз",
    # the kind of document a heading names
    "свидетельство", "удостоверение", "постановление", "приговор", "заключение", "ходатайство", "заявление",
    "анкета", "характеристика", "акт", "определение", "куәлік", "қаулы", "үкім",
}


class EntityCleanup:
    """Repairs for what the news-trained models get wrong on archival pages.

    Drops PERSON/PLACE spans that start with a lower-case letter or hold a form
    label, drops charges taken for bodies ("ЧСИР"), completes names with their
    initials ("Тоқтарова К. С.") or with the surname before a given name and
    patronymic ("4. Берзинь Анна Яновна"), and joins a name the model cut in two
    ("Тоқтарова" + "Күләш Сәрсенқызы") when only a space or a line break
    separates the parts.
    """

    def __init__(self, morph: Optional[CachedMorph] = None):
        self._morph = morph
        self.counts = None  # normalize.WordCounts, shared by build_pipeline: picks among mended names

    @property
    def morph(self) -> CachedMorph:
        if self._morph is None:  # built alone rather than by build_pipeline, which shares one
            self._morph = CachedMorph()
        return self._morph

    @morph.setter
    def morph(self, morph: CachedMorph) -> None:
        self._morph = morph

    def __call__(self, doc: Doc) -> Doc:
        ents: list[Span] = []
        text = boundaries.doc_text(doc)  # spaCy builds Doc.text anew on every access
        russian = doc.lang_ == "ru"
        uncased = _uncased(text)  # all in lower case: a capital tells nothing
        found = [part for ent in doc.ents for part in boundaries.split_at_bracket(ent)]
        for ent in boundaries.join_double_surnames(found):
            ent = _within_one_cell(ent)
            if ent is not None and russian:  # read with the Russian dictionary (pipeline.boundaries)
                ent = boundaries.cut_at_line_end(self.morph, ent)
                ent = ent and boundaries.without_trailing_predicate(self.morph, ent)
                if ent is not None and (boundaries.is_lone_predicate(self.morph, ent)
                                        or boundaries.is_common_word(self.morph, ent)):
                    continue
                ent = ent and boundaries.as_organisation(self.morph, ent)
            if ent is not None and ent.label_ == "PERSON" and "\n" in ent.text:
                ent = self._cut_at_line_break(ent)  # first: "А. П. Котляревский\n\nЯ" is no stray letter
            if ent is None:
                continue
            ent = boundaries.as_person(ent)
            if boundaries.is_street_name(ent):
                continue
            if ent.label_ in ("PERSON", "PLACE"):
                ent = _without_edge_words(ent, NOT_NAMES)  # "Родины Тухачевского" -> "Тухачевского"
                if ent is None or not (ent.text[:1].isupper() or uncased) or \
                        any(w.lower() in NOT_NAMES for w in _WORDS.findall(ent.text)):
                    continue
            if ent.label_ == "ORG" and ent.text.lower().strip(" .") in NOT_ORGS:
                continue
            ent = boundaries.with_party_bracket(ent)  # "ВКП(б" + ")"
            if ent.label_ != "DATE":
                ent = _without_frame_words(ent)
                if ent is None or not any(len(w) > 1 for w in _WORDS.findall(ent.text)):
                    continue  # "В-Г" (a list's letters), "Р. Д.": no word of a name
                if ent.label_ == "PERSON" and _stray_letter(text, ent):
                    continue  # "Р дина", "Е Нач": OCR debris, not initials
            if len(ent) > 1 and ent[0].lower_ in LEADING_ROLES and ent.label_ == "PERSON" \
                    and not _given_name_not_title(ent):
                ent = Span(doc, ent.start + 1, ent.end, label="PERSON")
            if ent.label_ == "PERSON" and doc.lang_ == "kk":
                ent = kazakh_names.without_leading_role(ent)  # "Біз Бибігүл ...", "Тергеуші Айгүл ..."
                if ent is None:
                    continue
                ent = kazakh_names.with_last_part(ent)  # "Мұсабаева" + "Қалиманың"
            if ent.label_ != "PERSON" and len(ent) == 1 and (kk_strip_case(ent.text).lower() in GIVEN_NAMES
                                                              or _after_kinship_word(ent)):
                ent = Span(doc, ent.start, ent.end, label="PERSON")  # "Зейнеп", "анам Бибіжамал": no place
            if ent.label_ == "PERSON" and len(ent) == 1 and _NEUTER_ADJECTIVE.search(ent.text):
                continue  # "Акмолинское" (отделение): no name is a neuter adjective
            if ent.label_ == "PERSON" and _town_not_initial(ent):
                ent = Span(doc, ent.start, ent.end, label="PLACE")  # "Место рождения Г. Житомир"
            if ent.label_ == "PERSON" and _in_given_name_field(ent):
                continue
            if ent.label_ == "PERSON" and russian:
                ent = self._with_given_name(ent, ents)
            if ent.label_ == "PERSON":
                ent = self._with_surname(doc, text, _with_initials(doc, text, ent))
                ent = self._with_first_surname(ent, ents) if russian else ent
                if ents and ents[-1].end > ent.start:
                    if ents[-1].label_ != "PERSON":
                        continue
                    ent = Span(doc, ents.pop().start, ent.end, label="PERSON")  # grew into it: one name
            if ents and ent.label_ == "PERSON" == ents[-1].label_ and (
                    _joinable(text, ents[-1], ent) or _given_name_between(text, ents[-1], ent)
                    or boundaries.double_surname(text, ents[-1], ent)):
                ents[-1] = Span(doc, ents[-1].start, ent.end, label="PERSON")
                continue
            if ents and ents[-1].end > ent.start:
                continue  # the name before grew over it
            ents.append(ent)
        if russian:
            ents = boundaries.dictionary_places(self.morph, doc, boundaries.surname_fields(doc, ents))
            ents = boundaries.join_genitive_dependents(self.morph, boundaries.places_in_row_columns(self.morph, ents))
            ents, mended = name_repair.with_mended_names(self.morph, doc, ents, self.counts)
            ents = name_repair.with_mended_places(self.morph, ents, mended, self.counts)
            doc.user_data["mended_names"] = mended
        doc.ents = kazakh_names.names_by_patronymic(doc, ents) if doc.lang_ == "kk" else ents
        return doc

    def _cut_at_line_break(self, ent: Span) -> Optional[Span]:
        """ "Т. Ж. Бекмаханов\n\nМ.П." and "Г. Оспанова\nГербовая печать": a name does not run on into
        the seal mark or the next line's first word, unless that word is itself a name."""
        doc = ent.doc
        for i in range(ent.start + 1, ent.end):
            if "\n" not in doc[i - 1].whitespace_ + doc[i].text and not doc[i].is_space:
                continue
            rest = [t for t in doc[i : ent.end] if not t.is_space]
            if not rest:
                return Span(doc, ent.start, i, label=ent.label_)
            paragraph = "\n\n" in doc[ent.start : i + 1].text or any(t.is_space and t.text.count("\n") > 1
                                                                       for t in doc[ent.start : i + 1])
            first = rest[0].text
            name_like = bool(_INITIAL_TOKEN.match(first)) and first.upper() not in ("М.П.", "М.")
            if not name_like and first.isalpha():
                tags = {g for parse in self.morph.parse(first.lower()) for g in ("Name", "Surn", "Patr")
                        if g in parse.tag} if self.morph.word_is_known(first.lower()) else {"Surn"}
                name_like = bool(tags) or is_patronymic(first)
            if paragraph or not name_like:
                end = i
                while end > ent.start and doc[end - 1].is_space:
                    end -= 1
                return Span(doc, ent.start, end, label=ent.label_) if end > ent.start else None
        return ent

    def _with_given_name(self, ent: Span, ents: list[Span]) -> Span:
        """A name that starts with its patronymic takes the given name before it ("с Ханой
        Лазаревной Фурман"), also when the model tagged that word alone (as a place: Ханой)."""
        given = boundaries.given_name_before(self.morph, ent, is_patronymic(ent[0].text))
        return self._grown_back(ent, ents, given)

    def _with_first_surname(self, ent: Span, ents: list[Span]) -> Span:
        """The first half of a double surname before a dash ("Рахимова–Исаева Халима"), or a double
        surname the model took for a place right before given name and patronymic ("Гринберг-Шацкая"
        + "Эмма Исааковна")."""
        first = boundaries.surname_before_dash(ent)
        if first is None and ents and ents[-1].label_ == "PLACE":
            first = boundaries.surname_place_before(ents[-1], ent)
        return self._grown_back(ent, ents, first)

    @staticmethod
    def _grown_back(ent: Span, ents: list[Span], start: Optional[int]) -> Span:
        """`ent` grown back to token `start`, taking the entity kept there if it lies wholly inside."""
        if start is None or ent.doc[start].lower_ in NOT_NAMES | TITLES:
            return ent
        if ents and ents[-1].end > start:
            if ents[-1].start < start:
                return ent  # part of a longer entity: leave both
            ents.pop()
        return Span(ent.doc, start, ent.end, label="PERSON")

    def _with_surname(self, doc: Doc, text: str, ent: Span) -> Span:
        """Given name + patronymic right after a capitalised word that can only be a surname."""
        words = _WORDS.findall(ent.text)
        if len(words) != 2 or not is_patronymic(words[1]) or ent.start == 0:
            return ent
        before = doc[ent.start - 1]
        if not (before.is_alpha and before.is_title and len(before) > 2) or before.lower_ in NOT_NAMES | TITLES:
            return ent
        if text[before.idx + len(before) : ent.start_char] != " ":
            return ent
        if self.morph.word_is_known(before.lower_):
            tags = {g for p in self.morph.parse(before.lower_) for g in ("Surn",) if g in p.tag}
            if not tags:
                return ent  # a dictionary word ("Гражданка", "Бригадир"), not a surname
        return Span(doc, ent.start - 1, ent.end, label="PERSON")


@Language.factory("testimony_cleanup")
def make_entity_cleanup(nlp: Language, name: str) -> EntityCleanup:
    return EntityCleanup()


_GIVEN_NAME_FIELDS = {"имя", "отчество"}


def _uncased(text: str) -> bool:
    """A text typed all in lower case (under 1 % of its letters capitals)."""
    letters = sum(ch.isalpha() for ch in text)
    return letters > 20 and sum(ch.isupper() for ch in text) < 0.01 * letters


def _in_given_name_field(ent: Span) -> bool:
    """ "Имя Ева" on a card with its own surname field: the conventions tag only the surname field
    (a combined "Имя, отчество Анна Петровна" field keeps its two words)."""
    words = [t for t in ent if t.is_alpha]
    i = ent.start - 1
    while i >= 0 and (ent.doc[i].is_space or ent.doc[i].text in (":", "\t")):
        i -= 1
    return len(words) == 1 and i >= 0 and ent.doc[i].lower_ in _GIVEN_NAME_FIELDS


def _after_kinship_word(ent: Span) -> bool:
    """ "анам Бибіжамал", "жары Гүлбахрам": right after a kinship word stands a person's name."""
    i = ent.start - 1
    while i >= 0 and ent.doc[i].is_space:  # a line break between them: "анам\nБибіжамал"
        i -= 1
    if i < 0:
        return False
    before = ent.doc[i]
    return before.lower_ in LEADING_ROLES and before.is_lower and ent[0].is_title


def _given_name_not_title(ent: Span) -> bool:
    """ "Азамат Нұрланов": a capitalised title word that is also a given name, before a lone
    surname, is the given name ("азамат Нұрланов Е." or "азамат Нұрланов Ерлан" is the title)."""
    words = [t for t in ent if t.is_alpha]
    return len(words) == 2 and ent[0].is_title and ent[0].lower_ in GIVEN_NAMES and "." not in ent.text


def _within_one_cell(ent: Span) -> Optional[Span]:
    """The part of `ent` in one cell of a form. OCR joins a form's cells with TABs (`ocr._assemble`:
    "Переведена на Спасски лагпуннт<TAB>пр. № 212"), and no name, place or body runs from one cell
    into the next. The first part that is more than a form label or a stray letter stays
    ("Г. Житомир<TAB>Национальность" -> "Г. Житомир"; "Фамилия<TAB>Иванова" -> "Иванова");
    None if no part is."""
    doc = ent.doc
    pieces, start = [], ent.start
    for i in range(ent.start, ent.end + 1):
        if i == ent.end or "\t" in doc[i].text:
            if i > start:
                pieces.append((start, i))
            start = i + 1
    if pieces == [(ent.start, ent.end)]:
        return ent
    for first, last in pieces:
        words = [w.lower() for w in _WORDS.findall(doc[first:last].text)]
        if sum(len(w) for w in words) >= 2 and not all(w in NOT_NAMES or w in FRAME_WORDS for w in words):
            return Span(doc, first, last, label=ent.label_)
    return None


def _without_frame_words(ent: Span) -> Optional[Span]:
    """Trim heading words off either end ("Алма-Ата СПРАВКА"); None when nothing else is left."""
    start, end = ent.start, ent.end
    while start < end and ent.doc[start].lower_ in FRAME_WORDS:
        start += 1
    while end > start and ent.doc[end - 1].lower_ in FRAME_WORDS:
        end -= 1
    if start == end:
        return None
    return ent if (start, end) == (ent.start, ent.end) else Span(ent.doc, start, end, label=ent.label_)


# Russian surnames take -ский/-ская, never the neuter -ское/-цкое of "Акмолинское отделение".
_NEUTER_ADJECTIVE = re.compile(r"[сц]кое$", re.I)
_PLACE_CUES = {"рождения", "жительства", "местожительство", "в", "во", "из", "уроженка", "уроженец", "уроженке",
               "уроженки", "уроженца", "проживала", "проживал", "проживает", "проживающая", "выбыла", "выбыл"}


def _town_not_initial(ent: Span) -> bool:
    """ "г. Житомир" after "Место рождения" or "в" is a town, not an initial and a surname."""
    first = ent[0].lower_
    if first not in ("г", "г.") or len(ent) < (3 if first == "г" else 2) or ent.start == 0:
        return False  # "г" "." "Житомир", or "Г." as one token
    before = ent.doc[ent.start - 1]
    if before.is_punct and ent.start > 1:
        before = ent.doc[ent.start - 2]
    return before.lower_ in _PLACE_CUES


def _without_edge_words(ent: Span, words: set) -> Optional[Span]:
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].lower_ in words or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].lower_ in words or doc[end - 1].is_punct and doc[end - 1].text != "."):
        end -= 1
    if start >= end:
        return None
    return ent if (start, end) == (ent.start, ent.end) else Span(doc, start, end, label=ent.label_)


def _stray_letter(text: str, ent: Span) -> bool:
    return any(len(t) == 1 and t.is_alpha and text[t.idx + 1 : t.idx + 2] != "." for t in ent)


def _joinable(text: str, left: Span, right: Span) -> bool:
    gap = text[left.end_char : right.start_char]
    complete = left.text.endswith(".")  # a name that ends in initials is whole
    # spaCy keeps a line break as a token of its own: only whitespace may lie between
    return gap in (" ", "\n", "") and not complete and len(left) + len(right) <= 6


def _given_name_between(text: str, left: Span, right: Span) -> bool:
    """ "Сәрсенбаев [Жиһанша] Өтегенұлы": surname and patronymic tagged, the given name between them not."""
    gap = text[left.end_char : right.start_char]
    return (len(left) == 1 and len(right) == 1 and is_patronymic(right.text.strip(",."))
            and bool(re.fullmatch(rf" [{_UP}][^\W\d_]+ ", gap)))


_INITIAL_TOKEN = re.compile(rf"^[{_UP}]\.")
_INITIALS_AFTER = re.compile(rf"^ ?[{_UP}]\. ?(?:[{_UP}]\.)?")
_INITIALS_BEFORE = re.compile(rf"[{_UP}]\. ?(?:[{_UP}]\. ?)?$")


def _with_initials(doc: Doc, text: str, ent: Span) -> Span:
    """A surname with the initials the model left out: "Тоқтарова К. С.", "И. Шапиро"."""
    start, end = ent.start_char, ent.end_char
    if re.search(rf" [{_UP}]$", ent.text) and text[end : end + 1] == ".":
        end += 1  # "Гордеева П. И" + "."
    if " " not in ent.text.strip() and ent.text[-1:] != ".":
        after = _INITIALS_AFTER.match(text[end : end + 6])
        if after:
            end += after.end()
        before = _INITIALS_BEFORE.search(text[max(0, start - 6) : start])
        if before and not after and (start - 6 + before.start() <= 0 or not text[start - 6 + before.start() - 1].isalpha()):
            start -= len(before.group(0))
    if (start, end) == (ent.start_char, ent.end_char):
        return ent
    return doc.char_span(start, end, label="PERSON", alignment_mode="expand") or ent


@Language.component("testimony_dates")
def add_rule_dates(doc: Doc) -> Doc:
    """Dates found by rules replace model DATE spans; other labels keep their spans."""
    kept = [ent for ent in doc.ents if ent.label_ != "DATE"]
    found = []
    for match in dates.find_dates(boundaries.doc_text(doc)):
        span = doc.char_span(match.start, match.end, label="DATE", alignment_mode="expand")
        if span is None or any(span.start < ent.end and ent.start < span.end for ent in kept):
            continue
        span._.normalized = match.normalized
        span._.confidence = match.confidence
        found.append(span)
    for start, end, year in boundaries.birth_years_in_rows(doc, kept):  # "3 Орлова Мария Петровна 1903 ..."
        span = doc.char_span(start, end, label="DATE")
        if span is not None and not any(span.start < e.end and e.start < span.end for e in kept + found):
            span._.normalized, span._.confidence = year, 0.6
            found.append(span)
    doc.ents = filter_spans(kept + found)
    return doc


class EntityNormalizer:
    """Sets `span._.normalized` for PERSON, PLACE and ORG (DATE comes normalised from its rules)."""

    def __init__(self, lang: str, normalizer: Optional[Normalizer] = None):
        self.lang = lang
        self._normalizer = normalizer
        self._cache: dict[tuple[str, str], Optional[str]] = {}  # names recur on every page of a case

    @property
    def normalizer(self) -> Normalizer:
        if self._normalizer is None:  # built alone rather than by build_pipeline, which shares one
            self._normalizer = Normalizer()
        return self._normalizer

    @normalizer.setter
    def normalizer(self, normalizer: Normalizer) -> None:
        self._normalizer = normalizer

    def cached(self, label: str, text: str) -> Optional[str]:
        key = (label, text)
        if key not in self._cache:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = self.normalize(label, text)
        return self._cache[key]

    def __call__(self, doc: Doc) -> Doc:
        text = boundaries.doc_text(doc)
        for ent in doc.ents:
            if ent.label_ == "DATE":
                if ent._.normalized is None:  # restored from a spaCy Doc without the rule pass
                    ent._.normalized = dates.normalize_date(ent.text, self.lang)
                continue
            mended = doc.user_data.get("mended_names", {}).get((ent.start_char, ent.end_char))
            ent._.normalized = self.cached(ent.label_, mended or ent.text)  # a name OCR broke (name_repair)
            if ent.label_ == "PERSON" and self.lang == "ru" and ent._.normalized and not mended:
                if _surname_only(ent.text):  # "Антонову Е. И.": her accusative or his dative?
                    context = _clause_before(text, ent.start_char, ent.end_char)
                    ent._.normalized = self.normalizer.person(ent.text, "ru", context)["full"] or ent._.normalized
                    ent._.normalized = _gender_from_after(ent._.normalized, text[ent.end_char : ent.end_char + 120])
                ent._.normalized = self._his_initials(ent, ent._.normalized)
        return doc

    _AMBIGUOUS_SURNAME = re.compile(r"^([А-ЯЁ][а-яё-]+(?:ов|ев|ёв|ин|ын))а$")

    def _his_initials(self, ent: Span, normalized: str) -> str:
        """ "изменника Родины Гордеева П. И.", "мужа Воронцова": a surname in -ова alone or with initials
        is her nominative or his genitive; after a masculine noun in the genitive it is his."""
        words = normalized.split()
        surname = self._AMBIGUOUS_SURNAME.match(words[0])
        if not surname or not all(len(w) == 2 and w.endswith(".") for w in words[1:]):
            return normalized
        for token in reversed(ent.doc[max(0, ent.start - 5) : ent.start]):
            word = token.text.lower()
            if word in ("родины", "тов") or not token.is_alpha or len(word) < 5:
                continue  # also OCR debris: "изменника Р дины Гордеева П. И."
            tags = [str(p.tag) for p in self.normalizer.morph.parse(word) if p.score >= 0.05]
            if not any("femn" in t for t in tags) and \
                    any("gent" in t and "masc" in t and ("NOUN" in t or "PRTF" in t) for t in tags):
                return " ".join([surname.group(1), *words[1:]])
            break  # only the word right before the name tells
        return normalized

    def normalize(self, label: str, text: str) -> Optional[str]:
        if label == "PERSON":
            return self.normalizer.person(text, self.lang)["full"] or None
        if label == "PLACE":
            return self.normalizer.place(text, self.lang) or None
        if label == "ORG":
            text = name_repair.mended_camp(text, organs.CAMP_NAMES) or text  # "отделение Карпага": Карлага
            # "УНКВД по Харьковской обл." names the body in full: "... области"
            return _ORG_ABBREVIATIONS.sub("области", self.normalizer.org(text, self.lang)) or None
        return None


def _gender_from_after(normalized: str, text_after: str) -> str:
    """A surname alone or with initials in the gender a pronoun after it gives ("Лунину Е. М. ...,
    она прибыла" is Лунина)."""
    gender = gender_after(text_after)
    surname, *rest = normalized.split(" ")
    other = surname_of_gender(surname, gender) if gender else None
    return " ".join([other, *rest]) if other else normalized


def _surname_only(surface: str) -> bool:
    """A surname alone or with initials: its case, and so its gender, only the context tells."""
    words = [w for w in _WORDS.findall(surface) if len(w) > 1]
    return len(words) == 1


def _clause_before(text: str, start: int, end: int, reach: int = 60) -> str:
    """The name with the words of its own sentence before it (at most `reach` characters)."""
    before = text[max(0, start - reach) : start]
    cut = max(before.rfind(mark) for mark in (". ", "\n", "\t", ";", ":"))
    clause = before[cut + 1 :]
    words = _WORDS.findall(clause)
    if words and words[-1].lower() in NOT_NAMES:  # "Фамилия Бейсембаева": a form's label is no context
        return text[start:end]
    return clause + text[start:end]


@Language.factory("testimony_normalize", default_config={"lang": "ru"})
def make_entity_normalizer(nlp: Language, name: str, lang: str) -> EntityNormalizer:
    return EntityNormalizer(lang)


def build_pipeline(lang: str, morph: Optional[CachedMorph] = None) -> Language:
    """The spaCy pipeline for one language: its NER, then repairs, rules and normalisation.

    One pymorphy3 analyser serves every component (and, through `morph`, the
    other language's pipeline): each costs ~0.3 s and 15 MB to load, and a shared
    one shares its cache of look-ups.
    """
    if lang == "ru":
        from pipeline.russian import build_russian_nlp

        nlp = build_russian_nlp()
        morph = morph or nlp.get_pipe("slovnet_ner").morph
    elif lang == "kk":
        import pipeline.kazakh  # noqa: F401  (registers the "kk" language class)
        import pipeline.kazakh_phrases  # noqa: F401  (registers testimony_kk_phrases)

        if not (KK_MODEL / "meta.json").exists():
            raise TestimonyError(
                f"the Kazakh NER model is missing from {KK_MODEL}.",
                hint="It ships with the project; restore it with git, or retrain it (training/kk_ner/README).",
            )
        nlp = spacy.load(KK_MODEL)
        pipeline.kazakh.fold_embedding_projection(nlp)  # same entities, ~1.5x the words/s
    else:
        raise ValueError(f"no entity pipeline for language {lang!r}")
    nlp.add_pipe("testimony_cleanup")
    nlp.add_pipe("testimony_organs", config={"lang": lang})
    nlp.add_pipe("testimony_dates")
    if lang == "kk":  # organ names grown over their noun phrase by case endings (pipeline.kazakh_phrases)
        nlp.add_pipe("testimony_kk_phrases")
    if lang == "ru":  # organ and district names grown to their noun phrase (pipeline.syntax)
        nlp.add_pipe("slovnet_syntax")
        nlp.add_pipe("testimony_phrases")
        nlp.add_pipe("testimony_final_bounds")  # line breaks and "г." once more, after the parse
    nlp.add_pipe("testimony_normalize", config={"lang": lang})
    morph = morph or CachedMorph()
    normalizer = Normalizer(morph)
    nlp.get_pipe("testimony_cleanup").morph = morph
    nlp.get_pipe("testimony_cleanup").counts = normalizer.counts
    nlp.get_pipe("testimony_normalize").normalizer = normalizer
    return nlp


class EntityExtractor:
    """Finds the entities of a page, span by span, each with its own language's pipeline."""

    def __init__(self, languages: tuple[str, ...] = ("ru", "kk")):
        self.languages = languages
        self._pipelines: dict[str, Language] = {}
        self._morph: Optional[CachedMorph] = None

    def pipeline(self, lang: str) -> Language:
        if lang not in self._pipelines:
            nlp = build_pipeline(lang, self._morph)
            self._morph = nlp.get_pipe("testimony_cleanup").morph
            self._pipelines[lang] = nlp
        return self._pipelines[lang]

    def extract(self, page: Page) -> list[Entity]:
        return self.extract_pages([page])[0]

    def extract_pages(self, pages: list[Page]) -> list[list[Entity]]:
        """The entities of each page. The pages' spans of one language go through their
        pipeline together, so consecutive pages of a document cost one model call, not one each.
        Dates without a year then take the one their context gives (`pipeline.date_context`)."""
        from pipeline import date_context  # imported here: this method is the pass's only caller

        found = [self._entities(page, docs) for page, docs in zip(pages, self._docs(pages))]
        return date_context.with_years(pages, found, _ocr_evidence)

    def _entities(self, page: Page, docs: list[tuple[LanguageSpan, Doc]]) -> list[Entity]:
        entities: list[Entity] = []
        for span, doc in docs:
            for ent in doc.ents:
                if ent.label_ not in LABELS:
                    continue
                start, end = _trim(page.text, span.start + ent.start_char, span.start + ent.end_char)
                if start >= end:
                    continue
                label, normalized = ent.label_, ent._.normalized
                if span.lang == "kk" and label in ("ORG", "PLACE"):
                    label, end, normalized = self._kazakh_place(page.text, start, end, label, normalized)
                base = ent._.confidence if ent._.confidence is not None else MODEL_CONFIDENCE[span.lang]
                ocr_conf, bbox = _ocr_evidence(page, start, end)
                entities.append(
                    Entity(
                        label=label,
                        text=page.text[start:end],
                        start=start,
                        end=end,
                        lang=span.lang,
                        normalized=normalized,
                        confidence=round(base * (0.5 + 0.5 * ocr_conf), 4),
                        bbox=bbox,
                    )
                )
        entities.extend(_other_language_dates(page))
        entities.extend(self._echoes(page, entities))
        return entities

    def _docs(self, pages: list[Page]) -> list[list[tuple[LanguageSpan, Doc]]]:
        """For each page, (language span, spaCy doc) of every span with a model, in page order.

        The spans of one language go through their pipeline together (`nlp.pipe`):
        a page alternating Russian and Kazakh paragraphs makes many short texts, and
        one call per text spent more time in the models' per-call overhead than in them.
        """
        wanted = [
            (n, sp) for n, page in enumerate(pages) for sp in page.language_spans
            if sp.lang in self.languages and page.text[sp.start : sp.end].strip()  # "und", German: no model
        ]
        docs: dict[int, Doc] = {}
        for lang in dict.fromkeys(sp.lang for _, sp in wanted):
            mine = [k for k, (_, sp) in enumerate(wanted) if sp.lang == lang]
            texts = [pages[wanted[k][0]].text[wanted[k][1].start : wanted[k][1].end] for k in mine]
            docs.update(zip(mine, self.pipeline(lang).pipe(texts)))
        out: list[list[tuple[LanguageSpan, Doc]]] = [[] for _ in pages]
        for k, (n, sp) in enumerate(wanted):
            out[n].append((sp, docs[k]))
        return out

    def _kazakh_place(self, text: str, start: int, end: int, label: str, normalized: Optional[str]):
        """ "Жаркент қаласында": a town, whatever the model said; "Атбасар ауданында": a district,
        and districts and regions keep their type word ("Атбасар ауданы")."""
        follow = _KK_PLACE_TYPE.match(text, end)
        if not follow:
            type_word = re.search(r"\s(уез|аудан|облыс)\w*$", text[start:end], re.I)
            if type_word and label == "ORG":  # "Қарқаралы уезінде" tagged whole, as a body
                normalizer = self.pipeline("kk").get_pipe("testimony_normalize")
                return "PLACE", end, normalizer.cached("PLACE", text[start:end])
            return label, end, normalized
        if follow.group(1).lower().startswith(("аудан", "облыс", "уез", "губерния")):
            end = follow.end()
        normalizer = self.pipeline("kk").get_pipe("testimony_normalize")
        return "PLACE", end, normalizer.cached("PLACE", text[start:end])

    def _echoes(self, page: Page, entities: list[Entity]) -> list[Entity]:
        """ "Әзиза апа да тұтқындалды" after "Әзиза Түбекқызы Рысқұлова": a given name or surname of
        somebody named in full on the page, standing alone where the model did not tag it."""
        known: dict[str, str] = {}
        for entity in entities:
            if entity.label != "PERSON" or not entity.normalized or len(entity.normalized.split()) < 2:
                continue
            normalizer = self.pipeline(entity.lang).get_pipe("testimony_normalize")
            parts = normalizer.normalizer.parts(entity.normalized)
            for part in (parts["given"], parts["surname"]):
                if part and len(part) >= 4 and not part.endswith("."):
                    known[part.lower()] = entity.lang
        if not known:
            return []
        taken = sorted((e.start, e.end) for e in entities)
        echoes = []
        for match in _CAPITALISED.finditer(page.text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            lang = next((sp.lang for sp in page.language_spans if sp.start <= start < sp.end), None)
            if lang not in self.languages:
                continue
            word = match.group()
            stem = kk_strip_case(word) if lang == "kk" else word
            if stem.lower() not in known and word.lower() not in known:
                continue
            normalizer = self.pipeline(lang).get_pipe("testimony_normalize")
            ocr_conf, bbox = _ocr_evidence(page, start, end)
            echoes.append(Entity(label="PERSON", text=word, start=start, end=end, lang=lang,
                                 normalized=normalizer.cached("PERSON", word),
                                 confidence=round(0.7 * (0.5 + 0.5 * ocr_conf), 4), bbox=bbox))
        return echoes


_CAPITALISED = re.compile(rf"(?<![\w-])[{_UP}][a-zа-яёәғқңөұүһі]+(?:-[{_UP}]?[a-zа-яёәғқңөұүһі]+)?(?![\w-])")
_KK_PLACE_TYPE = re.compile(r"\s{1,4}((?:қала|ауыл|село|кент|аудан|облыс|уез|губерния)(?:сы|ы|і)?\w*)", re.I)
_LEADING = set("-–—,.;:!?«»\"'()[]/*•")
_TRAILING = set("-–—,;:!?«»\"'([/*•")  # a final "." stays: "г.", "Н. Е."


def _other_language_dates(page: Page) -> list[Entity]:
    """German, Polish, Ukrainian and Belarusian paragraphs have no NER model here, but their
    dates are found by rule (`pipeline.dates_other`): numbers and month names are enough."""
    found = []
    for span in page.language_spans:
        if span.lang not in dates_other.LANGUAGES:
            continue
        for match in dates_other.find_dates(page.text[span.start:span.end], span.lang):
            start, end = span.start + match.start, span.start + match.end
            ocr_conf, bbox = _ocr_evidence(page, start, end)
            found.append(Entity(label="DATE", text=match.text, start=start, end=end, lang=span.lang,
                                normalized=match.normalized,
                                confidence=round(match.confidence * (0.5 + 0.5 * ocr_conf), 4), bbox=bbox))
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span off the punctuation and spaces that token alignment dragged in ("-УГБ", "Ева,")."""
    while start < end and (text[start] in _LEADING or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _TRAILING or text[end - 1].isspace()):
        end -= 1
    if end - start > 1 and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    return start, end


def _ocr_evidence(page: Page, start: int, end: int) -> tuple[float, Optional[list[int]]]:
    """Mean confidence and union box of the OCR words under [start, end); (1.0, None) for text layers."""
    words = [w for w in page.words if w.start < end and start < w.end]
    if not words:
        return 1.0, None
    x0 = min(w.bbox[0] for w in words)
    y0 = min(w.bbox[1] for w in words)
    x1 = max(w.bbox[2] for w in words)
    y1 = max(w.bbox[3] for w in words)
    return sum(w.confidence for w in words) / len(words), [x0, y0, x1, y1]
