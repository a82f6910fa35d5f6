"""Month and year words OCR misread by one letter, read back before the date rules run.

A typewritten "1943 жылғы 5 маусымда" comes out as "1948 жылты 5 маусын"; "в мае
1937 г." as "в мае", "в мав". The date rules match words exactly, so one wrong letter
loses the date. A word right after a number (a day before its month, a year before its
year word) that is one substitution from a month's or a year word's form, and is no such
form itself, is read as that form. The substitution keeps every offset, so the entity's
text stays as OCR read it.
"""

from __future__ import annotations

import re

# The forms a month or year word takes right after a number (a day, a year).
_RU_MONTH_FORMS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
                   "октября", "ноября", "декабря")
_RU_YEAR_FORMS = ("года", "году", "годы")
# The Kazakh months, January first (the date rules' `pipeline.dates` reads them from here).
KK_MONTHS = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
             "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"]
_KK_MONTH_ENDINGS = ("", "да", "де", "та", "те", "ында", "інде", "ы", "і", "ның", "нің", "дың", "дің", "тың", "тің")
_KK_YEAR_FORMS = ("жылғы", "жылы", "жылдың", "жылдан", "жылға")
# Kazakh words that differ from a month's form by one letter and stand after numbers in their own
# right: "5 қазақ" (five Kazakhs) is no October.
_NOT_DATE_WORDS = frozenset({"қазақ", "қазақы", "қазақта", "қазақты"})

_AFTER_DAY = frozenset(_RU_MONTH_FORMS) | frozenset(s + e for s in KK_MONTHS for e in _KK_MONTH_ENDINGS)
_AFTER_YEAR = frozenset(_RU_YEAR_FORMS) | frozenset(_KK_YEAR_FORMS)
# Every form of the year words the date rules read ("жылда", "жылдары", "годах").
_YEAR_FORM = re.compile(r"(?:жыл(?:ы|ғы|гы|дың|дын|дан|ға|да|дар\w*)|год(?:а|у|ы|ом|ах|ов|ам))$")
_WORD_AFTER_NUMBER = re.compile(r"(?<![\d\w])(?P<num>\d{1,4})(?P<gap>[ \t]+)(?P<word>[^\W\d_]{4,12})(?!\w)")


def _one_letter_from(word: str, forms: frozenset) -> str:
    """The one form of `forms` that `word` (lower case) differs from by a single letter; '' if none
    or several."""
    fits = {f for f in forms if len(f) == len(word) and sum(a != b for a, b in zip(f, word)) == 1}
    return fits.pop() if len(fits) == 1 else ""


def mend_date_words(text: str) -> str:
    """`text` with each misread month or year word after a number read back (same length, same
    offsets); everything else as it was."""
    out = list(text)
    changed = False
    for m in _WORD_AFTER_NUMBER.finditer(text):
        word = m.group("word")
        low = word.lower()
        if low in _AFTER_DAY or low in _AFTER_YEAR or _YEAR_FORM.match(low) or \
                low in _NOT_DATE_WORDS or low.startswith("жылқ"):  # "1937 жылқы": 1937 horses
            continue  # a form already
        forms = _AFTER_YEAR if len(m.group("num")) == 4 else _AFTER_DAY
        fit = _one_letter_from(low, forms)
        if fit:
            fit = fit.upper() if word.isupper() else fit[0].upper() + fit[1:] if word[:1].isupper() else fit
            out[m.start("word") : m.end("word")] = fit
            changed = True
    return "".join(out) if changed else text
