"""Issue 14, "Must be true" 5: sentences of our own wording through the shipped entity stage, one group
per class of text that fails (tests/wording_cases.py holds the cases and says how to read them).

Each case runs as the batch runs a page: `EntityExtractor.extract`, then `harmonize_names`. Its expected
entities must be there (label, exact surface, normalised value) and its forbidden ones not. Values are
compared as ../shared/eval/score.py compares them (NFC, casefold, ё = е, one kind of dash, spaces
collapsed, punctuation at the ends dropped), plus: spaces around a dash do not count.
Cases today's pipeline fails are marked xfail(strict=True), so a fix shows up as XPASS: then drop the
case's entry from wording_cases.XFAIL.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from pipeline.entities import EntityExtractor
from pipeline.model import LanguageSpan, Page
from pipeline.normalize import harmonize_names
from tests.wording_cases import ALL, GROUPS, Case

_DASHES = re.compile(r"\s*[-‐‑‒–—―]\s*")


def fold(value: str) -> str:
    """The scorer's notion of the same value: case, ё, dashes, spaces and end punctuation do not count."""
    value = unicodedata.normalize("NFC", value or "").casefold().replace("ё", "е")
    value = _DASHES.sub("-", " ".join(value.split()))
    value = re.sub(r"\.(?=\S)", ". ", value)  # "Н.Е." = "Н. Е."
    return value.strip(" .,;:!?\"'«»()[]")


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    extractor = EntityExtractor()
    for lang in ("ru", "kk"):  # load both models here, so that no case's duration includes them
        extractor.pipeline(lang)
    return extractor


def entities_of(extractor: EntityExtractor, case: Case) -> list:
    text = case.text
    page = Page(number=1, method="text-layer", text=text, language_spans=[LanguageSpan(0, len(text), case.lang, 1.0)])
    entities = extractor.extract(page)
    harmonize_names(entities)
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
    return entities


def _params():
    for case in ALL:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


def verdict(case: Case, entities: list) -> tuple[list, list]:
    """The expected entities missing and the forbidden ones present."""
    missing = [(label, surface, normalized) for label, surface, normalized in case.expect
               if not any(e.label == label and e.text == surface and fold(e.normalized) == fold(normalized)
                          for e in entities)]
    intruders = []
    for label, fragment in case.forbid:
        start = case.text.index(fragment)
        end = start + len(fragment)
        intruders += [(e.label, e.text, e.normalized) for e in entities
                      if (label is None or e.label == label) and e.start < end and start < e.end]
    return missing, intruders


@pytest.mark.parametrize("case", list(_params()))
def test_wording(extractor, case):
    entities = entities_of(extractor, case)
    missing, intruders = verdict(case, entities)
    got = [(e.label, e.text, e.normalized) for e in entities]
    assert not missing and not intruders, f"missing {missing}; forbidden {intruders}; got {got}"


def test_every_class_has_its_group_and_enough_sentences():
    assert len(GROUPS) == 7 and all(len(cases) >= 20 for cases in GROUPS.values())
    assert len(ALL) >= 180 and len({case.text for case in ALL}) == len(ALL)
    assert {case.lang for case in ALL} == {"ru", "kk"}
    for case in ALL:
        assert case.expect or case.forbid, case.id
        for _, fragment in case.forbid:
            assert fragment in case.text, (case.id, fragment)  # a forbid that names no text could never fail
        for _, surface, _ in case.expect:
            assert surface in case.text, case.id


@pytest.mark.parametrize("a, b", [("Пётр", "петр"), ("Сейтказина – Ермекова", "Сейтказина-Ермекова"),
                                  ("Гордеева Е.Н.", "Гордеева Е. Н."), ("«Степлаг»", "Степлаг")])
def test_fold_treats_as_equal_what_the_scorer_does(a, b):
    assert fold(a) == fold(b)


@pytest.mark.parametrize("a, b", [("Лагерь", "Лагер"), ("Иваново", "Иванове"), ("Крылов В. П.", "Крылова В. П.")])
def test_fold_keeps_what_issue_14_is_about(a, b):
    assert fold(a) != fold(b)


def test_verdict_names_what_is_missing_and_what_intrudes():
    from pipeline.model import Entity

    case = Case("x-01", "Жалоба ушла в прокуратуру Джамбулской области.", "ru",
                (("ORG", "прокуратуру Джамбулской области", "прокуратура Джамбулской области"),),
                (("PLACE", "Джамбулской области"),))
    start = case.text.index("Джамбулской")
    place = Entity("PLACE", "Джамбулской области", start, len(case.text) - 1, "ru", "Джамбулская область", 0.9)
    org = Entity("ORG", "прокуратуру Джамбулской области", start - 12, len(case.text) - 1, "ru",
                 "Прокуратура Джамбулской области", 0.9)
    assert verdict(case, [place]) == ([case.expect[0]], [("PLACE", "Джамбулской области", "Джамбулская область")])
    assert verdict(case, [org]) == ([], [])
