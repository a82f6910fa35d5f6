"""Export: documents to the contract's JSON, written atomically, and the error log.

A JSON file appears under its final name only when it is complete (temp
file, fsync, rename), so an interrupted run never leaves a truncated record
that a re-run would take for finished work. The temp file's name says which
process wrote it (`.<name>.<host>-<pid>.<random>.tmp`): a run killed between
writing and renaming leaves one behind, and the next run removes it once
that process is gone (`remove_stale_temp_files`), without touching the
temp files of another run writing to the same folder.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import re
import socket
import tempfile
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import IO, Callable, Iterator, Optional

from pipeline import dates
from pipeline.errors import OutputError, OutputUnavailable, TestimonyError, UsageError
from pipeline.model import Document, DocumentInfo, Entity, LanguageSpan, Page
from pipeline.sanitize import Finding, repair

SCHEMA_ID = "testimony-record/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "testimony-record-1.schema.json"
ERRORS_FILE = "errors.jsonl"
RUN_FILE = "run.json"  # the summary of the last run; not a document record
RECORD_NAME = re.compile(r"[0-9a-f]{16}\.json")
TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp")
FOREIGN_TEMP_AGE_S = 3600  # a temp file written on another machine is stale after this long
_UMASK = os.umask(0o022)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK  # what open() would give; temp files are created 0600


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
            **({"source_encoding": info.source_encoding} if info.source_encoding else {}),
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
    return [
        {
            "id": entity_id,
            "label": entity.label,
            "text": entity.text,
            "page": page,
            "start": entity.start,
            "end": entity.end,
            "lang": entity.lang,
            "normalized": entity.normalized,
            "confidence": entity.confidence,
            "bbox": entity.bbox,
        }
        for entity_id, page, entity in doc.numbered_entities()
    ]


def document_from_dict(record: dict) -> Document:
    """A written record back into dataclasses (for `testimony index`, re-reading, tests).
    OCR word boxes are not part of the JSON, so pages come back without words."""
    meta = record["document"]
    info = DocumentInfo(
        id=meta["id"], source=meta["source"], sha256=meta["sha256"], page_count=meta["page_count"],
        languages=list(meta.get("languages") or []), pipeline_version=meta.get("pipeline_version", ""),
        format=meta.get("format"), source_encoding=meta.get("source_encoding"),
    )
    pages = []
    for item in record["pages"]:
        pages.append(Page(
            number=item["page"], method=item["method"], text=item["text"],
            ocr_confidence=item.get("ocr_confidence"),
            language_spans=[LanguageSpan(s["start"], s["end"], s["lang"], s["confidence"])
                            for s in item.get("language_spans", [])],
            width=item.get("width"), height=item.get("height"), dpi=item.get("dpi"), ocr_lang=item.get("ocr_model"),
        ))
    for item in record.get("entities", []):
        pages[item["page"] - 1].entities.append(Entity(
            label=item["label"], text=item["text"], start=item["start"], end=item["end"], lang=item["lang"],
            normalized=item.get("normalized"), confidence=item.get("confidence", 0.0), bbox=item.get("bbox"),
        ))
    return Document(info=info, pages=pages, persons=list(record.get("persons", [])),
                    warnings=list(meta.get("warnings", [])))


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    """jsonschema's validator: the reference, and the source of every problem message."""
    import jsonschema

    return jsonschema.Draft202012Validator(_schema())


# Keywords whose meaning is the same in draft 2020-12 (what the schema declares) and in
# draft 7 (what fastjsonschema implements), as long as `$ref` stands alone and `items` is
# one schema. Anything else (prefixItems, unevaluatedProperties, dependentRequired,
# $dynamicRef, minContains, if/then/else, format, ...) is not known to mean the same to
# both, or fastjsonschema would silently ignore it: a schema that uses it gets no fast
# check (see `_fast_schema`), and jsonschema checks every record as before.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "default",
                          "deprecated", "readOnly", "writeOnly"})  # `default`: compiled with use_default=False
