"""Dates in the other languages of these archives: German, Polish, Ukrainian, Belarusian.

Papers of deported Volga Germans, Poles and Ukrainians, and Belarusian texts, reach the same
archive boxes as the Russian and Kazakh ones. No NER model is needed for their dates: numbers
and month names are enough. The knowledge is data, one `DateWords` per language (month forms,
year words, seasons, "about", the words after which a bare year is a year, decades), and the
patterns are functions of a `DateWords`, so a language is added by writing its table.

Output is the shape and EDTF of `pipeline.dates` (`DateMatch`): 1938-05-12, 1942-03, 1941-23
(autumn), 1900~, 193X, 1938/1946. Numeric and Roman-numeral dates ("20.02.1943", "12.V.1938")
and Russian-like forms ("12 мая 1938 г." in a Belarusian text) come from `pipeline.dates`; the
longest match wins where both find one. Prepositions ("im", "w", "у") stay outside the span,
as in the Russian conventions; "about" words belong to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from pipeline import dates
from pipeline.dates import YEAR, DateMatch, L, R

__all__ = ["DateWords", "LANGUAGES", "find_dates"]

YEAR2 = YEAR.replace("?P<year>", "?P<year2>")
END = r"(?!\w)"
DASH = r"\s*[-–—]\s*"


@dataclass(frozen=True)
class DateWords:
    """One language's date words, as regular expressions (matched case-insensitively)."""

    lang: str
    months: tuple[tuple[int, str], ...]  # (month number, its forms)
    year_word: str  # after a year: "г.", "року", "roku"; "" when the language writes none
    seasons: tuple[tuple[int, str], ...]  # (EDTF season 21..24, its forms)
    approx: str  # before a year: "um", "około", "близько"
    year_lead: str  # after these a bare year is a year ("im Jahre", "w", "у"); kept out of the span
    decade: str  # holds (?P<decade>[1-9]0): "30er Jahre", "30-х роках"
    range_lead: str  # before "1938-1946" with no year word after it: "von", "w latach", "у роки"
    range_link: str  # a word between the two years of a range: "bis", "do", "по"
    day: str = r"(?P<day>[0-3]?\d)"  # German writes "12." before the month


I = "[іi]"  # OCR puts a Latin i for the Ukrainian/Belarusian і
U = "[ўу]"  # and a у for ў (the OCR whitelist has no ў)

