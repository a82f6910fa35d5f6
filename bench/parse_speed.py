"""Speed of the Russian phrase parse (`pipeline.syntax`) on one core, in words/s.

    .venv/bin/python bench/parse_speed.py --factrueval ../shared/data/factrueval2016

Three numbers on the factRuEval-2016 test texts: Slovnet morphology + syntax on every sentence
(what a full parse would cost); the Russian entity pipeline with the parse as it runs (only the
sentences with an ORG/PLACE entity or an organ/district head word); and the same pipeline without
the two syntax components. No assertions (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as a batch worker has

from pipeline.entities import build_pipeline  # noqa: E402


def timed(nlp, texts: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    parsed = 0
    for doc in nlp.pipe(texts):
        parsed += sum(len(words) for words in (doc._.syntax or []))
    return time.perf_counter() - started, parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factrueval", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=120, help="texts (default 120)")
    args = parser.parse_args()
    texts = [f.read_text(encoding="utf-8") for f in sorted((args.factrueval / "testset").glob("*.txt"))[: args.docs]]
    words = sum(len(t.split()) for t in texts)
    nlp = build_pipeline("ru")
    syntax = nlp.get_pipe("slovnet_syntax")
    started = time.perf_counter()
    sentences = []
    syntax.all_sentences = True
    for text in texts:
        sentences.extend(syntax.sentences(nlp.make_doc(text)))
    syntax.parse(sentences)
    every = sum(len(s) for s in sentences)
    full = time.perf_counter() - started
    syntax.all_sentences = False
    timed(nlp, texts)  # warm the pymorphy3 caches, so that neither timed run pays for filling them
    with_parse, parsed = timed(nlp, texts)
    with nlp.select_pipes(disable=["slovnet_syntax", "testimony_phrases"]):
        without, _ = timed(nlp, texts)
    print(f"{len(texts)} texts, {words} words")
    print(f"parse of every sentence: {every / full:8.0f} words/s ({every} words)")
    print(f"pipeline with the parse: {words / with_parse:8.0f} words/s ({parsed} words parsed, {parsed / words:.0%})")
    print(f"pipeline without it:     {words / without:8.0f} words/s")


if __name__ == "__main__":
    main()
