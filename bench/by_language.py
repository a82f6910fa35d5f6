#!/usr/bin/env python3
"""Entity scores per language on evaluation sets, matched the way the project's scorer matches them.

Usage: bench/by_language.py GOLD_DIR PRED_DIR [GOLD_DIR PRED_DIR ...] [--score PATH/score.py]

GOLD_DIR is an evaluation set (``gold/<id>.json``, e.g. ../shared/eval/dev), PRED_DIR the pipeline's
output folder for it (``testimony run`` records; ``../shared/eval/score-both OUT`` writes them to
OUT/dev/records and OUT/dev2/records). The matching is score.py's own, imported from --score (default
../shared/eval/score.py beside the project): documents paired by sha256, entities compared as multisets
of (label, normalised value) per document, P/R/F1 per label and micro (an unknown label counts as OTHER).

Two splits, one table each per set:
  by document   documents whose gold paragraphs are all ru, all kk, or both ("mixed");
                the "all" row is score.py's entity_f1 (a check that the matching is the same);
  by paragraph  a gold entity belongs to the gold paragraph that holds its start; a predicted entity
                to the gold paragraph its start falls in once the predicted page text is aligned word
                by word with the gold page text (OCR text differs from the gold); the multisets are
                then compared per document and language, so an entity put in the wrong language's
                paragraph counts as missed there and spurious in the other.
Prints tables, asserts nothing.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import difflib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCORE = ROOT.parent / "shared" / "eval" / "score.py"
COLUMNS = ("PERSON", "DATE", "PLACE", "ORG")


def load_score(path: Path) -> ModuleType:
    """score.py imported from where it lies, so the project never holds a copy of it."""
    if not path.is_file():
        raise SystemExit(f"by_language.py: no scorer at {path}; pass --score PATH/score.py")
    spec = importlib.util.spec_from_file_location("eval_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Tally:
    """tp / fp / fn per label for one row of a table, plus the gold count."""

    def __init__(self):
        self.counts: Dict[Tuple[str, str], int] = collections.Counter()
        self.docs = 0

    def add(self, gold: collections.Counter, pred: collections.Counter) -> None:
        for (label, _value), n in (gold & pred).items():
            self.counts[(label, "tp")] += n
        for (label, _value), n in (pred - gold).items():
            self.counts[(label, "fp")] += n
        for (label, _value), n in (gold - pred).items():
            self.counts[(label, "fn")] += n

    def f1(self, sc: ModuleType, labels: Sequence[str]) -> float:
        tp, fp, fn = (sum(self.counts[(lab, k)] for lab in labels) for k in ("tp", "fp", "fn"))
        return sc.prf(tp, fp, fn)[2]

    def gold(self, labels: Sequence[str]) -> int:
        return sum(self.counts[(lab, "tp")] + self.counts[(lab, "fn")] for lab in labels)


def doc_language(gold: dict) -> str:
    langs = {p["lang"] for p in gold["gold"]["paragraphs"]}
    return langs.pop() if len(langs) == 1 else "mixed"


def paragraph_of(paragraphs: List[dict], page: int, offset: int) -> Optional[str]:
    """Language of the gold paragraph holding `offset` on `page` (else the nearest one before it)."""
    on_page = sorted((p for p in paragraphs if p["page"] == page), key=lambda p: p["start"])
    if not on_page:
        return None
    best = on_page[0]
    for para in on_page:
        if para["start"] <= offset:
            best = para
    return best["lang"]


class PageAligner:
    """Maps offsets of a predicted page text to the gold page text through aligned words."""

    def __init__(self, sc: ModuleType, gold_text: str, pred_text: str):
        gw = [(m.start(), sc.norm_surface(m.group())) for m in sc.WORD_RE.finditer(gold_text)]
        pw = [(m.start(), sc.norm_surface(m.group())) for m in sc.WORD_RE.finditer(pred_text)]
        matcher = difflib.SequenceMatcher(None, [w for _, w in pw], [w for _, w in gw], autojunk=False)
        self.pairs: List[Tuple[int, int]] = []  # (pred word start, gold word start), increasing
        for a, b, n in matcher.get_matching_blocks():
            self.pairs.extend((pw[a + k][0], gw[b + k][0]) for k in range(n))
        self.ratio = len(gold_text) / max(len(pred_text), 1)

    def to_gold(self, offset: int) -> int:
        if not self.pairs:
            return int(offset * self.ratio)
        i = bisect.bisect_right(self.pairs, (offset, float("inf"))) - 1
        pred_start, gold_start = self.pairs[max(i, 0)]
        return gold_start + max(offset - pred_start, 0) if i >= 0 else gold_start


def _subset(sc: ModuleType, entities, keep) -> collections.Counter:
    return sc.entity_keys([e for e in entities if keep(e)])


def score_set(sc: ModuleType, gold_dir: str, pred_dir: str):
    """(tallies by document language, tallies by paragraph language) for one set."""
    gold_docs = [g for g in sc.load_gold(gold_dir) if not g["gold"].get("expected_error")]
    records = sc.load_pred(pred_dir)[0]
    matched = sc.match_predictions(gold_docs, records)
    by_doc: Dict[str, Tally] = collections.defaultdict(Tally)
    by_para: Dict[str, Tally] = collections.defaultdict(Tally)
    for g in gold_docs:
        hit = matched.get(g["gold"]["doc_id"])
        pred = hit[0] if hit else {}
        pred_ents = [e for e in pred.get("entities") or [] if isinstance(e, dict)]
        lang = doc_language(g)
        for key in (lang, "all"):
            by_doc[key].add(sc.entity_keys(g["entities"]), sc.entity_keys(pred_ents))
            by_doc[key].docs += 1
        paragraphs = g["gold"]["paragraphs"]
        gold_lang = [paragraph_of(paragraphs, e["page"], e["start"]) for e in g["entities"]]
        pred_lang = _pred_paragraph_langs(sc, g, pred, pred_ents)
        for para_lang in sorted({p["lang"] for p in paragraphs}):
            gold_keys = sc.entity_keys([e for e, la in zip(g["entities"], gold_lang) if la == para_lang])
            pred_keys = sc.entity_keys([e for e, la in zip(pred_ents, pred_lang) if la == para_lang])
            by_para[para_lang].add(gold_keys, pred_keys)
            by_para[para_lang].docs += 1
    return by_doc, by_para


def _pred_paragraph_langs(sc: ModuleType, gold: dict, pred: dict, pred_ents: List[dict]) -> List[Optional[str]]:
    gold_pages = {p["page"]: p.get("text") or "" for p in gold["pages"]}
    pred_pages = {p.get("page"): p.get("text") or "" for p in sc.pages_of(pred)}
    aligners: Dict[int, PageAligner] = {}
    out = []
    for e in pred_ents:
        page = e.get("page")
        if page not in gold_pages or page not in pred_pages or not isinstance(e.get("start"), int):
            out.append(None)  # not placeable: counts as spurious in every paragraph table
            continue
        if page not in aligners:
            aligners[page] = PageAligner(sc, gold_pages[page], pred_pages[page])
        out.append(paragraph_of(gold["gold"]["paragraphs"], page, aligners[page].to_gold(e["start"])))
    return out


def print_table(sc: ModuleType, title: str, tallies: Dict[str, Tally], rows: Sequence[str]) -> None:
    print(f"\n{title}")
    print("| rows | docs | micro F1 | " + " | ".join(COLUMNS) + " | gold entities (P/D/Pl/O) |")
    print("|---|---:|---:|" + "---:|" * len(COLUMNS) + "---|")
    for row in rows:
        if row not in tallies:
            continue
        t = tallies[row]
        labels = [*sc.LABELS, "OTHER"]
        cells = [f"{t.f1(sc, [lab]):.3f}" if t.gold([lab]) or t.counts[(lab, "fp")] else "-" for lab in COLUMNS]
        counts = "/".join(str(t.gold([lab])) for lab in COLUMNS)
        print(f"| {row} | {t.docs} | {t.f1(sc, labels):.3f} | " + " | ".join(cells) + f" | {t.gold(labels)} ({counts}) |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pairs", nargs="+", metavar="GOLD_DIR PRED_DIR", help="evaluation set and its output folder")
    ap.add_argument("--score", type=Path, default=DEFAULT_SCORE, help=f"the scorer to import (default {DEFAULT_SCORE})")
    args = ap.parse_args(argv)
    if len(args.pairs) % 2:
        ap.error("give GOLD_DIR PRED_DIR pairs (an odd number of folders was given)")
    sc = load_score(args.score)
    for gold_dir, pred_dir in zip(args.pairs[::2], args.pairs[1::2]):
        name = Path(gold_dir.rstrip("/")).name
        by_doc, by_para = score_set(sc, gold_dir, pred_dir)
        print_table(sc, f"{name}: by document language (gold paragraphs)", by_doc, ("ru", "kk", "mixed", "all"))
        print_table(sc, f"{name}: by paragraph language", by_para, ("ru", "kk"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
