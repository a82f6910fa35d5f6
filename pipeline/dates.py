"""Rule-based date finder / normaliser for Russian and Kazakh archival text.

Why rules and not dateparser: dateparser reads "в 1938 году" as year 88 and knows neither
Roman-numeral months ("15/VIII-37 г.") nor Kazakh forms ("1937 жылғы 15 тамызда").

Output is ISO 8601 / EDTF at the precision the text gives: 1937, 1937-08, 1937-08-15,
seasons 1937-21..24, approximate 1900~, decades 193X, intervals 1938/1946, and a day and
month without a year as XXXX-08-15 (the caller may fill the year from context). A decade is
EDTF's unspecified digit whether or not a year word follows ("в 30-х годах", "в конце 20-х"
-> 193X, 192X); a chronology's entry that opens its line with the year ("1899, 12 мая. –
Родилась") is that year's date (1899-05-12), not a day and month without one.

Wordings read besides digits: a year with an ordinal ending and no year word ("в 1947-м", "в мае
1951-го"); a day and month, "в", then the year ("14 декабря в 1989 году"); days and years in words,
read by their pymorphy3 lemma (`pipeline.numerals`: "двадцать седьмого июня 1977 года", "в тысяча
девятьсот тридцать седьмом году"; a two-digit year in words is 19xx only after "в", "с", "до" ...,
and "на сорок втором году жизни" is an age); abbreviated months, Russian with or without the dot
("12 окт. 1937", "3 сен 1975": without it only between a day and a year), Kazakh CLDR's first three
letters and a dot ("15 там.", "1922 ж. 19 сәу."); the month first ("декабрь 20, 1999").

A date whose year is an earlier date's ("29 мая того же года", "в мае этого года", "сол жылғы 2
шілдеде") takes the year of the nearest earlier date with one in the same text (`_carry_year`);
a bare "29 мая" keeps XXXX: see there why.

Precision over recall for bare numbers: a four-digit number is a year only with a year word
("г.", "года", "гг.", "жылы", "ж.") or a clear lead-in ("в 1937", "Год рождения: 1902");
case numbers, articles, sheet and house numbers are refused.

Invalid calendar dates are dropped: "32.13.1937" yields nothing, "31 февраля 1937 г." yields
only the month it still names ("февраля 1937 г." -> 1937-02). Years outside 1800-2030 are
dropped, which also keeps durations ("на 8 лет", "8 жылға") out. Two-digit years are 19xx.

`lang` is accepted as a hint but both lexicons always run: their month names do not collide,
and paragraph tags are unreliable on mixed pages (Russian date lines inside Kazakh letters).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional

from pipeline.date_words import KK_MONTHS, mend_date_words
from pipeline.numerals import numeral, numeral_before, number

__all__ = ["DateMatch", "find_dates", "impossible_day", "longest_first", "normalize_date", "year_of", "ymd"]

MIN_YEAR, MAX_YEAR = 1800, 2030


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    text: str  # == source[start:end]
    normalized: str  # ISO 8601 / EDTF
    confidence: float  # 0..1


# --- lexicon -------------------------------------------------------------------------------

RU_MONTHS = [  # (month, full forms, abbreviation stems that need a dot)
    (1, r"январ(?:ь|я|е|ём|ю)", "янв"),
    (2, r"феврал(?:ь|я|е|ём|ю)", "февр?"),
    (3, r"март(?:а|е|ом|у)?", "мар"),
    (4, r"апрел(?:ь|я|е|ем|ю)", "апр"),
    (5, r"ма(?:й|я|е|ем|ю)", None),
    (6, r"июн(?:ь|я|е|ем|ю)", "июн"),
    (7, r"июл(?:ь|я|е|ем|ю)", "июл"),
    (8, r"август(?:а|е|ом|у)?", "авг"),
    (9, r"сентябр(?:ь|я|е|ём|ю)", "сент?"),
    (10, r"октябр(?:ь|я|е|ём|ю)", "окт"),
    (11, r"ноябр(?:ь|я|е|ём|ю)", "нояб?"),
    (12, r"декабр(?:ь|я|е|ём|ю)", "дек"),
]
# OCR drops Kazakh diacritics to the nearest Russian / Latin letter (қ->к, і->i, ә->э/а ...).
KK_LOOKALIKE = {"ә": "әэа", "ғ": "ғг", "қ": "қк", "ң": "ңн", "ө": "өо", "ұ": "ұу", "ү": "үу",
                "і": "іi", "һ": "һх"}
KK_ENDING = r"[^\W\d_]{0,7}"  # case / possessive endings: -да, -нан, -ға, -ы, -ында ...


def _kk_stem(word: str) -> str:
    return "".join(f"[{KK_LOOKALIKE[c]}]" if c in KK_LOOKALIKE else c for c in word)


RU_MONTH = "(?:" + "|".join(
    [full for _, full, _ in RU_MONTHS] + [abbr + r"\." for _, _, abbr in RU_MONTHS if abbr]) + r")(?!\w)"
# Without its dot an abbreviation is a month only between a day and a year ("3 сен 1975").
RU_MONTH_ABBR = "(?:" + "|".join(abbr for _, _, abbr in RU_MONTHS if abbr) + r")(?!\w)"
RU_MONTH_NODOT = RU_MONTH_ABBR + r"(?=\s*(?:1[89]|20)\d\d(?!\d))"
# CLDR's Kazakh abbreviations are a month's first three letters and a dot ("15 там.", "1922 ж. 19 сәу."):
# the twelve prefixes differ from each other.
KK_MONTH_ABBR = "(?:" + "|".join(_kk_stem(w[:3]) for w in KK_MONTHS) + r")\."
KK_MONTH = ("(?:(?:" + "|".join(_kk_stem(w) for w in KK_MONTHS) + ")" + KK_ENDING + r"(?!\w)|"
            + KK_MONTH_ABBR + ")")
KK_MONTH_BARE = "(?:(?:" + "|".join(_kk_stem(w) for w in KK_MONTHS) + r")(?!\w)|" + KK_MONTH_ABBR + ")"
_RU_MONTH_RES = [(n, re.compile(f"(?:{full}|{abbr}\\.?)" if abbr else full, re.I))
                 for n, full, abbr in RU_MONTHS]
_KK_MONTH_RES = [(n, re.compile(_kk_stem(w), re.I)) for n, w in enumerate(KK_MONTHS, 1)]
_KK_ABBR_RES = [(n, re.compile(_kk_stem(w[:3]) + r"\.", re.I)) for n, w in enumerate(KK_MONTHS, 1)]

RU_SEASONS = {21: r"весн(?:а|ой|ою|ы|у|е)", 22: r"лет(?:о|ом|а|е)",
              23: r"осен(?:ь|ью|и)", 24: r"зим(?:а|ой|ою|ы|у|е)"}
KK_SEASONS = {21: r"көктем(?:де|інде|і)?", 22: r"жаз(?:да|ында|ы)?",
              23: r"күз(?:де|інде|і)?", 24: r"қыс(?:та|ында|ы)?"}
RU_SEASON = "(?:" + "|".join(RU_SEASONS.values()) + r")(?!\w)"
KK_SEASON = "(?:" + "|".join(KK_SEASONS.values()) + r")(?!\w)"

# Roman months plus the OCR look-alikes seen in scans: Cyrillic Х/І/У, digit 1, l, |, П=II, Ш=III.
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8,
         "IX": 9, "X": 10, "XI": 11, "XII": 12}
_ROMAN_FIX = str.maketrans({"Х": "X", "І": "I", "1": "I", "l": "I", "|": "I", "У": "V"})
ROMAN_TOKEN = r"(?-i:[IVXХІУПШ1l|]{1,4})"

# --- building blocks ----------------------------------------------------------------------

L = r"(?<![\w№])(?<!\d[.,/\-])"  # left edge of a number: not inside another number
R = r"(?!\d)(?![.,/\-]\d)"  # right edge of a number
DAY = r"(?P<day>[0-3]?\d)"
YEAR = r"(?P<year>1[89]\d\d|20[0-3]\d)"
ORD = r"(?:-?(?:го|ом|м|й))?"  # "1937-го года", "в 1937-м году", "в 1951-ом году"
# Year words; longer alternatives first. "г." must not be the start of a word ("г. Омск" is
# fine: a year right before a town abbreviation is rare in these papers).
RU_YEAR_WORD = (r"(?:(?P<birth>[гr]\.?\s?р\.|г/р|г\.\s?рожд\.|года\s+рождения)"
                r"|г\.\s?г\.|гг\.?|[гr]\.|г(?!\w)|год(?:а|у|ом|ы|ов|ах)?(?!\w))")
# A Kazakh ordinal ending written after the year's digits: "1995-інші жылы", "2020-сыншы жылдың"
KK_YEAR_ORD = r"(?:-(?:сыншы|сінші|ыншы|інші|нші|ншы|шы|ші)\s*)?"
KK_YEAR_WORD = KK_YEAR_ORD + r"(?:жж\.|ж\.|ж(?!\w)|жыл(?![қк])[^\W\d_]{0,6}(?!\w))"  # not жылқы (horses)
YEAR_WORD = f"(?:{RU_YEAR_WORD}|{KK_YEAR_WORD})"
KK_YEAR_LINK = KK_YEAR_ORD + r"(?:жылғы|жылгы|жылы|жылдың|жылдын|ж\.)"  # "1937 жылғы 15 тамыз"
Q_OPEN, Q_CLOSE = r"[«\"„“']", r"[»\"”“']"

# Numbers right after these are references, not years ("Дело № 1937", "ф. 1937, д. 20").
_BAD_PREFIX = re.compile(r"(?:№|\bN|\bст|\bд|\bкв|\bп|\bч|\bл|\bлл|\bф|\bоп|\bдело|\bстр|\bарт)\.?\s*$", re.I)
_APPROX = re.compile(r"(?:\b(?:около|примерно|приблизительно|ориентировочно|шамамен)|\b(?:ок|прибл|шам)\.)"
                     r"\s*(?:(?:в|во)\s+)?$", re.I)
_RANGE_DASH = re.compile(r"\s*[-–—]\s*$")
_RANGE_WORD = re.compile(r"\s+(?:по|до)\s+$", re.I)
_RANGE_FROM = re.compile(r"\b(?:с|со|от)\s+$", re.I)
_KK_ABLATIVE = re.compile(r"(?:дан|ден|тан|тен|нан|нен)$", re.I)
# "того же года", "этого года", Kazakh "сол жылғы": the year is an earlier date's (see `_carry_year`).
SAME_YEAR_AFTER = r"\s+(?:(?:того|этого|того\s+же|этого\s+же|сего|текущего)\s+года)(?!\w)"
SAME_YEAR_BEFORE = r"(?<!\w)(?:сол|осы)\s+жыл(?:ы|ғы|гы|дың|дын)\s+$"
SAME_YEAR_AFTER_RX = re.compile(SAME_YEAR_AFTER, re.I)
SAME_YEAR_BEFORE_RX = re.compile(SAME_YEAR_BEFORE, re.I)
_DAY_THEN_YEAR = re.compile(r"[ \t]+(?:в|во)[ \t]+", re.I)
_KK_UNTIL = re.compile(r"\s+(?:дейін|дейiн|шейін|шейiн)\b", re.I)


# --- helpers -------------------------------------------------------------------------------

def _year(s: str) -> Optional[int]:
    y = int(s) + 1900 if len(s) == 2 else int(s)
    return y if MIN_YEAR <= y <= MAX_YEAR else None


def ymd(y: Optional[int], m: Optional[int] = None, d: Optional[int] = None) -> Optional[str]:
    """EDTF for a (partial) date, None when the calendar says no; y None -> XXXX."""
    if m is None:
        return None if y is None else f"{y:04d}"
    if not 1 <= m <= 12:
        return None
    if d is None:
        return None if y is None else f"{y:04d}-{m:02d}"
    try:
        datetime.date(y if y is not None else 2000, m, d)  # 2000: a leap year allows 29 Feb
    except ValueError:
        return None
    return f"{'XXXX' if y is None else f'{y:04d}'}-{m:02d}-{d:02d}"


def _ru_month(word: str) -> Optional[int]:
    return next((n for n, rx in _RU_MONTH_RES if rx.fullmatch(word.rstrip("."))), None)


def _kk_month(word: str) -> Optional[int]:
    """Month number; Kazakh months are written in lower case, so "Қазан..." is the city Kazan."""
    n = next((n for n, rx in _KK_MONTH_RES if rx.match(word)), None)
    if n is None:
        n = next((n for n, rx in _KK_ABBR_RES if rx.fullmatch(word)), None)
    return None if n == 10 and word.istitle() else n


def _kk_repaired(word: str, m: int) -> bool:
    word, full = word.lower(), KK_MONTHS[m - 1]
    return not (word.startswith(full) or word == full[:3] + ".")


def _season(word: str, table: dict) -> int:
    return next(code for code, rx in table.items() if re.fullmatch(rx, word, re.I))


def _roman(token: str) -> Optional[int]:
    fixed = token.replace("П", "II").replace("Ш", "III").translate(_ROMAN_FIX)
    if not token.strip("1|"):  # all digits: a numeric month, not a Roman one
        return None
    return ROMAN.get(fixed)


# --- patterns ------------------------------------------------------------------------------
# Each handler gets the match and returns (normalized, confidence) or None.
Handler = Callable[[re.Match], Optional[tuple]]
_PATTERNS: list[tuple[re.Pattern, Handler]] = []


def _rule(pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _PATTERNS.append((re.compile(pattern, re.I), fn))
        return fn
    return register


YEAR_ANY = r"(?:(?P<year>1[89]\d\d|20[0-3]\d)|(?P<yy>\d\d))"


@_rule(L + DAY + r"(?P<sep>\s?[./]\s?)(?P<mon>[01]?\d)(?:\s?[./]\s?|-)" + YEAR_ANY + R
       + rf"(?:{ORD}\s*{YEAR_WORD})?")
@_rule(L + DAY + r"-(?P<mon>[01]?\d)-" + YEAR + R + rf"(?:\s*{YEAR_WORD})?")
@_rule(L + YEAR + r"-(?P<mon>[01]\d)-(?P<day>[0-3]\d)" + R)  # ISO, in modern database printouts
def _numeric(m):
    y = _year(m["year"] or m["yy"])
    v = ymd(y, int(m["mon"]), int(m["day"]))
    return v and (v, 0.9 if m["year"] else 0.75)


@_rule(L + DAY + r"(?:\s?[./\-]\s?|\s)(?P<rom>" + ROMAN_TOKEN + r")(?:\s?[./\-]\s?|\s)"
       + YEAR_ANY + R + rf"(?:{ORD}\s*{YEAR_WORD})?")
def _roman_date(m):
    mon = _roman(m["rom"])
    if mon is None:
        return None
    v = ymd(_year(m["year"] or m["yy"]), mon, int(m["day"]))
    conf = (0.9 if m["year"] else 0.75) - (0.1 if set(m["rom"]) - set("IVX") else 0)  # OCR-repaired
    return v and (v, round(conf, 2))


@_rule(rf"(?P<q>{Q_OPEN}\s?)?" + L + DAY + ORD + rf"(?(q)\s?{Q_CLOSE})\s*(?P<mon>{RU_MONTH}|{RU_MONTH_NODOT})\s*"
       rf"(?:{YEAR}{R}{ORD}|(?P<yy>\d\d){R}(?=\s*г))(?:\s*{RU_YEAR_WORD})?")
def _ru_full(m):
    v = ymd(_year(m["year"] or m["yy"]), _ru_month(m["mon"]), int(m["day"]))
    return v and (v, 0.95 if m["year"] else 0.8)


@_rule(L + r"(?P<d1>[0-3]?\d)\s*[-–—]\s*" + DAY + rf"\s+(?P<mon>{RU_MONTH})\s*{YEAR}{R}(?:\s*{RU_YEAR_WORD})?")
def _ru_day_range(m):
    y, mon = _year(m["year"]), _ru_month(m["mon"])
    a, b = ymd(y, mon, int(m["d1"])), ymd(y, mon, int(m["day"]))
    return a and b and a < b and (f"{a}/{b}", 0.9)


@_rule(rf"(?<!\w)(?P<m1>{RU_MONTH})\s*[-–—]\s*(?P<mon>{RU_MONTH})\s*{YEAR}{R}{ORD}(?:\s*{RU_YEAR_WORD})?")
def _ru_month_range(m):
    y, a, b = _year(m["year"]), _ru_month(m["m1"]), _ru_month(m["mon"])
    return y and a < b and (f"{ymd(y, a)}/{ymd(y, b)}", 0.85)


@_rule(rf"(?<!\w)(?P<mon>{RU_MONTH})\s*{YEAR}{R}{ORD}(?:\s*{RU_YEAR_WORD})?")
def _ru_month_year(m):
    v = ymd(_year(m["year"]), _ru_month(m["mon"]))
    return v and (v, 0.9)


# The month first, the day, a comma, the year ("декабрь 20, 1999", "Авг 26, 2015"): the comma and
# the four-digit year make it a date.
@_rule(rf"(?<!\w)(?P<mon>{RU_MONTH}|{RU_MONTH_ABBR})\s+{DAY}{R},\s*{YEAR}{R}"
       rf"(?:\s*{RU_YEAR_WORD})?")
def _ru_month_day_year(m):
    v = ymd(_year(m["year"]), _ru_month(m["mon"]), int(m["day"]))
    return v and (v, 0.8)


# A month whose year is an earlier date's ("в мае того же года", "сол жылдың мамыр айында"): XXXX-MM
# here, the year comes from `_carry_year`, and without an earlier year the match is dropped there.
@_rule(rf"(?<!\w)(?P<mon>{RU_MONTH})(?={SAME_YEAR_AFTER})")
def _ru_month_same_year(m):
    return f"XXXX-{_ru_month(m['mon']):02d}", 0.7


@_rule(rf"(?P<q>{Q_OPEN}\s?)?" + L + DAY + ORD + rf"(?(q)\s?{Q_CLOSE})\s*(?P<mon>{RU_MONTH})")
def _ru_day_month(m):
    v = ymd(None, _ru_month(m["mon"]), int(m["day"]))
    return v and (v, 0.6)


# A chronology's entry: the year opens the line, then the day and month it belongs to
# ("1899, 12 мая. – Родилась в г. Самаре", "1917 г., октябрь.", "1937, 15 тамыз"). Only at a
# line's start and only without a year after the month: "в 1899 г., 12 мая 1937 г." is two dates.
@_rule(r"(?m)^[ \t]*(?:[-–—•*][ \t]*)?(?P<span>" + YEAR + R + rf"(?:[ \t]*{RU_YEAR_WORD})?[ \t]*[,.:]?[ \t]*"
       + rf"(?:{DAY}{ORD}\s+)?(?P<mon>{RU_MONTH}|{KK_MONTH}))(?!\s*\d)")
def _chronology(m):
    if m["birth"]:  # "1899 г.р., 12 мая ...": a birth year, then another date's day
        return None
    mon = _ru_month(m["mon"]) or _kk_month(m["mon"])
    day = int(m["day"]) if m["day"] else None
    v = mon and ymd(_year(m["year"]), mon, day)
    return v and (v, 0.85)


@_rule(L + YEAR + R + ORD + rf"\s*{YEAR_WORD}")
def _year_word(m):
    y = _year(m["year"])
    return y and (f"{y:04d}", 0.95 if m["birth"] else 0.9)


# Bare year (or year range) after a lead-in that makes it a date.
@_rule(r"(?:(?<!\w)(?:в|во|с|со|по|до|к|после|между)\s+|(?:год|дата)\s+(?:и\s+место\s+)?рожд(?:ения|\.)?\s*[:\-–]?\s*"
       r"|туған\s+(?:жылы|күні)\s*[:\-–]?\s*)" + rf"(?P<span>{YEAR}{R}(?:\s*[-–—]\s*(?P<y2>\d{{4}}){R})?(?:-(?:м|го|ом|й)(?!\w))?)"
       r"(?!\s*(?:лет|чел|руб|км|экз|кг|тонн|шт|дн|%|№|[-–—/]))")
def _bare_year(m):
    y = _year(m["year"])
    if m["y2"]:
        y2 = _year(m["y2"])
        return y and y2 and y < y2 and (f"{y}/{y2}", 0.7)
    return y and (f"{y:04d}", 0.7)


@_rule(r"\(\s*(?P<span>" + YEAR + r"\s*[-–—]\s*(?P<y2>\d{4}))\s*\)")  # life span "(1902–1938)"
@_rule(L + YEAR + r"\s*[-–—]\s*(?P<y2>\d{4}|\d\d)" + R + ORD
       + r"\s*(?:гг\.?|г\.\s?г\.|годы|годах|годов|годам|г\.|год(?!\w)|жж\.|ж\.|жылдар[^\W\d_]*|жылы)")
def _year_range(m):
    y1 = _year(m["year"])
    y2 = _year(m["y2"]) if len(m["y2"]) == 4 else (y1 // 100 * 100 + int(m["y2"]) if y1 else None)
    return y1 and y2 and y1 < y2 and (f"{y1}/{y2}", 0.9)


@_rule(r"(?<!\w)(?:в|во)\s+(?P<span>(?P<yy>[1-9]\d)-?(?:м|ом)?\s+году)")  # "в 37 году"; "в 10 г." may be grams
def _short_year(m):
    return f"19{m['yy']}", 0.6


# Decades, EDTF's unspecified digit: "в 30-х годах", "1930-е годы" -> 193X. Without a year word
# ("в конце 20-х", "в начале 1930-х", "в 30-е, когда ..."), two digits need a part-of-decade
# word or the phrase's end: "в 20-х числах мая" is the days 20-29.
@_rule(L + r"(?P<c>1[89]|20)?(?P<dec>\d)0-?(?:х|е|ые|ых)\s*(?:гг\.?|годы|годах|годов|годам|г\.)")
@_rule(r"(?<!\w)(?:(?:(?:в|во|к|с|до|по)\s+)?(?:сам(?:ом|ому|ого)\s+)?(?:начал[еау]|конц[еау]|середин[еуы]"
       r"|(?:первой|второй)\s+половин[еуы])\s+|(?:в|во|с|со|до|после|к)\s+(?=\d{4}|\d\d\S*\s*(?:[,.;:)!?\n]|$)))"
       r"(?P<span>(?P<c>1[89]|20)?(?P<dec>\d)0-?(?:х|ых|е|ые))(?!\w)")
def _decade(m):
    return f"{m['c'] or '19'}{m['dec']}X", 0.8 if m["c"] else 0.7


@_rule(rf"(?<!\w)(?P<s>{RU_SEASON})\s+{YEAR}{R}{ORD}(?:\s*{RU_YEAR_WORD})?")
def _ru_season(m):
    return f"{m['year']}-{_season(m['s'], RU_SEASONS)}", 0.85


@_rule(L + YEAR + rf"\s*{KK_YEAR_LINK}\s*(?P<s>{KK_SEASON})")
def _kk_season(m):
    return f"{m['year']}-{_season(m['s'], KK_SEASONS)}", 0.85


KK_AI = r"(?:\s+а[йи][^\W\d_]{0,5}(?!\w))?"  # "қазан айында"
KK_ORD = r"(?:-?(?:ші|шы|інші|ыншы|нші|ншы))?"


@_rule(L + YEAR + rf"\s*{KK_YEAR_LINK}\s*" + DAY + KK_ORD + rf"\s+(?P<mon>{KK_MONTH}){KK_AI}")
@_rule(L + DAY + KK_ORD + rf"\s+(?P<mon>{KK_MONTH_BARE})\s*{YEAR}{R}(?:\s*{KK_YEAR_WORD})?")
def _kk_full(m):
    mon = _kk_month(m["mon"])
    v = mon and ymd(_year(m["year"]), mon, int(m["day"]))
    return v and (v, 0.85 if _kk_repaired(m["mon"], mon) else 0.95)


@_rule(L + YEAR + rf"\s*{KK_YEAR_LINK}\s*(?P<mon>{KK_MONTH}){KK_AI}")
@_rule(rf"(?<!\w)(?P<mon>{KK_MONTH_BARE})\s*{YEAR}{R}\s*{KK_YEAR_WORD}")
def _kk_month_year(m):
    mon = _kk_month(m["mon"])
    v = mon and ymd(_year(m["year"]), mon)
    return v and (v, 0.8 if _kk_repaired(m["mon"], mon) else 0.9)


@_rule(rf"(?<=\s)(?P<mon>{KK_MONTH}){KK_AI}")
def _kk_month_same_year(m):
    mon = _kk_month(m["mon"])
    ok = mon and SAME_YEAR_BEFORE_RX.search(m.string, max(0, m.start() - 20), m.start())
    return ok and (f"XXXX-{mon:02d}", 0.7)


@_rule(L + DAY + KK_ORD + rf"\s+(?P<mon>{KK_MONTH})")
def _kk_day_month(m):
    mon = _kk_month(m["mon"])
    v = mon and ymd(None, mon, int(m["day"]))
    return v and (v, 0.5 if _kk_repaired(m["mon"], mon) else 0.6)


# --- dates in words --------------------------------------------------------------------------
# "двадцать седьмого июня 1977 года", "первое сентября", "в тысяча девятьсот тридцать седьмом году",
# "в сорок первом году": the numerals are read by `pipeline.numerals` (pymorphy3 lemmas).
_WORD = re.compile(r"[^\W\d_]+")
_DIGIT_DAY_BEFORE = re.compile(r"(?<![\w.,/\-])([0-3]?\d)(?:-?(?:го|е|ое))?[ \t]+$")
_RU_MONTH_WORD = re.compile(r"(?<!\w)(?:" + "|".join(full for _, full, _ in RU_MONTHS) + r")(?!\w)", re.I)
_YEAR_NOUN = re.compile(r"(?<!\w)год(?:а|у|ом)?(?!\w)", re.I)
_DIGIT_YEAR_AFTER = re.compile(rf"[ \t]*{YEAR}{R}{ORD}(?:[ \t]*{RU_YEAR_WORD})?", re.I)
_YEAR_LEAD = re.compile(r"(?<!\w)(?:в|во|с|со|по|до|к|после|между)\s+$", re.I)
_NOT_CALENDAR = re.compile(r"\s+(?:жизни|от\s+роду)(?!\w)", re.I)


def _word_year(clean: str, start: int) -> Optional[tuple[int, int]]:
    """(end, year) of a year written after a month: "1977 года" or "тридцать седьмого года"."""
    m = _DIGIT_YEAR_AFTER.match(clean, start)
    if m:
        return m.end(), int(m["year"])
    noun = _YEAR_NOUN.search(clean, start, start + 80)
    words = noun and _WORD.findall(clean, start, noun.start())
    if words and all(numeral(w) for w in words) and clean[start:noun.start()].strip(" \t") == " ".join(words):
        value = number([numeral(w) for w in words])
        year = value if value and value >= 1800 else 1900 + value if value and 10 <= value < 100 else None
        if year and MIN_YEAR <= year <= MAX_YEAR:
            return noun.end(), year
    return None


def _word_candidates(clean: str) -> Iterator[tuple[int, int, str, float]]:
    """Dates with a day or a year in words, anchored on a month or a year noun."""
    for mon in _RU_MONTH_WORD.finditer(clean):
        day = numeral_before(clean, mon.start())
        year = _word_year(clean, mon.end())
        if day:
            start, d = day
        elif year and not _DIGIT_YEAR_AFTER.match(clean, mon.end()):  # "27 июня тридцать седьмого года"
            digits = _DIGIT_DAY_BEFORE.search(clean, max(0, mon.start() - 8), mon.start())
            start, d = (digits.start(1), int(digits[1])) if digits else (mon.start(), None)
        else:
            continue  # digits only: the regex rules have it
        v = ymd(year[1] if year else None, _ru_month(mon[0]), d)
        if v:
            yield start, year[0] if year else mon.end(), v, 0.85 if year else 0.6
    for noun in _YEAR_NOUN.finditer(clean):
        found = numeral_before(clean, noun.start())
        if not found or _NOT_CALENDAR.match(clean, noun.end()):
            continue
        start, value = found
        if MIN_YEAR <= value <= MAX_YEAR:
            yield start, noun.end(), f"{value:04d}", 0.85
        elif 10 <= value < 100 and _YEAR_LEAD.search(clean, max(0, start - 8), start):
            yield start, noun.end(), f"19{value:02d}", 0.6


# --- search --------------------------------------------------------------------------------

_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n[ \t]*(?=[^\W\d_])|\u00ad")  # letters only: "38-\n46"


def _clean(text: str) -> tuple[str, list[int]]:
    """Drop soft hyphens and OCR line-end hyphenation ("авгус-\\nта"), read back month and year words
    OCR misread by one letter (`pipeline.date_words`); keep an index map."""
    keep, pos, last = [], [], 0
    for m in _HYPHEN_BREAK.finditer(text):
        keep.append(text[last:m.start()])
        pos.extend(range(last, m.start()))
        last = m.end()
    keep.append(text[last:])
    pos.extend(range(last, len(text)))
    pos.append(len(text))
    return mend_date_words("".join(keep)), pos  # "1948 жылты 5 маусын": same length, same offsets


_LINE_BREAK = re.compile(r"[ \t]*\r?\n\s*")
_YEAR_WORD_ALONE = re.compile(YEAR_WORD, re.I)


def _without_next_line_label(clean: str, s: int, e: int) -> int:
    """The end of a date that took the next line's first word for its year word: on a form,
    "1899" typed above the label "Год рождения" is the year alone. Only a capitalised year word
    after a line break goes; "1937\nгода" in running text keeps it."""
    last = None
    for last in _LINE_BREAK.finditer(clean, s, e):
        pass
    if last is None or last.end() >= e or not clean[last.end()].isupper():
        return e
    return last.start() if _YEAR_WORD_ALONE.fullmatch(clean, last.end(), e) else e


def _candidates(clean: str) -> Iterator[tuple[int, int, str, float]]:
    for rx, handler in _PATTERNS:
        pos = 0
        while (m := rx.search(clean, pos)) is not None:
            pos = m.start() + 1  # overlapping: every start position gets its own try
            res = handler(m)
            if not res:
                continue
            s, e = m.span("span") if "span" in rx.groupindex and m["span"] else m.span()
            if _BAD_PREFIX.search(clean, max(0, s - 10), s):
                continue
            yield s, _without_next_line_label(clean, s, e), res[0], res[1]


def _compose(clean: str, ms: list[list]) -> list[list]:
    """Join neighbours into intervals and absorb approximation words (both only widen spans)."""
    out: list[list] = []
    for cur in ms:
        if out:
            prev = out[-1]
            gap = clean[prev[1]:cur[0]]
            joined = (_RANGE_DASH.fullmatch(gap) or "\n" not in gap and _RANGE_WORD.fullmatch(gap)
                      and _RANGE_FROM.search(clean, max(0, prev[0] - 6), prev[0])
                      or gap.isspace() and _KK_ABLATIVE.search(clean[prev[0]:prev[1]])
                      and _KK_UNTIL.match(clean, cur[1]))
            iv = joined and _interval(prev[2], cur[2])
            if iv:
                out[-1] = [prev[0], cur[1], iv, min(prev[3], cur[3])]
                continue
            if _DAY_THEN_YEAR.fullmatch(gap) and prev[2].startswith("XXXX-") and re.fullmatch(r"\d{4}", cur[2]):
                out[-1] = [prev[0], cur[1], cur[2] + prev[2][4:], min(prev[3], cur[3])]  # "14 декабря в 1989 году"
                continue
        out.append(cur)
    for cur in out:
        ap = _APPROX.search(clean, max(0, cur[0] - 25), cur[0])
        if ap and re.fullmatch(r"\d{4}(?:-\d\d){0,2}", cur[2]) and cur[2][5:7] not in {"21", "22", "23", "24"}:
            cur[0], cur[2], cur[3] = ap.start(), cur[2] + "~", round(cur[3] - 0.05, 2)
    return out


def _interval(a: str, b: str) -> Optional[str]:
    if a.startswith("XXXX"):
        a = b[:4] + a[4:]
    if "/" in a + b or "X" in a + b:  # no nested intervals, no decades
        return None
    key = lambda v: [int(p) for p in v.rstrip("~").split("-")]  # noqa: E731
    return f"{a}/{b}" if key(a)[0] < key(b)[0] or key(a) < key(b) else None


_LAST_YEAR = re.compile(r"(\d{4})(?!.*\d{4})")


def _carry_year(clean: str, ms: list[list]) -> list[list]:
    """A date whose words say its year is an earlier one's ("29 мая того же года", "в мае этого
    года", "сол жылғы 29 мамырда") takes the year of the nearest earlier date in the text that
    has one, and the anaphor joins its span. Without such a date it keeps XXXX (a month alone is
    dropped: "в мае" is no date). A bare "29 мая" keeps XXXX even after a dated sentence: the
    text does not say which year, and a wrong year in an archive's index is worse than none
    (records fill an event's year from the text before it, where they can say so)."""
    out: list[list] = []
    year = None
    for cur in ms:
        after = SAME_YEAR_AFTER_RX.match(clean, cur[1])
        before = SAME_YEAR_BEFORE_RX.search(clean, max(0, cur[0] - 20), cur[0])
        if cur[2].startswith("XXXX") and (after or before):
            if year is None:
                if len(cur[2]) > 7:  # XXXX-MM-DD keeps its own span
                    out.append(cur)
                continue
            s, e = (before.start() if before else cur[0]), (after.end() if after else cur[1])
            cur = [s, e, year + cur[2][4:], min(cur[3], 0.8)]
        elif len(cur[2]) == 7 and cur[2].startswith("XXXX"):
            continue
        found = _LAST_YEAR.search(cur[2])
        year = found[1] if found and "X" not in cur[2] else year
        out.append(cur)
    return out


def longest_first(cands: Iterable[tuple[int, int, str, float]]) -> list[list]:
    """[start, end, value, confidence] of the candidates that no longer one (at equal length, no
    earlier, then no surer one) overlaps, sorted by start."""
    taken: list[list] = []
    for s, e, v, c in sorted(cands, key=lambda c: (c[0] - c[1], c[0], -c[3])):
        if all(e <= t[0] or s >= t[1] for t in taken):
            taken.append([s, e, v, c])
    return sorted(taken)


def find_dates(text: str, lang: Optional[str] = None) -> list[DateMatch]:
    """All date expressions in `text`: sorted, non-overlapping, the longest match wins."""
    clean, pos = _clean(text)
    taken = longest_first(set(_candidates(clean)) | set(_word_candidates(clean)))
    result = []
    for s, e, v, c in _carry_year(clean, _compose(clean, taken)):
        os_, oe = pos[s], pos[e - 1] + 1
        result.append(DateMatch(os_, oe, text[os_:oe], v, c))
    return result


_FILLER = re.compile(r"[\s.,;:()\[\]«»\"-]*(?:(?:в|во|с|со|от|до|по)\s+)?", re.I)
_TAIL = re.compile(r"[\s.,;:()\[\]«»\"]*")


def normalize_date(surface: str, lang: Optional[str] = None) -> Optional[str]:
    """Normalise one date expression; None unless it is a single date.

    The surface is taken to be a date, so forms that need a lead-in inside running text
    ("1902", "37 году", "1938 по 1946 год") are read as if one were there.
    """
    s = surface.strip()
    for lead, trail in (("", ""), ("в ", ""), ("с ", ""), ("", " дейін")):
        found = find_dates(lead + s + trail, lang)
        if len(found) == 1:
            m = found[0]
            if _FILLER.fullmatch(s[:m.start - len(lead)]) and _TAIL.fullmatch(s[m.end - len(lead):]):
                return m.normalized
    return None


_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[~?%]?")


def impossible_day(value) -> bool:
    """True for an EDTF value naming a day no calendar has ("1937-02-29", "1938-04-31", at either end of
    an interval): what joining a year from context to "29 февраля" can make, and the schema's pattern,
    which takes any day 01-31 in any month, lets through."""
    if not isinstance(value, str):
        return False
    for part in value.split("/"):
        match = _FULL_DATE.fullmatch(part)
        if match:
            try:
                datetime.date(*map(int, match.groups()))
            except ValueError:
                return True
    return False


def year_of(normalized: Optional[str]) -> Optional[int]:
    """The (first) year of an EDTF value from this module; None for XXXX-MM-DD or None."""
    return int(normalized[:4]) if normalized and normalized[:4].isdigit() else None
