"""Where a name ends, and what kind of name it is, read from the words' morphology.

The news-trained models draw entity boundaries from the look of the words: on an
archival page a place runs on into the next line of a form ("г. Гомель" +
"Арестована"), a sentence-initial participle looks like a body ("Этапирована"),
and a Soviet enterprise ("на Магнитострое", "Карагандауголь") looks like a
surname. pymorphy3's dictionary knows these words' parts of speech and marks
organisation names (the `Orgn` grammeme), which is the structure these repairs
read; they are pure functions over spaCy spans, used by `cleanup.EntityCleanup`.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Doc, Span

from pipeline.names import GIVEN_NAMES, SURNAME_END, SURNAME_OV_NOMINATIVE, is_patronymic
from pipeline.normalize import kk_strip_case

# Parts of speech that never belong to a name: a verb, a participle, a gerund.
_PREDICATE_POS = {"VERB", "INFN", "PRTS", "GRND"}
_NAME_TAGS = ("Name", "Surn", "Patr")
_RU_WORD = re.compile(r"^[а-яё]+(?:-[а-яё]+)?$")


def doc_text(doc: Doc) -> str:
    """The doc's text, built once: spaCy builds `Doc.text` anew from its tokens on every access, and
    these rules read it for every entity."""
    text = doc.user_data.get("testimony_text")
    if text is None:  # a Doc's text never changes once made
        text = doc.user_data["testimony_text"] = doc.text
    return text


def _parses(morph, word: str) -> list:
    return morph.parse(word.lower()) if _RU_WORD.match(word.lower()) else []


def is_predicate(morph, word: str) -> bool:
    """A dictionary word every reading of which is a verb or a short participle ("Арестована", "принял")."""
    parses = _parses(morph, word)
    return bool(parses) and morph.word_is_known(word.lower()) and all(p.tag.POS in _PREDICATE_POS for p in parses)


def is_organisation_word(morph, word: str) -> bool:
    """One word that names an enterprise or a body ("Магнитострой", "Уралмашзавод", "Карагандауголь").

    pymorphy3 marks such dictionary words `Orgn`; a word it does not know counts when every reading it
    guesses by analogy is one (compounds in -строй, -уголь, -завод are guessed so). A reading as a
    person's name or a place outweighs it.
    """
    parses = _parses(morph, word)
    if not parses or any(t in p.tag for p in parses for t in _NAME_TAGS + ("Geox",)):
        return False
    if morph.word_is_known(word.lower()):
        return any("Orgn" in p.tag and "Abbr" not in p.tag for p in parses)
    return all("Orgn" in p.tag for p in parses)


def as_organisation(morph, ent: Span) -> Span:
    """A PERSON or PLACE of one word that the dictionary knows as an organisation becomes an ORG, and
    so does a PLACE headed by one ("Наркомземе Казахской ССР"); a one-word PERSON the dictionary
    knows only as a place is a PLACE ("Место рождения: Тула")."""
    words = [t for t in ent if t.is_alpha]
    one = len(words) == 1 and ent.label_ in ("PERSON", "PLACE")
    if (one or words and ent.label_ == "PLACE") and is_organisation_word(morph, words[0].text):
        return Span(ent.doc, ent.start, ent.end, label="ORG")
    if one and ent.label_ == "PERSON" and is_dictionary_place(morph, words[0].text):
        return Span(ent.doc, ent.start, ent.end, label="PLACE")
    return ent


def is_lone_predicate(morph, ent: Span) -> bool:
    """A one-word entity that is a verb form: the capital of a sentence start, not a name."""
    words = [t for t in ent if not t.is_space and not t.is_punct]
    return len(words) == 1 and is_predicate(morph, words[0].text)


def _continues_on_next_line(morph, last: str, first: str, label: str) -> bool:
    """Whether `first`, the first word of the next line, can go on with a place or body name ending
    in `last`: a name wrapped in running text ("Военной коллегией Верховного" / "суда СССР",
    "Балхашском" / "районе") goes on; a form's next row ("Арестована 3.IX.1937", "К. Петров",
    "Допрос") does not."""
    if not first[:1].isalpha() or re.match(r"^\w\.", first) or is_predicate(morph, first):
        return False
    first_parses = _parses(morph, first)
    last_parses = _parses(morph, last)
    if first.isupper() and not morph.word_is_known(first.lower()):  # "НКВД" goes on, a heading's "СПИСО" not
        return len(first) <= 5 and _abbreviation(first, first_parses)
    if first[:1].isupper():  # a genitive, an adjective, an abbreviation, or a name the dictionary lacks
        return not first_parses or any(p.tag.case == "gent" or p.tag.POS == "ADJF" for p in first_parses) \
            or first.isupper() and len(first) <= 5 and _abbreviation(first, first_parses)
    if first.lower() in ("при", "по", "и"):
        return label == "ORG"
    if not morph.word_is_known(first.lower()):
        return False  # a lower-case word the dictionary does not know: OCR debris or the next row ("списо")
    if any(p.tag.POS in ("ADJF", "PRTF") for p in last_parses):
        return True  # "Балхашском" + "районе": an adjective wants its noun
    return any(p.tag.POS == "NOUN" and p.tag.case == "gent" for p in first_parses)


def _abbreviation(word: str, parses: list) -> bool:
    """ "НКВД", "УВД", "ОГПУ": letters with no vowel after the first, or the dictionary's abbreviation;
    not a heading's cut word ("СПИСО")."""
    return not re.search("[АЕЁИОУЫЭЮЯ]", word[1:]) or any("Abbr" in p.tag for p in parses)


