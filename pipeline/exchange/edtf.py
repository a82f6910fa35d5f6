"""EDTF values as the pipeline writes them, read back into what XML date attributes can say.

The records hold dates as ISO 8601 / EDTF at the precision the text gives ("1937-08-15",
"1937", "1937~", "1937-23" for autumn, "193X", "1938/1946", "XXXX-08-15"). TEI and EAC-CPF
take W3C dates only (xs:date, xs:gYearMonth, xs:gYear): a plain value goes to `when` /
`standardDate`, a season or decade becomes a pair of bounds, an interval a start and an end.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Optional

_SINGLE = re.compile(
    r"(?P<y>\d{4}|\d{3}X|\d{2}XX|XXXX)(?:-(?P<m>\d\d|XX)(?:-(?P<d>\d\d|XX))?)?(?P<q>[~?%])?"
)
# EDTF seasons 21-24. Winter (24) is read as the winter months of that calendar year
# (January, February and December): "зимой 1937 г." may mean either end of the year.
SEASONS = {21: ("spring", 3, 5), 22: ("summer", 6, 8), 23: ("autumn", 9, 11), 24: ("winter", 1, 12)}


@dataclass(frozen=True)
class Single:
    """One EDTF date (not an interval)."""

    raw: str
    iso: Optional[str]  # a plain W3C date (YYYY, YYYY-MM, YYYY-MM-DD) when the value names one
    earliest: Optional[str]  # bounds as W3C dates; None when the year is unknown
    latest: Optional[str]
    approximate: bool = False  # "~" or "%"
    uncertain: bool = False  # "?" or "%"
    label: Optional[str] = None  # "autumn 1937", "1930s": for values without an ISO form


@dataclass(frozen=True)
class Interval:
    raw: str
    start: Optional[Single]  # None: open ("..") or unknown
    end: Optional[Single]


def parse(value: Optional[str]):
    """A `Single`, an `Interval`, or None for a value that is not EDTF."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if "/" in value:
        parts = value.split("/")
        if len(parts) != 2:
            return None
        ends = []
        for part in parts:
            if part in ("", ".."):
                ends.append(None)
                continue
            single = _single(part)
            if single is None:
                return None
            ends.append(single)
        return Interval(value, ends[0], ends[1])
    return _single(value)


def _single(value: str) -> Optional[Single]:
    match = _SINGLE.fullmatch(value)
    if not match:
        return None
    year, month, day, qualifier = match["y"], match["m"], match["d"], match["q"] or ""
    flags = {"approximate": qualifier in "~%" and bool(qualifier), "uncertain": qualifier in "?%" and bool(qualifier)}
    if year == "XXXX":
        return Single(value, None, None, None, **flags)
    if "X" in year:
        digits = year.rstrip("X")
        width = 4 - len(digits)
        low, high = digits + "0" * width, digits + "9" * width
        label = f"{low}s"
        return Single(value, None, low, high, label=label, **flags)
    if month is None or month == "XX":
        return Single(value, year, year, year, **flags)
    number = int(month)
    if number in SEASONS:
        name, first, last = SEASONS[number]
        return Single(value, None, f"{year}-{first:02d}", f"{year}-{last:02d}", label=f"{name} {year}", **flags)
    if not 1 <= number <= 12:
        return None
    year_month = f"{year}-{month}"
    if day is None or day == "XX":
        return Single(value, year_month, year_month, year_month, **flags)
    try:
        datetime.date(int(year), number, int(day))
    except ValueError:
        return Single(value, year_month, year_month, year_month, **flags)
    full = f"{year_month}-{day}"
    return Single(value, full, full, full, **flags)


def is_plain(value: Optional[str]) -> bool:
    """True for YYYY, YYYY-MM, YYYY-MM-DD without qualifiers: a value W3C dates take as it is."""
    date = parse(value)
    return isinstance(date, Single) and date.iso == date.raw


def human(value: Optional[str]) -> str:
    """A reader's form: "1937-08-15", "ca. 1937", "1937?", "autumn 1937", "1938 – 1946"."""
    date = parse(value)
    if date is None:
        return value or ""
    if isinstance(date, Interval):
        return f"{_human_single(date.start) if date.start else '?'} – {_human_single(date.end) if date.end else '?'}"
    return _human_single(date)


def _human_single(date: Single) -> str:
    text = date.iso or date.label or date.raw.rstrip("~?%")
    if date.approximate:
        text = f"ca. {text}"
    if date.uncertain:
        text = f"{text}?"
    return text
