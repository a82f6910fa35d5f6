#!/usr/bin/env python3
"""Build langdetect's Kazakh profile (langdetect ships none) from the KazNERD *valid* split.

Usage: build_kk_profile.py KAZNERD_DIR [--out models/langdetect/kk] [--min-ratio N]

Only `IOB2_valid.txt` is read: the test split stays held out for bench/langid.py.
The profile is made exactly as langdetect makes its own (LangProfile.update over NGram
1-3-grams, then omit_less_freq), and written in langdetect's JSON profile format.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Iterator

from langdetect.utils.lang_profile import LangProfile

ROOT = Path(__file__).resolve().parent.parent


def read_conll_sentences(path: Path) -> Iterator[list[str]]:
    """Token lists of a CoNLL-style `token TAG` file (blank line between sentences)."""
    tokens: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if tokens:
                    yield tokens
                tokens = []
                continue
            tokens.append(line.rsplit(" ", 1)[0] if " " in line else line)
    if tokens:
        yield tokens


def build_profile(sentences: Iterator[list[str]], name: str = "kk", min_ratio: int = 0) -> LangProfile:
    """langdetect's recipe; `min_ratio` > 0 additionally drops n-grams rarer than n_words[0]/min_ratio."""
    profile = LangProfile(name=name)
    for tokens in sentences:
        profile.update(" ".join(tokens))
    profile.omit_less_freq()
    if min_ratio:
        cut = profile.n_words[0] // min_ratio
        for gram, count in list(profile.freq.items()):
            if count < cut:
                profile.n_words[len(gram) - 1] -= count
                del profile.freq[gram]
    return profile


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kaznerd_dir", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "langdetect" / "kk")
    ap.add_argument("--min-ratio", type=int, default=0, help="extra pruning, see build_profile (default: none)")
    args = ap.parse_args(argv)
    profile = build_profile(read_conll_sentences(args.kaznerd_dir / "IOB2_valid.txt"), "kk", args.min_ratio)
    data = {"freq": dict(sorted(profile.freq.items())), "n_words": profile.n_words, "name": "kk"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(profile.freq)} n-grams, n_words={profile.n_words}, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
