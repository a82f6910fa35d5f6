"""Exports of an output folder to the formats archives exchange data in.

    csv      persons, one row per person of a document (UTF-8 with BOM for Excel)   tabular.py
    jsonl    documents, one contract record per line                                tabular.py
    tei      TEI P5, one XML file per document, entities inline                     tei.py
    jsonld   schema.org Person nodes in one JSON-LD @graph                          jsonld.py
    eac-cpf  EAC-CPF 2010 authority records, one XML file per person                eac.py

`export(out_dir, fmt, target)` reads the records (records.py: only files with
`"schema": "testimony-record/1"`, optionally only documents a reviewer marked reviewed) and
writes them; `testimony export` (command.py) is its command line.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from pipeline.exchange.records import LoadReport, is_record, is_reviewed, load_records
from pipeline.export import atomic_file, write_bytes_atomic

__all__ = ["FORMATS", "FOLDER_FORMATS", "ExportResult", "export", "is_record", "is_reviewed", "load_records"]

FORMATS = ("csv", "jsonl", "tei", "jsonld", "eac-cpf")
FOLDER_FORMATS = ("tei", "eac-cpf")  # one file per document / person: --out is a folder


@dataclass
class ExportResult:
    documents: int
    persons: int
    files: int  # files written (1 for the single-file formats, 0 on standard output)
    skipped_unreviewed: int
    unreadable: list[str]


def export(
    out_dir: Path,
    fmt: str,
    target: Optional[Path] = None,
    *,
    reviewed_only: bool = False,
    bom: bool = True,
    stdout=None,
    warn=None,
) -> ExportResult:
    """Export the records of `out_dir` as `fmt` to `target` (a file, or a folder for tei and
    eac-cpf); single-file formats go to `stdout` (binary) when `target` is None."""
    from pipeline.exchange import eac, jsonld, tabular, tei

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    report = LoadReport()
    records = load_records(Path(out_dir), reviewed_only=reviewed_only, report=report, warn=warn)
    persons = 0
    files = 0

    if fmt in FOLDER_FORMATS:
        if target is None:
            raise ValueError(f"--format {fmt} writes one XML file per "
                             f"{'document' if fmt == 'tei' else 'person'}: give a folder with --out")
        target = Path(target)
        target.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        for record in records:
            doc_id = record["document"]["id"]
            people = [p for p in record.get("persons") or [] if isinstance(p, dict)]
            persons += len(people)
            if fmt == "tei":
                write_bytes_atomic(target / f"{doc_id}.xml", tei.document_xml(record))
                files += 1
            else:
                for person in people:
                    data = eac.person_xml(record, person, now=now)
                    write_bytes_atomic(target / eac.file_name(doc_id, person.get("id") or ""), data)
                    files += 1
        return ExportResult(report.documents, persons, files, report.skipped_unreviewed, report.unreadable)

    def count(record: dict) -> None:
        nonlocal persons
        persons += len([p for p in record.get("persons") or [] if isinstance(p, dict)])

    counted = _counting(records, count)
    with _single_file(target, stdout) as stream:
        if fmt == "csv":
            tabular.write_csv(counted, stream, bom=bom)
        elif fmt == "jsonl":
            tabular.write_jsonl(counted, stream)
        else:
            document = jsonld.graph(counted)
            stream.write(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    files = 0 if target is None else 1
    return ExportResult(report.documents, persons, files, report.skipped_unreviewed, report.unreadable)


@contextlib.contextmanager
def _single_file(target: Optional[Path], stdout) -> Iterator[BinaryIO]:
    """A binary stream to `target` (temp file renamed into place when complete) or to standard output."""
    if target is None:
        stream = stdout if stdout is not None else getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only sys.stdout (some embedding hosts)
            buffer = io.BytesIO()
            yield buffer
            sys.stdout.write(buffer.getvalue().decode("utf-8"))
            return
        sys.stdout.flush()
        yield stream
        stream.flush()
        return
    with atomic_file(Path(target), "wb") as handle:
        yield handle


def _counting(records, callback):
    for record in records:
        callback(record)
        yield record
