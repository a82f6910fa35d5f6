"""Russian numerals written in words, read by their pymorphy3 lemma in any case and gender.

Dates in memoirs and letters spell their numbers out ("двадцать седьмого июня", "в тысяча
девятьсот тридцать седьмом году"). pymorphy3 gives each word's lemma ("седьмого" -> "седьмой");
the table below is the numeral system, the cardinal and ordinal lemma of each value, so every
case form is read without listing forms. The analyser is loaded on the first numeral asked
about: texts without one never pay for it.
"""

from __future__ import annotations

import functools
import re
from typing import Optional

import pymorphy3

__all__ = ["numeral", "number", "numeral_before"]

_NUMERALS = [
    (1, "один", "первый"), (2, "два", "второй"), (3, "три", "третий"), (4, "четыре", "четвёртый"),
    (5, "пять", "пятый"), (6, "шесть", "шестой"), (7, "семь", "седьмой"), (8, "восемь", "восьмой"),
    (9, "девять", "девятый"), (10, "десять", "десятый"), (11, "одиннадцать", "одиннадцатый"),
    (12, "двенадцать", "двенадцатый"), (13, "тринадцать", "тринадцатый"), (14, "четырнадцать", "четырнадцатый"),
    (15, "пятнадцать", "пятнадцатый"), (16, "шестнадцать", "шестнадцатый"), (17, "семнадцать", "семнадцатый"),
    (18, "восемнадцать", "восемнадцатый"), (19, "девятнадцать", "девятнадцатый"), (20, "двадцать", "двадцатый"),
    (30, "тридцать", "тридцатый"), (40, "сорок", "сороковой"), (50, "пятьдесят", "пятидесятый"),
    (60, "шестьдесят", "шестидесятый"), (70, "семьдесят", "семидесятый"), (80, "восемьдесят", "восьмидесятый"),
    (90, "девяносто", "девяностый"), (100, "сто", "сотый"), (200, "двести", "двухсотый"),
    (300, "триста", "трёхсотый"), (400, "четыреста", "четырёхсотый"), (500, "пятьсот", "пятисотый"),
    (600, "шестьсот", "шестисотый"), (700, "семьсот", "семисотый"), (800, "восемьсот", "восьмисотый"),
    (900, "девятьсот", "девятисотый"), (1000, "тысяча", "тысячный"), (2000, None, "двухтысячный"),
]
_NUMERAL_LEMMA = {lemma: (value, ordinal) for value, *lemmas in _NUMERALS
                  for ordinal, lemma in enumerate(lemmas) if lemma}
_WORD_BEFORE = re.compile(r"(?<!\w)([^\W\d_]+)[ \t]+$")


@functools.lru_cache(maxsize=1)
def _morph():
    return pymorphy3.MorphAnalyzer(lang="ru")


@functools.lru_cache(maxsize=8192)
def numeral(word: str) -> Optional[tuple[int, bool]]:
    """(value, ordinal?) of one numeral word in any case ("седьмого" -> (7, True)), else None."""
    if len(word) < 3:
        return None
    for parse in _morph().parse(word.lower()):
        if parse.normal_form in _NUMERAL_LEMMA and ({"NUMR", "Anum"} & parse.tag.grammemes or
                                                   parse.normal_form in ("тысяча", "сто")):
            return _NUMERAL_LEMMA[parse.normal_form]
    return None


def number(words: list[tuple[int, bool]]) -> Optional[int]:
    """The value of numeral words read together, or None: "тысяча девятьсот тридцать седьмой" is
    1937; the parts must fall in size, only the last may be ordinal ("седьмой двадцать" is none)."""
    total, part, last = 0, 0, 10_000
    for k, (value, ordinal) in enumerate(words):
        if ordinal and k < len(words) - 1:
            return None
        if value >= 1000:
            if total:
                return None
            total += (part or 1) * value if value == 1000 else value
            part, last = 0, 1000
            continue
        size = 100 if value >= 100 else 20 if value >= 20 else 10 if value >= 10 else 1
        if size >= last or (size < 20 and last in (10, 20) and size >= 10 or size == 1 and last == 10):
            return None
        part, last = part + value, size
    return total + part


def numeral_before(text: str, end: int, want_ordinal: bool = True) -> Optional[tuple[int, int]]:
    """(start, value) of the longest numeral phrase that ends at `end` (blanks between its words);
    with `want_ordinal` its last word must be ordinal ("двадцать седьмого", not "пять")."""
    words: list[tuple[int, tuple[int, bool]]] = []
    while (m := _WORD_BEFORE.search(text, max(0, end - 40), end)) and (num := numeral(m[1])):
        words.insert(0, (m.start(1), num))
        end = m.start(1)
        if len(words) == 5:
            break
    if not words or want_ordinal and not words[-1][1][1]:
        return None
    for k in range(len(words)):  # the longest phrase that reads as one number
        value = number([w for _, w in words[k:]])
        if value is not None:
            return words[k][0], value
    return None
