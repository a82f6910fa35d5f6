"""NER throughput on one core: words per second through `EntityExtractor` (no OCR).

    .venv/bin/python bench/ner_speed.py --factrueval ../shared/data/factrueval2016 --kaznerd ../shared/data/kaznerd

Russian: the factRuEval-2016 test texts; Kazakh: KazNERD test sentences joined
into paragraphs of ten. Each text becomes a text-layer page with its language
span, as the batch hands it over. Prints model load time and words/s per
language; no assertions (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as a batch worker has

from pipeline.entities import EntityExtractor  # noqa: E402
from pipeline.model import LanguageSpan, Page  # noqa: E402


def russian_texts(root: Path, limit: int) -> list[str]:
    files = sorted((root / "testset").glob("*.txt"))[:limit]
    return [f.read_text(encoding="utf-8") for f in files]


def kazakh_texts(root: Path, limit: int) -> list[str]:
    sentences, tokens = [], []
    for line in (root / "IOB2_test.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            if tokens:
                sentences.append(" ".join(tokens))
                tokens = []
            continue
        tokens.append(parts[0])
    return [" ".join(sentences[i : i + 10]) for i in range(0, min(len(sentences), limit * 10), 10)]


def measure(extractor: EntityExtractor, lang: str, texts: list[str]) -> tuple[int, int, float]:
    pages = [Page(number=1, method="text-layer", text=t, language_spans=[LanguageSpan(0, len(t), lang, 1.0)]) for t in texts]
    extractor.extract(pages[0])  # warm-up
    words = sum(len(t.split()) for t in texts)
    started = time.perf_counter()
    found = sum(len(extractor.extract(page)) for page in pages)
    return words, found, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factrueval", type=Path, required=True)
    parser.add_argument("--kaznerd", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=120, help="texts per language (default 120)")
    parser.add_argument("--kk-model", type=Path, default=None, help="another Kazakh model folder (default models/kk_ner)")
    args = parser.parse_args()
    if args.kk_model is not None:
        import pipeline.entities

        pipeline.entities.KK_MODEL = args.kk_model
    extractor = EntityExtractor()
    print(f"{'language':8} {'load s':>7} {'texts':>6} {'words':>7} {'entities':>8} {'seconds':>8} {'words/s':>8}")
    for lang, texts in (("ru", russian_texts(args.factrueval, args.docs)), ("kk", kazakh_texts(args.kaznerd, args.docs))):
        started = time.perf_counter()
        extractor.pipeline(lang)
        load = time.perf_counter() - started
        words, found, seconds = measure(extractor, lang, texts)
        print(f"{lang:8} {load:7.2f} {len(texts):6d} {words:7d} {found:8d} {seconds:8.2f} {words / seconds:8.0f}")


if __name__ == "__main__":
    main()
