"""What the words before a name say of its case and gender.

A surname with initials carries no gender of its own in most cases: "Тюменцева Д. Г." is his
genitive or her nominative, "Ивановой" any of her four oblique cases. The sentence decides, by
Russian government and agreement, read here with pymorphy3 on the word right before the name:

* a preposition governs a case ("с Ивановым": instrumental; "о Петровой": prepositional);
* a noun in apposition agrees in case and gender ("выдана гражданке Ивановой": dative, feminine),
  and so does a substantivised participle ("обвиняемой Петровой");
* any other noun governs a genitive ("жена Тюменцева Д. Г.": his genitive);
* a transitive verb takes its object in the accusative ("допросил Иванову А. А.");
* a short passive participle or an intransitive verb with no subject before it has the name as its
  subject, nominative, in its own gender ("Арестована Иванова А. А."); with a subject already
  there ("Справка выдана Иванову") the name is the recipient, dative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from pipeline.names import APPOSITION_LEMMAS, KINSHIP_LEMMAS, PREPOSITION_CASES, TITLES

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
CASE_ALIAS = {"gen2": "gent", "acc2": "accs", "loc2": "loct", "voct": "nomn"}  # pymorphy3's second cases, vocative


@dataclass
class Cue:
    """Cases the context allows for the name (case -> weight, the usual one 1.0) and its gender."""

    cases: dict = field(default_factory=dict)
    gender: Optional[str] = None  # "masc" / "femn"


def words_before(context: str, surface: str) -> list[str]:
    """The words of `context` before `surface`; all of them when `surface` is not in it."""
    at = context.lower().find(surface.strip().lower()) if surface.strip() else -1
    return _WORD.findall(context[:at] if at >= 0 else context)


def read_cue(morph, context: Optional[str], surface: str) -> Cue:
    """The case and gender cue of the word right before `surface` in `context`."""
    if not context:
        return Cue()
    words = words_before(context, surface)
    if not words:
        return Cue()
    word = words[-1].lower()
    if word in PREPOSITION_CASES:
        return Cue({c: 1.0 - 0.3 * n for n, c in enumerate(PREPOSITION_CASES[word])})
    parses = [p for p in morph.parse(word) if p.score >= 0.05] or morph.parse(word)[:1]
    pos = parses[0].tag.POS if parses else None
    if pos == "NOUN" or pos in ("ADJF", "PRTF"):
        apposition = _comma_between(context, words[-1], surface)  # "мою мать, Антонову Е. И.,"
        agreeing = [p for p in parses if p.tag.POS in ("ADJF", "PRTF") or p.normal_form in APPOSITION_LEMMAS
                    or word.rstrip(".") in TITLES
                    or "anim" in p.tag and (apposition or p.normal_form not in KINSHIP_LEMMAS)]
        if agreeing:
            return _agreement(agreeing)
        return Cue({"gent": 1.0})
    if pos in ("PRTS", "VERB", "INFN"):
        return _verb_cue(morph, parses[0], words[:-1])
    return Cue()


def _comma_between(context: str, word: str, surface: str) -> bool:
    """A comma between the noun and the name sets the name off as its apposition."""
    at = context.lower().find(surface.strip().lower())
    if at < 0:
        return False
    before = context[:at].rstrip()
    return before.endswith(",") and before[:-1].rstrip().lower().endswith(word.lower())


def _agreement(parses) -> Cue:
    """Apposition: the name takes the case(s) and gender of the word in front."""
    cases: dict = {}
    genders = set()
    for p in parses:
        if p.tag.number == "plur":
            continue
        cases.setdefault(CASE_ALIAS.get(p.tag.case, p.tag.case), 1.0)
        genders.add(p.tag.gender)
    gender = genders.pop() if len(genders) == 1 and genders <= {"masc", "femn"} else None
    return Cue(cases, gender)


def _verb_cue(morph, parse, earlier: list[str]) -> Cue:
    gender = parse.tag.gender if parse.tag.gender in ("masc", "femn") else None
    if parse.tag.POS != "PRTS" and "tran" in parse.tag and "pssv" not in parse.tag:
        return Cue({"accs": 1.0})  # "допросил Иванову"
    if _has_subject(morph, parse, earlier):
        return Cue({"datv": 1.0, "ablt": 0.5})  # "справка выдана Иванову", "осуждена тройкой"
    return Cue({"nomn": 1.0}, gender)  # "Арестована Иванова", "Умер Петров"


def _has_subject(morph, verb, earlier: list[str]) -> bool:
    """A nominative noun before the verb that agrees with it: the name is then not its subject."""
    for word in earlier[-3:]:
        for p in morph.parse(word.lower()):
            tag = p.tag
            if tag.POS == "NOUN" and tag.case == "nomn" and p.score >= 0.05 and tag.number == verb.tag.number \
                    and (verb.tag.gender is None or tag.gender == verb.tag.gender):
                return True
    return False


# Words after a name that refer back to it and carry its gender.
_GENDERED_BACK = {"он": "m", "она": "f", "который": "m", "которая": "f", "которого": "m", "которой": "f",
                  "которому": "m", "которую": "f", "ему": "m", "ей": "f", "им": "m", "ею": "f"}


def gender_after(text_after: str) -> Optional[str]:
    """ "Дело Гаврилова П. Н. пересмотрено, он реабилитирован": the first pronoun of the name's own
    sentence after it that refers back tells its gender ('m' / 'f'); None when another capitalised
    word (another name, maybe) comes first or the sentence ends."""
    clause = re.split(r"\.\s|;|\n\n", text_after, maxsplit=1)[0][:100]
    for word in _WORD.findall(clause):
        low = word.lower()
        if low in _GENDERED_BACK:
            return _GENDERED_BACK[low]
        if word[:1].isupper() and len(word) > 1 and not word.isupper():  # "ИТЛ", "НКВД" are no names
            return None
    return None