GERMAN = DateWords(
    lang="de",
    months=(
        (1, r"januar|jänner|jan\."), (2, r"februar|febr?\."), (3, r"märz|maerz|mär\."), (4, r"april|apr\."),
        (5, r"mai"), (6, r"juni|jun\."), (7, r"juli|jul\."), (8, r"august|aug\."),
        (9, r"september|sept?\."), (10, r"oktober|okt\."), (11, r"november|nov\."), (12, r"dezember|dez\."),
    ),
    year_word="",
    seasons=((21, r"frühjahr|frühling"), (22, r"sommer"), (23, r"herbst"), (24, r"winter")),
    approx=r"um|etwa|ca\.|circa|gegen",
    year_lead=r"(?:im\s+jahre?|seit|bis|ab|anno)",
    decade=r"(?:19)?(?P<decade>[1-9]0)er\s+jahren?",
    day=r"(?P<day>[0-3]?\d)\.?",
    range_lead=r"von|vom|zwischen|jahren?",
    range_link=r"bis",
)
POLISH = DateWords(
    lang="pl",
    months=(
        (1, r"stycz(?:eń|en|nia|niu|niem)|sty\."), (2, r"lut(?:y|ego|ym|emu)|lut\."),
        (3, r"mar(?:zec|ca|cu|cem)|mar\."), (4, r"kwie(?:cień|cien|tnia|tniu|tniem)|kwi\."),
        (5, r"maj(?:a|u|em)?"), (6, r"czerw(?:iec|ca|cu|cem)|cze\."), (7, r"lip(?:iec|ca|cu|cem)|lip\."),
        (8, r"sierp(?:ień|ien|nia|niu|niem)|sie\."), (9, r"wrze(?:sień|sien|śnia|snia|śniu|sniu|śniem)|wrz\."),
        (10, r"pa[źz]dziernik(?:a|u|iem)?|paź\."), (11, r"listopad(?:a|zie|em)?|lis\."),
        (12, r"grud(?:zień|zien|nia|niu|niem)|gru\."),
    ),
    year_word=r"r\.|roku|rok(?!\w)",
    seasons=((21, r"wiosn(?:ą|a|y|ie)"), (22, r"latem|lecie"), (23, r"jesieni(?:ą)?|jesień"),
             (24, r"zim(?:ą|a|y|ie)")),
    approx=r"około|ok\.|mniej\s+więcej",
    year_lead=r"(?:w\s+roku|we?)",
    range_lead=r"od|latach|lata",
    range_link=r"do",
    decade=r"lat(?:ach|a)\s+(?:19)?(?P<decade>[1-9]0)(?:\.|-tych|-ych)?(?!\s*[-–—]?\s*\d)",  # not "latach 1940–1946"
)
UKRAINIAN = DateWords(
    lang="uk",
    months=tuple((n, stem + r"(?:ень|ня|н" + I + r"|нем)") for n, stem in (
        (1, "січ"), (3, "берез"), (4, "кв" + I + "т"), (5, "трав"), (6, "черв"), (7, "лип"),
        (8, "серп"), (9, "верес"), (10, "жовт"), (12, "груд"))) + (
        (2, r"лют(?:ий|ого|ому|им)"), (11, r"листопад(?:а|" + I + r"|ом)?")),
    year_word=r"р\.|рр\.|року|р" + I + r"к|роки|роках|ро(?:ц" + I + r")",
    seasons=((21, r"навесн" + I + r"|весною|весна|весни"), (22, r"вл" + I + r"тку|л" + I + r"том|л" + I + r"то|л" + I + r"та"),
             (23, r"восени|ос" + I + r"нню|ос" + I + r"нь|ос" + I + r"ен" + I), (24, r"взимку|зимою|зима|зими")),
    approx=r"близько|приблизно|бл\.",
    year_lead=r"(?:у|в)",
    range_lead=r"з|із|роки|роках",
    range_link=r"по|до",
    decade=r"(?:19)?(?P<decade>[1-9]0)-(?:х|т" + I + r"|их)\s+рок(?:ах|и|" + I + r"в)",
)
BELARUSIAN = DateWords(
    lang="be",
    months=(
        (1, r"студзен(?:ь|я|" + I + r"|ем)"), (2, r"лют(?:ы|ага|ым|аму)"), (3, r"сакав" + I + r"к(?:а|у|ам)?"),
        (4, r"красав" + I + r"к(?:а|у|ам)?"), (5, r"тра(?:вень|" + U + r"ня|" + U + r"н" + I + r"|" + U + r"нем)|ма(?:й|я|" + I + r")"),
        (6, r"чэрвен(?:ь|я|" + I + r"|ем)"), (7, r"л" + I + r"пен(?:ь|я|" + I + r"|ем)"),
        (8, r"жн" + I + r"(?:вень|" + U + r"ня|" + U + r"н" + I + r"|" + U + r"нем)"), (9, r"верас(?:ень|ня|н" + I + r"|нем)"),
        (10, r"кастрычн" + I + r"к(?:а|у|ам)?"), (11, r"л" + I + r"стапад(?:а|зе|ам)?"), (12, r"снеж(?:ань|ня|н" + I + r"|нем)"),
    ),
    year_word=r"г\.|гг\.|года|год(?!\w)|годзе|гадах|гады",
    seasons=((21, r"увесну|вясной|вясна|вясны"), (22, r"улетку|летам|лета"),
             (23, r"увосень|восенню|восень|восен" + I), (24, r"уз" + I + r"мку|з" + I + r"мой|з" + I + r"ма|з" + I + r"мы")),
    approx=r"каля|прыбл" + I + r"зна|прыкладна",
    year_lead=r"(?:у|ў|в)",
    range_lead=r"з|са|гады|гадах",
    range_link=r"па|да",
    decade=r"(?:19)?(?P<decade>[1-9]0)-(?:х|я|ых)\s+гад(?:ах|ы|оў)",
)
LANGUAGES = {w.lang: w for w in (GERMAN, POLISH, UKRAINIAN, BELARUSIAN)}


def _alt(forms) -> str:
    return "(?:" + "|".join(f for _, f in forms) + ")"


def _which(forms, word: str) -> int:
    """The number (month, season) whose forms match `word`."""
    return next(n for n, f in forms if re.fullmatch(f"(?:{f})", word, re.I))


def _year_word(w: DateWords) -> str:
    return rf"(?:\s*(?:{w.year_word}){END})?" if w.year_word else ""


# --- patterns: each is a function of one language's words, giving (regex, value of a match) --------
Rule = Callable[[DateWords], tuple[str, Callable[[re.Match, DateWords], Optional[str]]]]


def full(w: DateWords):
    """ "12. Mai 1938", "12 maja 1938 r.", "12 травня 1938 року"."""
    pattern = rf"{L}{w.day}\s*(?P<month>{_alt(w.months)}){END}\s*,?\s*{YEAR}{R}{_year_word(w)}"
    return pattern, lambda m, w: _ymd(m["year"], _which(w.months, m["month"]), m["day"])


