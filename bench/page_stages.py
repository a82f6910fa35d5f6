"""Where a page's time goes: ms per page for each stage, in one process, on one core.

    .venv/bin/python bench/page_stages.py INPUT... [--limit N]

Reads every page of the inputs the way a batch worker does (a PDF's text-layer
pages in runs, their entities found together; scans one by one: ingest,
cleaning and OCR, language tags, entities), then builds each document's
person records and writes its record to a temporary folder (the contract check
included), timing each stage with the models already loaded. The model loading
time is printed apart. For the batch as a whole, with start-up and parallel
workers, see bench/throughput.py. Prints a table; no assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as a batch worker has

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import __version__, imaging, ingest, language, ocr  # noqa: E402
from pipeline.batch import PageOptions, PageReader, page_runs  # noqa: E402
from pipeline.export import write_document  # noqa: E402
from pipeline.model import Document, DocumentInfo, Page  # noqa: E402
from pipeline.normalize import harmonize_names  # noqa: E402
from pipeline.records import RecordBuilder  # noqa: E402

STAGES = ("ingest", "clean", "ocr", "language", "entities", "records", "write")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="at most this many documents (default: all)")
    args = parser.parse_args()

    started = time.perf_counter()
    reader = PageReader(PageOptions())
    for lang in ("ru", "kk"):
        reader.extractor.pipeline(lang)
    records = RecordBuilder()
    print(f"models loaded in {time.perf_counter() - started:.2f} s")

    sources = []
    for src in ingest.discover(args.inputs):
        try:
            sources.append(ingest.inspect(src))
        except Exception as error:  # a file the batch would fail: not timed here
            print(f"skipped {src.source}: {error}")
    sources = sources[: args.limit or None]
    spent: dict[str, float] = defaultdict(float)
    pages = words = ocr_pages = 0
    with tempfile.TemporaryDirectory() as out:
        for src in sources:
            done = []
            tick = time.perf_counter()

            def lap(stage: str) -> None:
                nonlocal tick
                now = time.perf_counter()
                spent[stage] += now - tick
                tick = now

            for numbers in page_runs(src):  # as the batch hands them out
                alone = list(numbers) if len(numbers) == 1 else []
                texts = []
                for number in numbers if len(numbers) > 1 else ():
                    content = ingest.load_text_page(src, number)
                    lap("ingest")
                    if content is None:
                        alone.append(number)  # a scan: read by itself, below
                        continue
                    page = Page(number=number, method="text-layer", text=content.text)
                    page.language_spans = reader.tag(page.text)
                    lap("language")
                    texts.append(page)
                if texts:
                    for page, entities in zip(texts, reader.extractor.extract_pages(texts)):
                        page.entities = entities
                    lap("entities")
                for number in alone:
                    tick = time.perf_counter()
                    content = ingest.load_page(src, number)
                    lap("ingest")
                    if content.text is not None:
                        page = Page(number=number, method="text-layer", text=content.text)
                    else:
                        image, dpi = imaging.prepare_for_ocr(content.image, content.dpi)
                        lap("clean")
                        result = ocr.ocr_page(image, dpi)
                        page = Page(number=number, method="ocr", text=result.text, ocr_confidence=result.confidence,
                                    words=result.words, width=result.width, height=result.height, dpi=result.dpi,
                                    ocr_lang=result.model)
                        ocr_pages += 1
                        lap("ocr")
                    page.language_spans = reader.tag(page.text)
                    lap("language")
                    page.entities = reader.extractor.extract(page)
                    lap("entities")
                    texts.append(page)
                for page in texts:
                    page.words = []  # as a worker sends it
                    done.append(page)
                    pages += 1
                    words += len(page.text.split())
            done.sort(key=lambda page: page.number)
            tick = time.perf_counter()
            harmonize_names([e for page in done for e in page.entities])
            info = DocumentInfo(id=src.id, source=src.source, sha256=src.sha256, page_count=src.page_count,
                                languages=language.document_languages((p.text, p.language_spans) for p in done),
                                pipeline_version=__version__, format=src.format)
            document = Document(info=info, pages=done, warnings=list(src.warnings))
            document.persons = records.build(document)
            middle = time.perf_counter()
            spent["records"] += middle - tick
            write_document(document, Path(out))
            spent["write"] += time.perf_counter() - middle

    if not pages:
        sys.exit("no pages read")
    total = sum(spent.values())
    print(f"{len(sources)} documents, {pages} pages ({ocr_pages} OCR), {words / pages:.0f} words a page")
    print("| stage | ms per page |")
    print("|---|---|")
    for stage in STAGES:
        if stage in spent:
            print(f"| {stage} | {1000 * spent[stage] / pages:.1f} |")
    print(f"| total | {1000 * total / pages:.1f} ({pages / total:.1f} pages/s) |")


if __name__ == "__main__":
    main()
