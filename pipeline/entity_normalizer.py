"""The `testimony_normalize` component: the contract's `normalized` value of every entity.

Names, places and organisations go through `pipeline.normalize`; a surname alone
or with initials takes case and gender from its own clause (`pipeline.name_context`);
a name OCR broke takes the value `pipeline.name_repair` mended; DATE values come
from the date rules.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline import boundaries, dates, name_repair, organs
from pipeline.cleanup import NOT_NAMES
from pipeline.name_context import gender_after
from pipeline.names import surname_of_gender
from pipeline.normalize import Normalizer

_ORG_ABBREVIATIONS = re.compile(r"(?<=ской )обл\.?(?=\s|$)")
_WORDS = re.compile(r"[^\W\d_]+")
_KK_ATTACHED = re.compile(organs.KK_ATTACHED)
_KK_COUNCIL = re.compile(organs.KK_COUNCIL)


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
            if self.lang == "kk":  # "КСРО ІІХК жаны::дағы Ерекше кеңес": the link word as it is spelt
                text = _KK_COUNCIL.sub("кеңес", _KK_ATTACHED.sub("жанындағы", text))
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