def cut_at_line_end(morph, ent: Span) -> Optional[Span]:
    """A PLACE or ORG ends at a line break unless the next line's first word can continue its phrase."""
    if ent.label_ not in ("PLACE", "ORG") or "\n" not in ent.text:
        return ent
    doc = ent.doc
    words = [t for t in ent if not t.is_space]
    for left, right in zip(words, words[1:]):
        gap = doc_text(doc)[left.idx + len(left) : right.idx]
        if "\n" not in gap:
            continue
        if "\n\n" in gap or not _continues_on_next_line(morph, left.text, right.text, ent.label_):
            end = left.i + 1
            return Span(doc, ent.start, end, label=ent.label_) if end > ent.start else None
    return ent


_DASH_GAP = re.compile(r"^(?: +[-–—] *| *[–—] *)$")


def double_surname(text: str, left: Span, right: Span) -> bool:
    """ "Сейфуллиной – Ахметовой Гульнар", "Веры Кантор – Беленькой": two names the model split at a
    spaced dash are one double surname when one of them is a single capitalised word (a bare surname)."""
    gap = text[left.end_char : right.start_char]
    single = any(len(side) == 1 and side[0].is_alpha for side in (left, right))
    return single and left[-1].is_title and right[0].is_title and bool(_DASH_GAP.match(gap))


def join_double_surnames(ents: list) -> list:
    """Names split at a dash joined into one PERSON. The model also tags the halves of a double surname
    as places ("Петровской – Гамбург Лидии Карловне"): two such halves count when a person's given
    name follows at once; a dash between two places alone ("Москва – Ленинград") is a route."""
    out: list = []
    i = 0
    while i < len(ents):
        left = ents[i]
        right = ents[i + 1] if i + 1 < len(ents) else None
        if right is None or {left.label_, right.label_} - {"PERSON", "PLACE"} or \
                not double_surname(doc_text(left.doc), left, right):
            out.append(left)
            i += 1
            continue
        after = ents[i + 2] if i + 2 < len(ents) else None
        follows = after is not None and after.label_ == "PERSON" and \
            doc_text(left.doc)[right.end_char : after.start_char] == " "
        if "PERSON" not in (left.label_, right.label_) and not follows:
            out.append(left)
            i += 1
            continue
        last = after if follows else right
        out.append(Span(left.doc, left.start, last.end, label="PERSON"))
        i += 3 if follows else 2
    return out


