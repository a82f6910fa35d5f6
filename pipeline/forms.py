"""Cards and lists: what a form's field or a list's column says about its words.

A registration card gives the surname in its "Фамилия" field; a transport list or a
memorial book gives, on each numbered row, a name, then the year of birth, then the
place. No sentence tells a news-trained model so, and the position does: these pure
functions read it, for `cleanup.EntityCleanup` and the date component.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span

from pipeline.boundaries import doc_text


_YEAR_AFTER_NAME = re.compile(r"^[ \t,]+(1[89]\d\d)(?=[ \t,.;]|$)")
_ROW_START = r"\s*[\[(|]?\s*\d{1,4}\s*[.)\]|]?\s*[\[|]?\s*"  # a row's number: "3.", "12)", "1 [", "[4]"
_ROW_NUMBER = re.compile(_ROW_START)


def _line_before(text: str, at: int) -> str:
    """The text of `at`'s line before it."""
    return text[text.rfind("\n", 0, at) + 1 : at]


def birth_years_in_rows(doc: Doc, ents: list) -> list:
    """(start, end, year) of a bare year right after a person's full name on a list's row ("3 Орлова
    Мария Петровна 1903 Рязань ..."): a list of people gives the year of birth in the column after
    the name. Only on rows (the name opens its line after a number) and only after two or more words
    of a name, so "Иванов 1937 года ..." in prose is left to the date rules."""
    out = []
    text = doc_text(doc)
    for ent in ents:
        if ent.label_ != "PERSON" or len([t for t in ent if t.is_alpha]) < 2:
            continue
        if not _ROW_NUMBER.fullmatch(_line_before(text, ent.start_char)):
            continue
        m = _YEAR_AFTER_NAME.match(text[ent.end_char : ent.end_char + 12])
        if m:
            out.append((ent.end_char + m.start(1), ent.end_char + m.end(1), m.group(1)))
    return out


# A card's surname field: "Фамилия<TAB>Левицкая-Гросс", "ФАМИЛИЯ: Кравец".
_SURNAME_FIELD = re.compile(r"(?:^|(?<=[\t\n]))(?:Фамилия|ФАМИЛИЯ)\s*[:\t ]\s*"
                            r"(?P<name>[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?|[А-ЯЁ]{2,}(?:-[А-ЯЁ]{2,})?)(?=[\s.,]|$)")


def surname_fields(doc: Doc, ents: list) -> list:
    """The value of a card's surname field is a PERSON (the conventions tag that field) where the
    model tagged nothing there: a lone word in a form cell gives it no sentence to read."""
    found = []
    for m in _SURNAME_FIELD.finditer(doc_text(doc)):
        span = doc.char_span(m.start("name"), m.end("name"), label="PERSON")
        if span is not None and not any(span.start < e.end and e.start < span.end for e in ents):
            found.append(span)
    return sorted(ents + found, key=lambda e: e.start) if found else ents


_ROW_BEFORE_PLACE = re.compile("^" + _ROW_START + r"(?:[^\W\d_][^\s\d]*\s+){2,3}[.,]?\s*1[89]\d\d[.,]?\s+$")


def _in_place_column(morph, tok) -> bool:
    """A word after the birth year on a numbered list row that the dictionary also knows as a place."""
    line = _line_before(doc_text(tok.doc), tok.idx)
    return bool(_ROW_BEFORE_PLACE.match(line)) and any("Geox" in p.tag for p in morph.parse(tok.lower_))


def places_in_row_columns(morph, doc: Doc, ents: list) -> list:
    """On a numbered list row, the word after the birth year is the birth place ("4 [Осипова Клавдия
    Петровна 1912 Калинин ОСО НКВД"): a one-word PERSON there, or an untagged word, that the
    dictionary also knows as a place is that place."""
    taken = {i for e in ents for i in range(e.start, e.end)}
    untagged = [Span(doc, t.i, t.i + 1, label="PLACE") for t in doc
                if t.i not in taken and t.is_alpha and t.text[:1].isupper() and _in_place_column(morph, t)]
    out = []
    for ent in sorted(ents + untagged, key=lambda e: e.start):
        words = [t for t in ent if not t.is_space]
        if ent.label_ == "PERSON" and len(words) == 1 and words[0].is_alpha and _in_place_column(morph, words[0]):
            ent = Span(ent.doc, ent.start, ent.end, label="PLACE")
        out.append(ent)
    return out
