"""OCR character error rate: our cleaning + OCR against plain Tesseract.

    python bench/ocr_cer.py EVAL_DIR [--only dev02,dev08] [--jobs 2]

EVAL_DIR is a development set (manifest.json, inputs/, gold/<id>.pN.txt),
e.g. /work/shared/eval/dev.  For every image input (PNG/JPEG scans, TIFF,
image-only PDF rendered at 300 DPI in memory; born-digital PDFs are skipped)
it reads the pages twice:

  plain  `tesseract -l rus+kaz`, default page segmentation, the image as given
  ours   `imaging.prepare_for_ocr` + `ocr.ocr_page(lang="auto")`

and compares each with the gold text (pages joined by a space, whitespace
collapsed): CER = Levenshtein distance / gold length, per document, per kind
and pooled (total edits / total gold characters), with seconds per page.
It prints a table and whether the targets hold; it asserts nothing.

The edit distance is the scorer's own (EVAL_DIR/../score.py, imported, not
copied).  Tesseract runs with OMP_THREAD_LIMIT=1, at most --jobs processes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"  # for pytesseract's (plain) runs; ours sets it per call

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.7  # pooled scan CER at most 0.7 x plain tesseract's
TARGET_SLACK = 0.01  # and no document worse than plain by more than 1 CER point

_levenshtein = None


def _load_levenshtein(eval_dir: Path):
    score_py = eval_dir.parent / "score.py"
    if score_py.is_file():
        spec = importlib.util.spec_from_file_location("_eval_score", score_py)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.levenshtein
    from pipeline.records import edit_distance  # the same distance, when the scorer is not next to the set

    return edit_distance


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def load_pages(path: Path):
    """Page images and their DPI; PDFs rendered at 300 DPI in memory."""
    from PIL import Image, ImageSequence

    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            return [pdf[i].render(scale=300 / 72).to_pil() for i in range(len(pdf))], 300
        finally:
            pdf.close()
    with Image.open(path) as im:
        dpi = im.info.get("dpi")
        dpi = int(round(float(dpi[0]))) if dpi and dpi[0] else None
        return [frame.copy() for frame in ImageSequence.Iterator(im)], dpi


def read_plain(image, dpi):
    import pytesseract

    config = f"--dpi {dpi}" if dpi else ""
    return pytesseract.image_to_string(image, lang="rus+kaz", config=config)


def read_ours(image, dpi):
    from pipeline import imaging, ocr

    clean, clean_dpi = imaging.prepare_for_ocr(image, dpi)
    return ocr.ocr_page(clean, clean_dpi, lang="auto").text


def _task(args):
    eval_dir, doc, engine = args
    pages, dpi = load_pages(eval_dir / doc["input"])
    reader = read_plain if engine == "plain" else read_ours
    t0 = time.perf_counter()
    texts = [reader(p, dpi) for p in pages]
    seconds = time.perf_counter() - t0
    gold = " ".join(
        collapse((eval_dir / "gold" / f"{doc['doc_id']}.p{i}.txt").read_text(encoding="utf-8"))
        for i in range(1, len(pages) + 1)
    ).strip()
    pred = " ".join(collapse(t) for t in texts).strip()
    global _levenshtein
    if _levenshtein is None:
        _levenshtein = _load_levenshtein(eval_dir)
    return doc["doc_id"], engine, _levenshtein(pred, gold), len(gold), seconds / max(1, len(pages)), len(pages)


def kind_of(doc) -> str:
    if doc["kind"] == "scan":
        return "png/jpeg scan"
    return {"tiff": "tiff", "image_pdf": "image-only pdf"}.get(doc["kind"], doc["kind"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--only", default="", help="comma-separated document ids")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    args = ap.parse_args(argv)

    manifest = json.loads((args.eval_dir / "manifest.json").read_text(encoding="utf-8"))
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    docs = [d for d in manifest["documents"] if d["kind"] != "text_pdf" and not d.get("expected_error")]
    if only:
        docs = [d for d in docs if d["doc_id"] in only]
    if not docs:
        print("no image documents selected")
        return 0
    tasks = [(args.eval_dir, d, e) for d in docs for e in ("plain", "ours")]
    with Pool(max(1, min(args.jobs, 2))) as pool:
        results = pool.map(_task, tasks, chunksize=1)
    res = {(r[0], r[1]): r for r in results}

    print(f"{'doc':6} {'kind':15} {'hard':4} {'pages':>5} {'plain CER':>10} {'ours CER':>9} {'delta':>8} "
          f"{'plain s/pg':>10} {'ours s/pg':>9}")
    groups: dict[str, list] = {}
    worse = []
    for d in docs:
        p, o = res[(d["doc_id"], "plain")], res[(d["doc_id"], "ours")]
        pc, oc = p[2] / p[3], o[2] / o[3]
        if oc > pc + TARGET_SLACK:
            worse.append(d["doc_id"])
        print(f"{d['doc_id']:6} {kind_of(d):15} {'yes' if d.get('hard') else '':4} {p[5]:5d} {pc:10.4f} {oc:9.4f} "
              f"{oc - pc:+8.4f} {p[4]:10.2f} {o[4]:9.2f}")
        groups.setdefault(kind_of(d), []).append((p, o))
        groups.setdefault("ALL image inputs (pooled)", []).append((p, o))

    print()
    print(f"{'kind':26} {'docs':>4} {'plain CER':>10} {'ours CER':>9} {'ratio':>6} {'plain s/pg':>10} {'ours s/pg':>9}")
    pooled = None
    for kind, rows in sorted(groups.items(), key=lambda kv: (kv[0].startswith("ALL"), kv[0])):
        pe, pn = sum(p[2] for p, _ in rows), sum(p[3] for p, _ in rows)
        oe, on = sum(o[2] for _, o in rows), sum(o[3] for _, o in rows)
        pages = sum(p[5] for p, _ in rows)
        ps = sum(p[4] * p[5] for p, _ in rows) / pages
        os_ = sum(o[4] * o[5] for _, o in rows) / pages
        ratio = (oe / on) / (pe / pn) if pe else float("nan")
        print(f"{kind:26} {len(rows):4d} {pe / pn:10.4f} {oe / on:9.4f} {ratio:6.2f} {ps:10.2f} {os_:9.2f}")
        if kind.startswith("ALL"):
            pooled = (pe / pn, oe / on)

    print()
    ok_pooled = pooled[1] <= TARGET_RATIO * pooled[0]
    print(f"target pooled CER <= {TARGET_RATIO} x plain ({TARGET_RATIO * pooled[0]:.4f}): "
          f"{'HOLDS' if ok_pooled else 'FAILS'} (ours {pooled[1]:.4f}, plain {pooled[0]:.4f})")
    print(f"target no document worse than plain by > {TARGET_SLACK}: "
          f"{'HOLDS' if not worse else 'FAILS (' + ', '.join(worse) + ')'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