def _name_reading(morph, word: str, case: Optional[str]) -> bool:
    """`word` can be a given name in `case`: pymorphy3 reads it so, or does not know it at all."""
    low = word.lower()
    if not _RU_WORD.match(low) or not morph.word_is_known(low):
        return True
    return any("Name" in p.tag and (case is None or p.tag.case == case) for p in morph.parse(low))


def given_name_before(morph, ent: Span, patronymic: bool) -> Optional[int]:
    """The token index of a given name right before a PERSON that starts with its patronymic
    ("с Ханой | Лазаревной Фурман"): a patronymic always follows a given name, which the model
    then tags alone or as a place. None when the word before is not one."""
    if not patronymic or ent.start == 0:
        return None
    doc = ent.doc
    before = doc[ent.start - 1]
    if not (before.is_alpha and before.is_title and len(before) > 1) or before.whitespace_ != " ":
        return None
    cases = {p.tag.case for p in _parses(morph, ent[0].text) if "Patr" in p.tag}
    case = next(iter(cases)) if len(cases) == 1 else None
    return before.i if _name_reading(morph, before.text, case) else None


def surname_before_dash(ent: Span) -> Optional[int]:
    """The first half of a double surname the model left untagged ("Ибрагимовой – Кац Розе"): a
    capitalised word with a surname's ending right before a spaced dash before the name."""
    doc = ent.doc
    if ent.start < 2 or not ent[0].is_title:
        return None
    dash, word = doc[ent.start - 1], doc[ent.start - 2]
    if dash.text not in ("-", "–", "—") or not (word.is_alpha and word.is_title):
        return None
    gap = doc_text(doc)[word.idx + len(word) : ent.start_char]
    if not _DASH_GAP.match(gap) or not SURNAME_END.search(word.lower_):
        return None
    return word.i


def as_person(ent: Span) -> Span:
    """A PLACE or ORG of two or three capitalised words that reads as surname + given name
    ("Оспанов Ерболмен", "Ахметова Күләш Сәрсенқызы") is a person: the first has a surname's
    ending and another is a known given name or a patronymic."""
    words = [t.text for t in ent if not t.is_space]
    if ent.label_ not in ("PLACE", "ORG") or not 2 <= len(words) <= 3 or not all(w.istitle() for w in words):
        return ent
    if not SURNAME_END.search(words[0].lower()):
        return ent
    rest = [kk_strip_case(w).lower() for w in words[1:]]
    # in a Kazakh text a Russian-style surname in -ов/-ин leads only a person's name: no Kazakh
    # place is so named, and the given names after it are too many to list
    kazakh_surname = ent.doc.lang_ == "kk" and bool(SURNAME_OV_NOMINATIVE.search(words[0].lower()))
    if kazakh_surname or any(w in GIVEN_NAMES for w in rest) or is_patronymic(words[-1]):
        return Span(ent.doc, ent.start, ent.end, label="PERSON")
    return ent


def surname_place_before(place: Span, person: Span) -> Optional[int]:
    """The start of a one-word PLACE with a surname's ending right before a given name and patronymic
    ("Гринберг-Шацкая Эмма Исааковна"): a patronymic's name is led by a surname, never by a place."""
    words = [t for t in person if t.is_alpha]
    if len(words) != 2 or not is_patronymic(words[1].text) or doc_text(person.doc)[place.end_char : person.start_char] != " ":
        return None
    surname = place.text.split("-")[-1].lower()
    if " " in place.text.strip() or not SURNAME_END.search(surname):
        return None
    return place.start


# The last word of a place that governs a named region after it ("АССР | Немцев Поволжья").
_REGION_HEAD = re.compile(r"^(?:асср|сср|рсфср|республик|област|обл$|район|р-н|кра[йяюе]$|округ|губерни|уезд|волост)")


def _genitive(morph, word: str) -> bool:
    parses = _parses(morph, word)
    return word.isupper() or not parses or any(p.tag.case in ("gent", "gen2") for p in parses)


