"""The bounds of a person's name in Kazakh text, read from its case endings.

A Kazakh name is a given name, a patronymic in -ұлы/-қызы and a surname in -ов/-ева/-ин,
in either order, and only its last word takes the case ending ("Сәуле Жұмабекқызы
Оразбаевамен", "Мұсабаева Қалиманың"). KazNERD's model often stops before that last,
inflected word or runs a pronoun or an occupation into the front ("Біз Бибігүл ...",
"Тергеуші Айгүл ..."). These pure functions over spaCy spans repair both; used by
`cleanup.EntityCleanup` for Kazakh text.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Doc, Span

from pipeline.boundaries import doc_text
from pipeline.names import GIVEN_NAMES, KK_NAME_ELEMENTS, PATR_TURKIC, SURNAME_OV_NOMINATIVE, is_patronymic
from pipeline.normalize import KK_PLACES, KK_REGION_WORDS, KK_SETTLEMENT, kk_strip_case

# Personal pronouns (all cases a sentence opens with) never start a name.
PRONOUNS = frozenset("""
мен сен сіз ол біз сендер сіздер олар менің сенің оның біздің сіздің олардың маған оған бізге
мені оны бізді менен одан бізден
""".split())
# An occupation noun in -шы/-ші ("тергеуші", "жазушы", "оқытушы") is a role, not a given name.
_AGENT_NOUN = re.compile(r"(?:шы|ші)$")
# Case endings that only a person's name takes after a name, never a place it is followed by:
# genitive, accusative, instrumental (locative and ablative ones are the places' own).
# (the dative "Семейге", "Алматыға" is a place's as often: a given name in the dative must be a known one)
_NAME_CASE = re.compile(r"(?:ның|нің|дың|дің|тың|тің|ны|ні|ды|ді|ты|ті|мен|бен|пен)$")


def _surname_or_patronymic(stem: str) -> bool:
    return bool(SURNAME_OV_NOMINATIVE.search(stem) or PATR_TURKIC.search(stem))


def _stem(word: str) -> str:
    return kk_strip_case(word).lower()


def is_role_word(word: str) -> bool:
    low = word.lower()
    return low in PRONOUNS or (len(low) > 5 and bool(_AGENT_NOUN.search(low)) and low not in GIVEN_NAMES)


def without_leading_role(ent: Span) -> Optional[Span]:
    """ "Біз Бибігүл Сейітқызы" -> "Бибігүл Сейітқызы"; None when nothing else is left."""
    start = ent.start
    while start < ent.end and is_role_word(ent.doc[start].text):
        start += 1
    if start == ent.end:
        return None
    return ent if start == ent.start else Span(ent.doc, start, ent.end, label=ent.label_)


def _continues_name(words: list[str], nxt: str) -> bool:
    """Whether `nxt`, the capitalised word after a name of `words`, is that name's last part."""
    last = _stem(words[-1])
    stem = _stem(nxt)
    if is_patronymic(last):  # given name + patronymic, then the surname
        return bool(_surname_or_patronymic(stem)) and not is_patronymic(stem)
    if _surname_or_patronymic(last) and not is_patronymic(last) and len(words) <= 2:  # surname, then the given name
        if stem in GIVEN_NAMES:
            return True
        # an unknown word only after a surname alone, single or double ("Мұсабаева Қалиманың"); after a
        # name with its given name it is the clause's next word ("Нұрсұлтан Назарбаев Қазақстанның")
        surnames_only = all(_surname_or_patronymic(_stem(w)) for w in words)
        return surnames_only and bool(_NAME_CASE.search(nxt.lower())) and stem != nxt.lower() \
            and stem not in KK_PLACES
    return False


def with_second_surname(ent: Span) -> Span:
    """ "Нұрпейісова – Жандосова": a surname the model took alone, with the second half of its double
    surname after a dash."""
    doc = ent.doc
    if ent.end + 1 >= len(doc) or len([t for t in ent if t.is_alpha]) != 1:
        return ent
    dash, nxt = doc[ent.end], doc[ent.end + 1]
    if dash.text not in ("-", "–", "—") or not (nxt.is_alpha and nxt.is_title):
        return ent
    if not (_surname_or_patronymic(_stem(ent.text)) and _surname_or_patronymic(_stem(nxt.text))):
        return ent
    return Span(doc, ent.start, ent.end + 2, label="PERSON")


def with_last_part(ent: Span) -> Span:
    """A name grown over its inflected last word: "Мұсабаева" + "Қалиманың", "Сәуле Жұмабекқызы" +
    "Оразбаевамен"."""
    doc = ent.doc
    ent = with_second_surname(ent)
    if ent.end >= len(doc):
        return ent
    nxt = doc[ent.end]
    words = [t.text for t in ent if re.search(r"[^\W\d_]", t.text)]  # "Қасым-Жомарт" too
    if not words or not (nxt.is_alpha and nxt.text[:1].isupper() and not nxt.is_upper):
        return ent
    if doc_text(doc)[ent.end_char : nxt.idx] != " ":
        return ent
    after = doc[ent.end + 1] if ent.end + 1 < len(doc) else None
    if not (_continues_name(words, nxt.text) or _nominative_given_name(words, nxt.text, after)):
        return ent
    return Span(doc, ent.start, ent.end + 1, label="PERSON")


def _nominative_given_name(words: list[str], nxt: str, after) -> bool:
    """ "Нұрпейісова – Жандосова Күлжамал 1938 жылы ...": after surnames alone, a capitalised word with
    no case ending that the clause goes on from (a number or a lower-case word, not a place's type
    word: "Оспанова Қарағанды облысында") is the given name."""
    low = nxt.lower()
    if not all(_surname_or_patronymic(_stem(w)) and not is_patronymic(_stem(w)) for w in words):
        return False
    if _stem(nxt) != low or low in KK_PLACES or after is None:
        return False
    if low not in GIVEN_NAMES and not any(element in low for element in KK_NAME_ELEMENTS):
        return False  # "Тоқаев Қорғаныс министрінің": a word of the clause, not a name
    if after.lower_.startswith(tuple(KK_REGION_WORDS) + tuple(KK_SETTLEMENT)):
        return False
    return after.is_digit or after.is_lower


def names_by_patronymic(doc: Doc, ents: list[Span]) -> list[Span]:
    """Names the model missed that a patronymic marks: a capitalised given name right before a
    word in -ұлы/-қызы (with any case ending): "Хатты Мәриям Ахметқызына бердім"."""
    taken = {i for e in ents for i in range(e.start, e.end)}
    found = []
    text = doc_text(doc)
    for tok in doc[:-1]:
        nxt = doc[tok.i + 1]
        if tok.i in taken or nxt.i in taken or not (tok.is_alpha and tok.is_title and nxt.is_alpha):
            continue
        if text[tok.idx + len(tok) : nxt.idx] == " " and is_patronymic(_stem(nxt.text)) \
                and not is_role_word(tok.text) and _stem(tok.text) in GIVEN_NAMES:
            found.append(Span(doc, tok.i, nxt.i + 1, label="PERSON"))
            taken |= {tok.i, nxt.i}
    return sorted(ents + found, key=lambda e: e.start)
