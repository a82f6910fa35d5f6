"""Peer name tables through `testimony normalize`: accuracy overall and per class.

    .venv/bin/python bench/peer_names.py [--peer ../shared/data/peer] [--no-context] [--errors N]

names_ru.json (Russian names in every case, each with the sentence it stands in) and names_kk.json
(Kazakh names in seven cases) were made outside this project; they measure the name normaliser and
are never a source of rules. Each case goes through `normalize_command.normalize_value`, the code
path of `testimony normalize --kind person` (with `--context` set to the case's sentence), and is
right when its `normalized` equals `expected` exactly.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.normalize import Normalizer  # noqa: E402
from pipeline.normalize_command import normalize_value  # noqa: E402

DEFAULT_PEER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "peer"
CLASSES = {"names_ru.json": ("kind", "case", "gender"), "names_kk.json": ("kind", "case")}


def score(cases: list[dict], lang: str, normalizer: Normalizer, use_context: bool) -> list[tuple[dict, str]]:
    """(case, what the normaliser gave) for every case."""
    out = []
    for case in cases:
        context = case.get("sentence") if use_context else None
        got = normalize_value(case["input"], "person", lang, context, normalizer)
        out.append((case, got["normalized"] or ""))
    return out


def report(name: str, results: list[tuple[dict, str]], classes: tuple, errors: int) -> None:
    right = sum(got == case["expected"] for case, got in results)
    print(f"{name}: {right}/{len(results)} = {100 * right / len(results):.1f} %")
    for key in classes:
        tally = collections.defaultdict(lambda: [0, 0])
        for case, got in results:
            tally[case.get(key)][0] += got == case["expected"]
            tally[case.get(key)][1] += 1
        cells = ", ".join(f"{value} {r}/{n} {100 * r / n:.1f} %" for value, (r, n) in sorted(tally.items(), key=str))
        print(f"  by {key}: {cells}")
    wrong = [(case, got) for case, got in results if got != case["expected"]]
    for case, got in wrong[:errors]:
        print(f"    {case['input']!r} -> {got!r}, expected {case['expected']!r}  [{case.get('kind')} {case.get('case')}"
              f" {case.get('gender', '')}] {case.get('sentence', '')}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER, help="folder with names_ru.json, names_kk.json")
    parser.add_argument("--no-context", action="store_true", help="leave the context sentences out")
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="show the first N wrong cases per table")
    args = parser.parse_args(argv)
    normalizer = Normalizer()
    for name, lang in (("names_ru.json", "ru"), ("names_kk.json", "kk")):
        path = args.peer / name
        if not path.is_file():
            print(f"peer_names: {path} not found; give the folder with --peer", file=sys.stderr)
            return 2
        cases = json.loads(path.read_text(encoding="utf-8"))
        started = time.perf_counter()
        results = score(cases, lang, normalizer, not args.no_context)
        report(name, results, CLASSES[name], args.errors)
        print(f"  {len(cases) / (time.perf_counter() - started):.0f} names/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
