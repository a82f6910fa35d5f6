#!/usr/bin/env python3
"""Peer date table bench: how `pipeline.dates.find_dates` reads dates that other projects test.

Usage: bench/peer_dates.py [--table ../shared/data/peer/dates.json] [--misses]

The table (see its README) holds 111 peer cases (dateparser, natasha, yargy, Date::Manip,
parsedatetime), 296 CLDR formats written by Babel (Russian and Kazakh) and 44 negatives.
A case is *found* when find_dates returns any date for its input, and *right* when one of
the values found is the expected one; the two ends of an interval count as values found
("1 сентября 1939 — 2 сентября 1945" holds both dates a peer suite asks for); *exact* counts
only a value equal to the expected one, as the table's README measured. A negative
passes when nothing is found beyond the values the same input's positive cases expect
("19 марта 2001. Вчера ..." must give 2001-03-19 and nothing for "вчера").
Prints tables, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.dates import find_dates  # noqa: E402

DEFAULT_TABLE = ROOT.parent / "shared" / "data" / "peer" / "dates.json"


def values(matches) -> set[str]:
    """Every value found, with an interval's two ends."""
    out: set[str] = set()
    for m in matches:
        out.add(m.normalized)
        out.update(m.normalized.split("/"))
    return out


def suite(case: dict) -> str:
    source = case["source"]
    if "Babel" in source:
        return "babel " + source.split("locale=")[1].replace(" format=", " ")
    return source.split("@")[0].split(" ")[0].removeprefix("github:")


def is_kk_abbreviated(case: dict) -> bool:
    return "locale=kk format=medium" in case["source"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    ap.add_argument("--misses", action="store_true", help="list every case read wrong")
    args = ap.parse_args()
    cases = json.loads(args.table.read_text(encoding="utf-8"))
    expected_in: dict[str, set] = defaultdict(set)
    for c in cases:
        if c["kind"] != "negative":
            expected_in[c["input"]].add(c["expected"])
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # cases, found, right, exact
    misses, neg_fail, kk = [], [], [0, 0]
    for c in cases:
        matches = find_dates(c["input"])
        got = values(matches)
        if c["kind"] == "negative":
            extra = got - expected_in[c["input"]]
            if extra:
                neg_fail.append((c["input"], sorted(extra)))
            continue
        right = c["expected"] in got
        exact = c["expected"] in {m.normalized for m in matches}
        for key in (suite(c), f"all {c['kind']}"):
            row = rows[key]
            row[0] += 1
            row[1] += bool(got)
            row[2] += right
            row[3] += exact
        if is_kk_abbreviated(c):
            kk[0] += 1
            kk[1] += right
        if not right:
            misses.append((c["input"], c["expected"], sorted(got)))
    print(f"{'suite':<44} {'cases':>5} {'found':>7} {'right':>7} {'exact':>7}")
    for key in sorted(rows, key=lambda k: (k.startswith("all"), k)):
        n, f, r, x = rows[key]
        print(f"{key:<44} {n:>5} {f / n:>7.1%} {r / n:>7.1%} {x / n:>7.1%}")
    print(f"Kazakh abbreviated months right: {kk[1]} of {kk[0]}")
    negatives = sum(c["kind"] == "negative" for c in cases)
    print(f"negatives with a date found: {len(neg_fail)} of {negatives}")
    for text, extra in neg_fail:
        print(f"  NEGATIVE {text[:70]!r}: {extra}")
    if args.misses:
        for text, want, got in misses:
            print(f"  MISS {text[:70]!r}: want {want}, got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