_SUBSCHEMA = frozenset({"items", "additionalProperties", "propertyNames", "contains", "not"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs"})
_SAME_IN_DRAFT7 = _SUBSCHEMA | _SUBSCHEMA_LISTS | _SUBSCHEMA_MAPS | {
    "type", "enum", "const", "required", "minProperties", "maxProperties", "minItems", "maxItems",
    "uniqueItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "$ref",
}


def _fast_schema(schema: dict) -> dict:
    """A copy of the schema for fastjsonschema (draft 7), or ValueError naming what it would not
    enforce the way draft 2020-12 does. `$id` is dropped so `$ref`s resolve in this copy, never remotely."""

    def check(node, where: str) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            raise ValueError(f"{where}: not a schema")  # e.g. `items` as a list (draft-7 tuples)
        for key, value in node.items():
            if key in _ANNOTATIONS:
                continue
            if key not in _SAME_IN_DRAFT7:
                raise ValueError(f"{where}: keyword {key!r} is not checked the same by fastjsonschema")
            if key == "$ref":
                if not (isinstance(value, str) and value.startswith("#/")):
                    raise ValueError(f"{where}: only a local $ref ('#/...'), not {value!r}")
                if set(node) - _ANNOTATIONS - {"$ref"}:  # draft 7 ignores keywords beside $ref
                    raise ValueError(f"{where}: keywords beside $ref: {sorted(set(node) - _ANNOTATIONS)}")
            elif key in _SUBSCHEMA:
                check(value, f"{where}/{key}")
            elif key in _SUBSCHEMA_LISTS:
                for index, item in enumerate(value):
                    check(item, f"{where}/{key}/{index}")
            elif key in _SUBSCHEMA_MAPS:
                for name, item in value.items():
                    check(item, f"{where}/{key}/{name}")

    check(schema, "#")
    draft7 = _null_or_as_type_list(copy.deepcopy(schema))  # fastjsonschema rewrites $refs in place
    draft7.pop("$id", None)
    draft7["$schema"] = "http://json-schema.org/draft-07/schema#"
    return draft7


# Keywords that only constrain values of their own type: a null passes every one of them.
_TYPED_KEYWORDS = frozenset({
    "type", "pattern", "minLength", "maxLength", "items", "minItems", "maxItems", "uniqueItems", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "properties", "required", "additionalProperties",
    "patternProperties", "minProperties", "maxProperties", "propertyNames",
})


def _null_or_as_type_list(node):
    """`oneOf: [{type: null}, {type: T, ...}]` rewritten as `{type: [null, T], ...}`, which accepts
    exactly the same values when every other keyword only constrains values of type T.
    fastjsonschema checks a oneOf by trying each branch and catching the failure of the other:
    with one per entity (bbox) and per event date, that was two thirds of a record's check."""
    if isinstance(node, list):
        return [_null_or_as_type_list(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _null_or_as_type_list(value) for key, value in node.items()}
    branches = node.get("oneOf")
    if (isinstance(branches, list) and len(branches) == 2 and branches[0] == {"type": "null"}
            and isinstance(branches[1], dict) and set(branches[1]) <= _TYPED_KEYWORDS
            and isinstance(branches[1].get("type"), str) and branches[1]["type"] != "null"
            and not set(node) & set(branches[1])):
        node.pop("oneOf")
        node.update(branches[1], type=["null", branches[1]["type"]])
    return node


def _no_remote_refs(uri: str):
    raise ValueError(f"remote $ref {uri} is not allowed")


@lru_cache(maxsize=1)
def _fast_validator():
    """fastjsonschema's compiled check of the same schema, or None where it cannot stand in for
    jsonschema. It only answers "valid or not"; jsonschema still writes every message.

    Where the two differ it is never looser on what is written: fastjsonschema takes a tuple
    for an array (json.dumps writes it as an array anyway) and reads a pattern's `$` as `\\Z`
    (stricter: such a record goes on to jsonschema, which decides)."""
    try:
        import fastjsonschema

        return fastjsonschema.compile(
            _fast_schema(_schema()), use_default=False,
            handlers={"http": _no_remote_refs, "https": _no_remote_refs, "file": _no_remote_refs},
        )
    except Exception:  # not installed, or a schema it cannot take: jsonschema checks every record
        return None


def _schema_findings(record: dict) -> list[Finding]:
    fast = _fast_validator()
    if fast is not None:
        try:
            fast(record)
        except Exception:  # JsonSchemaValueException or anything odd: jsonschema decides, and says why
            pass
        else:
            return []
    errors = sorted(map(_deepest, _validator().iter_errors(record)), key=lambda e: list(map(str, e.absolute_path)))
    return [_finding(tuple(err.absolute_path), err.message) for err in errors]


def _deepest(error):
    """For an anyOf / oneOf, the branch's error that points deeper into the record, if any: a DATE
    entity's `normalized`, not the whole entity. A branch that fails only on its `label` (enum,
    const) is the branch that does not apply."""
    while error.context:
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if not deeper:
            break
        named = [e for e in deeper if e.validator not in ("enum", "const")] or deeper
        error = max(named, key=lambda e: len(e.absolute_path))
    return error


def contract_problems(record: dict) -> list[str]:
    """Everything wrong with a record: JSON Schema errors, then what a schema cannot say
    (offsets that do not match the text, language spans that leave gaps).

    A record that fastjsonschema's compiled check passes skips jsonschema (the valid case, ~20x
    faster); any other goes through jsonschema, which gives the messages."""
    return list(dict.fromkeys(finding.text for finding in contract_findings(record)))


def contract_findings(record: dict) -> list[Finding]:
    """`contract_problems` with the place of each in the record, for `sanitize.repair`."""
    problems = _schema_findings(record)
    if problems:
        return problems
    pages = record["pages"]
    if len(pages) != record["document"]["page_count"]:
        problems.append(_finding(("document", "page_count"), "does not match the number of pages", sep=" "))
    for index, page in enumerate(pages):
        if page["page"] != index + 1:
            problems.append(_finding(("pages", index, "page"), f"page number {page['page']} out of order"))
        cursor = 0
        for span in page["language_spans"]:
            if span["start"] != cursor or span["end"] <= span["start"]:
                problems.append(_finding(("pages", index, "language_spans"), f"gap or overlap at {span['start']}"))
            cursor = span["end"]
        if page["language_spans"] and cursor != len(page["text"]):
            problems.append(_finding(("pages", index, "language_spans"),
                                     f"end at {cursor}, text has {len(page['text'])}"))
    for index, entity in enumerate(record["entities"]):
        page_no, where = entity["page"], f"entity {entity['id']}"
        if not all(type(entity[key]) is int for key in ("page", "start", "end")):  # 1.0 is an integer to JSON Schema
            problems.append(_finding(("entities", index), "page and offsets must be whole numbers", where=where))
        elif page_no > len(pages):
            problems.append(_finding(("entities", index), f"page {page_no} does not exist", where=where))
        elif pages[page_no - 1]["text"][entity["start"] : entity["end"]] != entity["text"]:
            problems.append(_finding(("entities", index), "text does not match its offsets", where=where))
    return problems + _citation_findings(record) + _calendar_findings(record)


def _calendar_findings(record: dict) -> list[Finding]:
    """Dates that match the schema's pattern but not the calendar (a year joined to "29 февраля")."""
    places = [(("entities", i, "normalized"), e["normalized"]) for i, e in enumerate(record["entities"])
              if e["label"] == "DATE"]
    for p, person in enumerate(record["persons"]):
        places.append((("persons", p, "birth", "date"), person["birth"].get("date")))
        places += [(("persons", p, "birth", "alternatives", a, "date"), alt.get("date"))
                   for a, alt in enumerate(person["birth"].get("alternatives", []))]
        places += [(("persons", p, "events", v, "date"), event.get("date")) for v, event in enumerate(person["events"])]
    return [_finding(path, f"{value!r} is not a day of the calendar")
            for path, value in places if dates.impossible_day(value)]


def _finding(path: tuple, reason: str, sep: str = ": ", where: str = "") -> Finding:
    """The finding at `path`, said as "<where><sep><reason>"; `where` is the path (or "(root)") unless given."""
    return Finding(path, f"{where or '/'.join(map(str, path)) or '(root)'}{sep}{reason}", reason)


def _citation_findings(record: dict) -> list[Finding]:
    """Entity ids a person cites that no entity has, relations to persons not in the record."""
    entity_ids = {entity["id"] for entity in record["entities"]}
    person_ids = {person["id"] for person in record["persons"]}
    problems = []
    for index, person in enumerate(record["persons"]):
        cited = [(("mentions", i), e) for i, e in enumerate(person["mentions"])]
        cited += [(("birth", "evidence", i), e) for i, e in enumerate(person["birth"].get("evidence", []))]
        cited += [(("birth", "alternatives", a, "evidence", i), e)
                  for a, alt in enumerate(person["birth"].get("alternatives", [])) for i, e in enumerate(alt.get("evidence", []))]
        cited += [(("events", v, "evidence", i), e)
                  for v, event in enumerate(person["events"]) for i, e in enumerate(event["evidence"])]
        where = f"person {person['id']}"
        for place, missing in ((p, e) for p, e in cited if e not in entity_ids):
            problems.append(_finding(("persons", index, *place), f"cites entity {missing}, which does not exist",
                                     where=where))
        for r, relation in enumerate(person.get("relations", [])):
            if relation["person"] not in person_ids:
                problems.append(_finding(("persons", index, "relations", r),
                                         f"relation to {relation['person']}, who is not in the record", where=where))
    return problems


def _host_tag() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname().split(".")[0]) or "host"


def write_json_atomic(path: Path, payload: object) -> None:
    write_text_atomic(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def write_text_atomic(path: Path, content: str) -> None:
    with atomic_file(path) as handle:
        handle.write(content)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_file(path, "wb") as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO]:
    """A file to write `path` through: a temp file beside it, fsynced and renamed over it when
    the block ends, removed when it fails. Readers see the old file or the new one, never half
    of one; the temp file's name says which host and process wrote it (remove_stale_temp_files),
    and the file gets the permissions open() would give it, not the temp file's 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        mode, encoding=None if "b" in mode else "utf-8", dir=path.parent,
        prefix=f".{path.name}.{_host_tag()}-{os.getpid()}.", suffix=".tmp", delete=False,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, but another user's
        return False
    return False


def remove_stale_temp_files(out_dir: Path) -> list[Path]:
    """Delete temp files left by a writer that was killed before its rename.

    A file is stale when the process named in it has gone (on this machine),
    or, written on another machine, when it is over an hour old. Returns what
    was removed."""
    removed = []
    host, now = _host_tag(), time.time()
    try:
        candidates = list(Path(out_dir).glob(".*.tmp"))
    except OSError:
        return removed
    for path in candidates:
        match = TEMP_NAME.fullmatch(path.name)
        if match is None:
            continue
        try:
            if match["host"] == host:
                stale = int(match["pid"]) != os.getpid() and _process_gone(int(match["pid"]))
            else:
                stale = now - path.stat().st_mtime > FOREIGN_TEMP_AGE_S
            if stale:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def record_paths(out_dir: Path) -> list[Path]:
    """The document records in an output folder, sorted: `<id>.json` only, not run.json,
    errors.jsonl or temp files."""
    return sorted(p for p in Path(out_dir).glob("*.json") if RECORD_NAME.fullmatch(p.name))


def output_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / f"{doc_id}.json"


def write_document(doc: Document, out_dir: Path, warn: Optional[Callable[[str], None]] = None) -> Path:
    """Check the record against the contract and write it. A value the contract refuses costs
    only itself (`sanitize.repair`: set to null, or its optional item dropped); each such mend
    is added to `doc.warnings` (the record's document.warnings) and, once the file is written,
    passed to `warn`. Only a record whose document or page structure is still broken raises."""
    record = document_to_dict(doc)
    findings = contract_findings(record)
    mends: list[str] = []
    if findings:
        record["persons"] = copy.deepcopy(record["persons"])  # mend the record, not the Document's persons
        try:
            mends, findings = repair(record, findings, contract_findings)
        except Exception as exc:  # a bug in the mending: the record is refused as before, and says why
            findings = [*findings, Finding((), f"mending failed ({type(exc).__name__}: {exc})", str(exc))]
        doc.warnings.extend(mends)
    if findings:
        problems = list(dict.fromkeys(finding.text for finding in findings))
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
    for message in mends if warn else ():
        warn(message)
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


# The errno values that mean the output folder takes no more writes, whatever the document.
FOLDER_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def folder_unavailable(path: Path, error: OSError) -> OutputUnavailable:
    """The run-stopping error for a write into the output folder that failed for the folder's sake."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = ("Free some space (or raise the quota) and run the same command again: the finished "
                "documents are kept and are not read again.")
    else:
        hint = "Make the folder writable, or choose another --out, and run the same command again."
    return OutputUnavailable(f"cannot write {path} ({reason}); the run stopped.", hint=hint)


def folder_failure(error: BaseException) -> Optional[OSError]:
    """The OSError behind `error` (itself, or along its causes) when no other document would escape it."""
    while error is not None and not isinstance(error, OSError):
        error = error.__cause__
    return error if isinstance(error, OSError) and error.errno in FOLDER_FULL_ERRNOS else None


def check_output_folder(out_dir: Path) -> None:
    """Make `out_dir` (and its parents) if needed and prove it takes files, before any work.

    An operator's mistake (`--out` naming a file, a read-only folder or disk) becomes one clear
    usage error instead of a traceback halfway through a batch. Writing a real probe file is the
    only test that holds for root, read-only mounts, ACLs and network shares alike."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file, not a folder.",
                         hint="Give a folder for the records; it is created if it does not exist.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".testimony-probe-", suffix=".tmp"):
            pass
    except OSError as error:
        raise UsageError(f"cannot write to the --out folder {out_dir} ({error.strerror or error}).",
                         hint="Choose a folder you can write to, or fix its permissions.") from None


class ErrorLog:
    """`errors.jsonl`: one line per failed (or warned-about) file, appended as it happens.

    Each line goes to the file in one write or not at all: a write cut short (disk full) is
    undone, so a later run's first line is never glued to half a line. A torn last line left by
    an older version or a crash of the file system is cut off when the log is opened."""

    def __init__(self, out_dir: Path, run_id: str):
        self.path = out_dir / ERRORS_FILE
        self.run_id = run_id
        self._repaired = False

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
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        self._append(line.encode("utf-8", errors="backslashreplace"))
        return entry

    def warn(self, file: str, message: str, *, sha256: Optional[str] = None, stage: str = "ingest",
             page: Optional[int] = None) -> dict:
        warning = TestimonyError(message)
        warning.stage = stage
        return self.record(file, warning, sha256=sha256, page=page, level="warning")

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            if not self._repaired:
                repair_torn_tail(fd)
                self._repaired = True
            before = os.fstat(fd).st_size
            try:
                written = 0
                while written < len(data):
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, before)  # the line goes whole or not at all
                raise
        finally:
            os.close(fd)


def repair_torn_tail(fd: int) -> int:
    """Cut a last line that has no newline (half a record) off a JSON-lines file; the bytes cut."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    keep, position = 0, size
    while position > 0:  # find the last newline, reading backwards in blocks
        start = max(0, position - 65536)
        block = os.pread(fd, position - start, start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            keep = start + cut + 1
            break
        position = start
    os.ftruncate(fd, keep)
    return size - keep
