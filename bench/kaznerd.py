#!/usr/bin/env python3
"""Kazakh NER bench: KazNERD test through the Kazakh model alone and through the shipped entity pipeline.

Usage: bench/kaznerd.py DATA_DIR [--limit N]

DATA_DIR is the KazNERD folder (``IOB2_test.txt``; /work/shared/data/kaznerd). The test split is read,
its labels mapped and its sentences turned into text exactly as for training and for
``training/kk_ner/evaluate.py`` (whose scoring this reuses): PERSON -> PERSON, DATE -> DATE,
GPE and LOCATION -> PLACE, ORGANISATION -> ORG, the other 21 classes dropped (``training/kk_ner/prepare.py``).
Each system tokenises each sentence's text itself; entities count only on exactly the gold character
span and label (P / R / F1 per label and micro over the four).

Systems:
  model               ``spacy.load("models/kk_ner")`` as it is on disk -- evaluate.py's setting, the one
                      the README's KazNERD line (micro .856) was measured in;
  model, folded       the same with the embedding folded as testimony loads it (same entities, faster);
  entity pipeline     ``pipeline.entities.build_pipeline("kk")``: the model, then cleanup, organs, dates
                      and normalisation. Its spans follow the archive's conventions (a date rule's span,
                      an organ's whole name), not KazNERD's, so exact match may cost it points here.
Speed: KazNERD words (tokens with a letter or digit) per second, this process's threads
(OMP_NUM_THREADS defaults to 1 here: one core, as a batch worker has). Prints tables, asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _training_module(name: str):
    """training/kk_ner/<name>.py by path: the folder is no package, and "evaluate" is also a PyPI name."""
    spec = importlib.util.spec_from_file_location(f"kk_ner_{name}", ROOT / "training" / "kk_ner" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kk_evaluate = _training_module("evaluate")
kk_prepare = _training_module("prepare")

LABELS = kk_evaluate.LABELS
YEAR = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)")


def load_test(data: Path, limit: int):
    """KazNERD test sentences as gold spaCy Docs, built the way training/kk_ner/prepare.py builds test.spacy."""
    import spacy

    import pipeline.kazakh  # noqa: F401  registers "kk"

    path = data / "IOB2_test.txt"
    if not path.is_file():
        raise SystemExit(f"kaznerd.py: {path} not found; DATA_DIR must be the KazNERD folder")
    sentences = kk_prepare.read_conll(path)
    if limit:
        sentences = sentences[:limit]
    return kk_prepare.to_docs(spacy.blank("kk"), sentences)


def systems():
    """(name, loader) pairs; loaders run lazily so each load is timed on its own."""
    import spacy

    import pipeline.kazakh
    from pipeline.entities import KK_MODEL, build_pipeline

    def folded():
        nlp = spacy.load(KK_MODEL)
        pipeline.kazakh.fold_embedding_projection(nlp)
        return nlp

    return [
        ("model", lambda: spacy.load(KK_MODEL)),
        ("model, folded", folded),
        ("entity pipeline", lambda: build_pipeline("kk")),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="KazNERD folder (IOB2_test.txt)")
    ap.add_argument("--limit", type=int, default=0, help="first N test sentences only (0: all)")
    args = ap.parse_args(argv)

    gold = load_test(args.data, args.limit)
    words = sum(1 for doc in gold for tok in doc if any(ch.isalnum() for ch in tok.text))
    counts = {label: sum(1 for d in gold for e in d.ents if e.label_ == label) for label in LABELS}
    print(f"KazNERD test: {len(gold):,} sentences, {words:,} words, gold {counts}")
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")

    rows, digit_dates = [], []
    for name, load in systems():
        t0 = time.perf_counter()
        nlp = load()
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        preds = list(nlp.pipe([d.text for d in gold], batch_size=256))
        seconds = time.perf_counter() - t0
        rows.append((name, kk_evaluate.score(Replay(preds), gold)))
        digit_dates.append((name, dated_recall(gold, preds)))
        print(f"  {name:<16} load {loaded:5.2f} s  {seconds:6.1f} s  {words / seconds:7,.0f} words/s")

    print("\nexact span match (P / R / F1)")
    head = f"{'system':<18}" + "".join(f" {lab + ' P/R/F1':>20}" for lab in (*LABELS, "micro", "micro w/o DATE"))
    print(head)
    print("-" * len(head))
    for name, scores in rows:
        per = scores["per_label"]
        no_date = kk_evaluate.prf(*(sum(per[lab][k] for lab in LABELS if lab != "DATE") for k in ("tp", "pred", "gold")))
        cells = [per[lab] for lab in LABELS] + [scores["micro"], no_date]
        print(f"{name:<18}" + "".join(f" {c['p']:6.3f}{c['r']:7.3f}{c['f']:7.3f}" for c in cells))
    print("\nDATE recall on the gold dates with a four-digit year (KazNERD's DATE also holds durations, \"3 күн\",")
    print("\"20 жыл\", and relative dates, \"бүгін\", \"биыл\": no dates in the output contract; the pipeline")
    print("keeps only the dates its rules find and normalise)")
    for name, (found, total) in digit_dates:
        print(f"{name:<18} {found}/{total} = {found / max(total, 1):.3f}")
    return 0


class Replay:
    """Hands evaluate.score the docs already made, so the time above is the pipeline's alone."""

    def __init__(self, docs):
        self.docs = docs

    def pipe(self, texts, batch_size: int = 0):
        return iter(self.docs)


def dated_recall(gold, preds):
    """(exactly found, total) gold DATE spans that hold a four-digit year."""
    found = total = 0
    for g, p in zip(gold, preds):
        predicted = {(e.start_char, e.end_char) for e in p.ents if e.label_ == "DATE"}
        for e in g.ents:
            if e.label_ == "DATE" and YEAR.search(e.text):
                total += 1
                found += (e.start_char, e.end_char) in predicted
    return found, total


if __name__ == "__main__":
    raise SystemExit(main())