def join_genitive_dependents(morph, ents: list) -> list:
    """A body or a region and the named place (or, after a body, the body) in the genitive right after
    it are one name, as the conventions want them flat: "КП(б) | Казахстана", "АССР | Немцев |
    Поволжья", "Информационного центра | МВД Республики Казахстан". A town and its region stay two
    ("с. Малин | Киевской области")."""
    out: list = []
    joined = False  # the last one kept is itself a head with its dependent: it takes more ("Поволжья")
    for ent in ents:
        prev = out[-1] if out else None
        right = ("PLACE", "ORG") if prev is not None and prev.label_ == "ORG" else ("PLACE",)
        if prev is not None and prev.label_ == "ORG" and ent.label_ == "PLACE" and prev[-1].is_upper \
                and doc_text(ent.doc)[prev.end_char : ent.start_char].lower() == " по ":
            out[-1] = Span(ent.doc, prev.start, ent.end, label="ORG")  # "ДКНБ | по | Карагандинской области"
            joined = True
            continue
        if prev is not None and ent.label_ in right and prev.label_ in ("ORG", "PLACE") \
                and doc_text(ent.doc)[prev.end_char : ent.start_char] == " " and ent[0].text[:1].isupper() \
                and _genitive(morph, ent[0].text) \
                and (prev.label_ == "ORG" or joined or _REGION_HEAD.match(prev[-1].lower_)):
            out[-1] = Span(ent.doc, prev.start, ent.end, label=prev.label_)
            joined = True
            continue
        out.append(ent)
        joined = False
    return out


_PARTY_BRACKET = re.compile(r"^(?:\)|\([а-яәa-z]\)[А-ЯЁӘҒҚҢӨҰҮҺІ]*)")


def with_party_bracket(ent: Span) -> Span:
    """An ORG cut at the bracket of a party's name: "ВКП(б" + ")", "БК" + "(б)П"."""
    if ent.label_ != "ORG":
        return ent
    text = doc_text(ent.doc)
    m = _PARTY_BRACKET.match(text[ent.end_char : ent.end_char + 12])
    if not m or (m.group(0) == ")") != (ent.text.count("(") > ent.text.count(")")):
        return ent
    span = ent.doc.char_span(ent.start_char, ent.end_char + m.end(), label="ORG", alignment_mode="expand")
    return span if span is not None else ent


# Streets are named after people and towns; the conventions tag only the city of an address.
_STREET_BEFORE = re.compile(r"(?:\b(?:ул|пр|пер|пл|просп|бульв|наб|туп)\.\s?|\b(?:улиц|проспект|переул|площад)\w*\s)"
                            r"(?-i:[А-ЯЁ][\w-]*\s){0,2}$", re.IGNORECASE)  # "ул. Розы | Люксембург"
_STREET_AFTER = re.compile(r"^\s(?:көшес|даңғыл)", re.IGNORECASE)


def is_street_name(ent: Span) -> bool:
    """ "ул. Карла Маркса", "по улице Ленина", "Абай көшесі": the name of a street, no person or place."""
    if ent.label_ not in ("PERSON", "PLACE"):
        return False
    text = doc_text(ent.doc)
    return bool(_STREET_BEFORE.search(text[max(0, ent.start_char - 30) : ent.start_char])
                or _STREET_AFTER.match(text[ent.end_char : ent.end_char + 10]))


def without_trailing_predicate(morph, ent: Span) -> Optional[Span]:
    """ "Сидоренко Принял", "Гомель Арестована": a name ends before a verb of the clause."""
    end = ent.end
    while end > ent.start and ent.doc[end - 1].is_alpha and is_predicate(morph, ent.doc[end - 1].text):
        end -= 1
    if end == ent.end:
        return ent
    return Span(ent.doc, ent.start, end, label=ent.label_) if end > ent.start else None


