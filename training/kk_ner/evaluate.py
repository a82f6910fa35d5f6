"""Score a Kazakh NER pipeline on a DocBin (by default the KazNERD test split from prepare.py).

    python training/kk_ner/evaluate.py models/kk_ner training/kk_ner/corpus/test.spacy \
        [--json training/kk_ner/output/test_scores.json] [--folded]

The pipeline tokenises each document's text itself (as `spacy evaluate` does); predicted
and gold entities are compared on exact character spans. Prints per-label P/R/F1 and the
micro average over PERSON, DATE, PLACE and ORG as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LABELS = ("PERSON", "DATE", "PLACE", "ORG")


def prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f, "tp": tp, "pred": n_pred, "gold": n_gold}


def score(nlp, gold_docs, batch_size: int = 256) -> dict:
    counts = {label: [0, 0, 0] for label in LABELS}  # tp, pred, gold
    texts = [d.text for d in gold_docs]
    for gold, pred in zip(gold_docs, nlp.pipe(texts, batch_size=batch_size)):
        g = {(e.start_char, e.end_char, e.label_) for e in gold.ents if e.label_ in counts}
        p = {(e.start_char, e.end_char, e.label_) for e in pred.ents if e.label_ in counts}
        for _, _, label in g:
            counts[label][2] += 1
        for _, _, label in p:
            counts[label][1] += 1
        for _, _, label in g & p:
            counts[label][0] += 1
    per_label = {label: prf(*c) for label, c in counts.items()}
    micro = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return {"per_label": per_label, "micro": micro}


def markdown(scores: dict) -> str:
    rows = ["| label | P | R | F1 | gold |", "|---|---:|---:|---:|---:|"]
    for label, s in scores["per_label"].items():
        rows.append(f"| {label} | {s['p']:.4f} | {s['r']:.4f} | {s['f']:.4f} | {s['gold']} |")
    m = scores["micro"]
    rows.append(f"| **micro** | {m['p']:.4f} | {m['r']:.4f} | **{m['f']:.4f}** | {m['gold']} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("data", type=Path, help=".spacy DocBin with gold entities")
    ap.add_argument("--json", type=Path, default=None, help="also write the scores here")
    ap.add_argument("--folded", action="store_true",
                    help="fold the embedding projection first, as testimony does at load time "
                         "(pipeline.kazakh.fold_embedding_projection): same scores, faster")
    args = ap.parse_args(argv)

    import spacy
    from spacy.tokens import DocBin

    import pipeline.kazakh  # noqa: F401  registers "kk" and kk.RichMultiHashEmbed.v1

    nlp = spacy.load(args.model)
    if args.folded and not pipeline.kazakh.fold_embedding_projection(nlp):
        print("note: this pipeline's embedding cannot be folded; scored as loaded")
    gold = list(DocBin().from_disk(args.data).get_docs(nlp.vocab))
    t0 = time.perf_counter()
    scores = score(nlp, gold)
    elapsed = time.perf_counter() - t0
    scores["docs"] = len(gold)
    scores["words_per_second"] = round(sum(len(d) for d in gold) / elapsed)
    print(markdown(scores))
    print(f"\n{len(gold)} docs, {scores['words_per_second']} words/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