def month_year(w: DateWords):
    """ "März 1942", "marcu 1942", "березні 1942 року" (the preposition before stays out)."""
    pattern = rf"(?<!\w)(?P<month>{_alt(w.months)}){END}\s*,?\s*{YEAR}{R}{_year_word(w)}"
    return pattern, lambda m, w: _ymd(m["year"], _which(w.months, m["month"]))


def day_month(w: DateWords):
    """ "12. Mai", "12 maja": no year in the text (EDTF XXXX-05-12)."""
    pattern = rf"{L}{w.day}\s*(?P<month>{_alt(w.months)}){END}"
    return pattern, lambda m, w: dates.ymd(None, _which(w.months, m["month"]), int(m["day"]))


def season_year(w: DateWords):
    """ "Herbst 1941", "jesienią 1940 r.", "восени 1941 року": EDTF seasons 21..24."""
    pattern = rf"(?<!\w)(?P<season>{_alt(w.seasons)}){END}\s*{YEAR}{R}{_year_word(w)}"
    return pattern, lambda m, w: f"{m['year']}-{_which(w.seasons, m['season'])}"


def year_with_word(w: DateWords):
    """ "1938 r.", "1938 року", "каля 1900 г." (about: 1900~). German writes no year word."""
    if not w.year_word:
        return None
    pattern = rf"(?:(?<!\w)(?P<approx>{w.approx})\s*)?{L}{YEAR}{R}\s*(?:{w.year_word}){END}"
    return pattern, lambda m, w: m["year"] + ("~" if m["approx"] else "")


def year_after_lead(w: DateWords):
    """ "im Jahre 1938", "w 1938", "у 1938": a bare year after a word that announces one;
    "um 1900" (about). The lead word stays out of the span."""
    pattern = rf"(?:(?<!\w){w.year_lead}\s+|(?<!\w)(?P<approx>{w.approx})\s*){L}{YEAR}{R}(?!\s*[-–—]\s*\d)"

    def value(m, w):
        return m["year"] + ("~" if m["approx"] else "")

    return pattern, value


def year_range(w: DateWords):
    """ "1938–1946 рр.", "von 1938 bis 1946", "w latach 1940–1946" -> 1938/1946: a year word after
    the range, or a word before it that announces one (kept out of the span)."""
    tail = rf"(?:\s*(?:{w.year_word}){END})?" if w.year_word else ""
    pattern = rf"{L}{YEAR}(?:{DASH}|\s+(?:{w.range_link})\s+){YEAR2}{R}{tail}"
    lead = re.compile(rf"(?<!\w)(?:{w.range_lead})\s*$", re.I)

    def value(m, w):
        said = (w.year_word and re.search(rf"(?:{w.year_word})$", m.group(), re.I)) or lead.search(m.string[:m.start()])
        return f"{m['year']}/{m['year2']}" if said and m["year"] < m["year2"] else None

    return pattern, value


def decade(w: DateWords):
    """ "in den 30er Jahren", "w latach 30.", "у 30-х роках", "у 30-я гады": 193X."""
    return rf"(?<!\w){w.decade}{END}", lambda m, w: f"19{m['decade'][0]}X"


RULES: tuple[Rule, ...] = (full, month_year, day_month, season_year, year_with_word, year_after_lead,
                           year_range, decade)
CONFIDENCE = {full: 0.9, month_year: 0.85, season_year: 0.85, year_range: 0.85, decade: 0.8,
              year_with_word: 0.85, year_after_lead: 0.75, day_month: 0.7}


def _ymd(year: str, month: int, day: Optional[str] = None) -> Optional[str]:
    """ISO date at the precision given; None outside `pipeline.dates`' years or for a day the month
    does not have."""
    y = int(year)
    if not dates.MIN_YEAR <= y <= dates.MAX_YEAR:
        return None
    return dates.ymd(y, month, None if day is None else int(day))


def _candidates(text: str, words: DateWords) -> Iterator[tuple[int, int, str, float]]:
    for rule in RULES:
        built = rule(words)
        if built is None:
            continue
        pattern, value = built
        for m in re.finditer(pattern, text, re.I):
            found = value(m, words)
            if found:
                start = m.start("year") if rule is year_after_lead and not m["approx"] else m.start()
                end = len(text[:m.end()].rstrip(" \t,"))
                yield start, end, found, CONFIDENCE[rule]


def find_dates(text: str, lang: str) -> list[DateMatch]:
    """Dates in a paragraph of `lang` (de, pl, uk, be), with `pipeline.dates`' numeric and
    Russian-like forms; the longest match wins, no two overlap. Unknown `lang`: Russian rules only."""
    found = list(_candidates(text, LANGUAGES[lang])) if lang in LANGUAGES else []
    found += [(d.start, d.end, d.normalized, d.confidence) for d in dates.find_dates(text, lang)]
    return [DateMatch(s, e, text[s:e], v, c) for s, e, v, c in dates.longest_first(found)]