def is_common_word(morph, ent: Span) -> bool:
    """A one-word PERSON that the dictionary knows only as a common word ("Год" in a table's header):
    no reading of it is a given name, surname or patronymic, and it is no place either."""
    words = [t for t in ent if not t.is_space and not t.is_punct]
    if ent.label_ != "PERSON" or len(words) != 1 or not words[0].is_alpha:
        return False
    low = words[0].lower_
    if not _RU_WORD.match(low) or not morph.word_is_known(low):
        return False
    return not any(t in p.tag for p in morph.parse(low) for t in _NAME_TAGS + ("Geox", "Orgn"))


def split_at_bracket(ent: Span) -> list:
    """ "с. Гуссенбах (АССР НП)": a place and the region in brackets after it are two places."""
    if ent.label_ != "PLACE" or "(" not in ent.text:
        return [ent]
    doc = ent.doc
    at = next((t.i for t in ent if t.text == "("), None)
    if at is None or at == ent.start:
        return [ent]
    left = Span(doc, ent.start, at, label="PLACE")
    inner_end = next((t.i for t in doc[at + 1 : ent.end + 1] if t.text == ")"), ent.end)
    inner = [t for t in doc[at + 1 : inner_end] if not t.is_space]
    if not inner or not inner[0].text[:1].isupper():
        return [left]
    return [left, Span(doc, inner[0].i, inner[-1].i + 1, label="PLACE")]


def is_dictionary_place(morph, word: str) -> bool:
    """Every reading pymorphy3's dictionary has of the word is a place ("Тула", "Акмолинск"; not
    "Калинин", also a surname, nor "Орёл", also a bird)."""
    low = word.lower()
    if not _RU_WORD.match(low) or not morph.word_is_known(low):
        return False
    return all("Geox" in p.tag for p in morph.parse(low))


def dictionary_places(morph, doc: Doc, ents: list) -> list:
    """Places (and enterprises) the model left untagged where the dictionary knows nothing else by
    that name: the columns of a list ("1907 Тула ОСО НКВД 5 л.") give a model no sentence to read
    them by, and a news model has not seen "на Уралмашзаводе"."""
    taken = {i for e in ents for i in range(e.start, e.end)}
    found = []
    for tok in doc:
        if tok.i in taken or not (_RU_WORD.match(tok.lower_) and tok.text[:1].isupper() and len(tok) > 2):
            continue
        if _STREET_BEFORE.search(doc_text(doc)[max(0, tok.idx - 30) : tok.idx]):
            continue
        if is_dictionary_place(morph, tok.text):
            found.append(Span(doc, tok.i, tok.i + 1, label="PLACE"))
        elif morph.word_is_known(tok.lower_) and is_organisation_word(morph, tok.text):
            found.append(Span(doc, tok.i, tok.i + 1, label="ORG"))
    return sorted(ents + found, key=lambda e: e.start) if found else ents


_TYPE_ABBREVIATIONS = {"г", "гор", "с", "пос", "п", "д", "дер", "ст", "х", "пгт"}


def without_trailing_type_word(morph, ent: Span) -> Optional[Span]:
    """ "Уроженка дер." + "Березовка": a settlement's type word at a PLACE's end belongs to the name
    after it; what is left is dropped when it is a noun of persons ("Уроженка"), which no place is."""
    words = [t for t in ent if not t.is_space]
    if ent.label_ != "PLACE" or len(words) < 2 or words[-1].lower_ not in _TYPE_ABBREVIATIONS:
        return ent
    text = doc_text(ent.doc)
    if text[ent.end_char : ent.end_char + 1] != "." and words[-1].text != ".":
        return ent
    end = words[-1].i
    while end > ent.start and ent.doc[end - 1].is_space:
        end -= 1
    rest = [t for t in ent.doc[ent.start : end] if t.is_alpha]
    if not rest:
        return None
    if len(rest) == 1 and any("anim" in p.tag and p.tag.POS == "NOUN" and "Geox" not in p.tag
                              for p in _parses(morph, rest[0].text)) and morph.word_is_known(rest[0].lower_):
        return None
    return Span(ent.doc, ent.start, end, label="PLACE")
