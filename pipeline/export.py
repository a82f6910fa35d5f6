"""Export: documents to the contract's JSON, written atomically, and the error log.

A JSON file appears under its final name only when it is complete (temp
file, fsync, rename), so an interrupted run never leaves a truncated record
that a re-run would take for finished work.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Optional

from pipeline.errors import OutputError, TestimonyError
from pipeline.model import Document

SCHEMA_ID = "testimony-record/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "testimony-record-1.schema.json"
ERRORS_FILE = "errors.jsonl"


def document_to_dict(doc: Document) -> dict:
    """The contract's shape; extra fields (format, page size, OCR model, warnings) are additions it allows."""
    info = doc.info
    pages = []
    for page in doc.pages:
        pages.append(
            {
                "page": page.number,
                "method": page.method,
                "text": page.text,
                "ocr_confidence": None if page.ocr_confidence is None else round(page.ocr_confidence, 4),
                "language_spans": [
                    {**asdict(span), "confidence": round(span.confidence, 4)} for span in page.language_spans
                ],
                "width": page.width,
                "height": page.height,
                "dpi": page.dpi,
                "ocr_model": page.ocr_lang,
            }
        )
    return {
        "schema": SCHEMA_ID,
        "document": {
            "id": info.id,
            "source": info.source,
            "sha256": info.sha256,
            "page_count": info.page_count,
            "languages": list(info.languages),
            "pipeline_version": info.pipeline_version,
            "format": info.format,
            "warnings": list(doc.warnings),
        },
        "pages": pages,
        "entities": _page_entities(doc),
        "persons": list(doc.persons),
    }


def _page_entities(doc: Document) -> list[dict]:
    """The pages' entities in reading order, numbered e1, e2, ... across the document."""
    out = []
    for page in doc.pages:
        for entity in sorted(page.entities, key=lambda e: (e.start, e.end)):
            out.append(
                {
                    "id": f"e{len(out) + 1}",
                    "label": entity.label,
                    "text": entity.text,
                    "page": page.number,
                    "start": entity.start,
                    "end": entity.end,
                    "lang": entity.lang,
                    "normalized": entity.normalized,
                    "confidence": entity.confidence,
                    "bbox": entity.bbox,
                }
            )
    return out


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def contract_problems(record: dict) -> list[str]:
    """Everything wrong with a record: JSON Schema errors, then what a schema cannot say
    (offsets that do not match the text, language spans that leave gaps)."""
    problems = [
        f"{'/'.join(map(str, err.absolute_path)) or '(root)'}: {err.message}"
        for err in sorted(_validator().iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        return problems
    pages = record["pages"]
    if len(pages) != record["document"]["page_count"]:
        problems.append("document/page_count does not match the number of pages")
    for index, page in enumerate(pages, start=1):
        if page["page"] != index:
            problems.append(f"pages/{index - 1}: page number {page['page']} out of order")
        cursor = 0
        for span in page["language_spans"]:
            if span["start"] != cursor or span["end"] <= span["start"]:
                problems.append(f"pages/{index - 1}/language_spans: gap or overlap at {span['start']}")
            cursor = span["end"]
        if page["language_spans"] and cursor != len(page["text"]):
            problems.append(f"pages/{index - 1}/language_spans: end at {cursor}, text has {len(page['text'])}")
    for entity in record["entities"]:
        page_no = entity["page"]
        if page_no > len(pages):
            problems.append(f"entity {entity['id']}: page {page_no} does not exist")
        elif pages[page_no - 1]["text"][entity["start"] : entity["end"]] != entity["text"]:
            problems.append(f"entity {entity['id']}: text does not match its offsets")
    return problems


def write_json_atomic(path: Path, payload: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            json.dump(payload, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def output_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / f"{doc_id}.json"


def write_document(doc: Document, out_dir: Path) -> Path:
    record = document_to_dict(doc)
    problems = contract_problems(record)
    if problems:
        raise OutputError(
            f"{doc.info.source}: the result breaks the output contract: {'; '.join(problems[:5])}",
            hint="This is a bug in the pipeline; please report it with the input file.",
        )
    path = output_path(out_dir, doc.info.id)
    try:
        write_json_atomic(path, record)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write the result ({exc.strerror}).",
            hint="Check free disk space and write permission on the output folder.",
        ) from exc
    return path


def existing_result(out_dir: Path, doc_id: str, sha256: str, version: str) -> Optional[Path]:
    """The finished JSON for this content and pipeline version, if a run already wrote it."""
    path = output_path(out_dir, doc_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))["document"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if document.get("sha256") == sha256 and document.get("pipeline_version") == version:
        return path
    return None


class ErrorLog:
    """`errors.jsonl`: one line per failed (or warned-about) file, appended as it happens."""

    def __init__(self, out_dir: Path, run_id: str):
        self.path = out_dir / ERRORS_FILE
        self.run_id = run_id

    def record(
        self,
        file: str,
        error: BaseException,
        *,
        sha256: Optional[str] = None,
        page: Optional[int] = None,
        level: str = "error",
    ) -> dict:
        entry = {
            "file": file,
            "sha256": sha256 or None,
            "id": sha256[:16] if sha256 else None,
            "page": page,
            "level": level,
            "stage": getattr(error, "stage", "pipeline"),
            "error": type(error).__name__ if level == "error" else None,
            "message": getattr(error, "message", None) or str(error),
            "hint": getattr(error, "hint", "") or None,
            "run": self.run_id,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    def warn(self, file: str, message: str, *, sha256: Optional[str] = None, stage: str = "ingest") -> dict:
        warning = TestimonyError(message)
        warning.stage = stage
        return self.record(file, warning, sha256=sha256, level="warning")
