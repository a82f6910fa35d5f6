"""Reading an output folder back: the records in it, which ones a reviewer marked reviewed,
and the small views of a record every export format needs (names, events, relations)."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from pipeline.export import SCHEMA_ID

REVIEWS_DIR = "reviews"
EVENT_CORE = ("type", "date", "place", "evidence")


def is_record(data: object) -> bool:
    """A document record (`schema: testimony-record/1`), not run.json, persons or a review file."""
    return (
        isinstance(data, dict)
        and data.get("schema") == SCHEMA_ID
        and isinstance(data.get("document"), dict)
        and isinstance(data["document"].get("id"), str)
    )


def _store():
    """The review feature's store (pipeline/review/store.py), when it is installed."""
    try:
        from pipeline.review import store  # optional: built and installed separately
    except ImportError:
        return None
    needed = ("load_decisions", "apply_reviews", "is_reviewed")
    return store if all(callable(getattr(store, name, None)) for name in needed) else None


def is_reviewed(out_dir: Path, doc_id: str) -> bool:
    """Whether a reviewer marked the document reviewed (and, with the review store, the mark still holds).

    Decisions sit beside the records in `reviews/<doc id>.jsonl`, one JSON object a line,
    appended as they are made. With `pipeline.review.store` installed its rules decide (the
    latest document_status decision says "reviewed", every decision still applies, and the
    machine output has not changed since the mark); without it the latest status line does.
    """
    store = _store()
    if store is not None:
        return bool(store.is_reviewed(Path(out_dir), doc_id))
    return latest_status(Path(out_dir), doc_id) == "reviewed"


def latest_status(out_dir: Path, doc_id: str) -> Optional[str]:
    """The latest status line of `reviews/<doc id>.jsonl`: {"action": "document_status"} with
    "value" or "new": {"status"}, or {"action": "mark_reviewed"}; None without one."""
    path = Path(out_dir) / REVIEWS_DIR / f"{doc_id}.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    status = None
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: the decisions around it still count
        if not isinstance(entry, dict):
            continue
        action = entry.get("action")
        if action == "document_status":
            new = entry.get("new")
            status = new.get("status") if isinstance(new, dict) else entry.get("value")
        elif action == "mark_reviewed":
            status = "reviewed"
    return status


def reviewed_record(out_dir: Path, record: dict) -> tuple[dict, bool]:
    """The record with the reviewers' decisions applied (corrections, rejected entities
    removed) and whether it counts as reviewed. A record nobody reviewed comes back as it is."""
    doc_id = record["document"]["id"]
    store = _store()
    if store is None:
        return record, latest_status(out_dir, doc_id) == "reviewed"
    try:
        decisions = store.load_decisions(out_dir, doc_id)
    except (OSError, ValueError):
        return record, False
    if not decisions:
        return record, False
    try:
        corrected, _flags = store.apply_reviews(record, decisions)
    except (KeyError, TypeError, ValueError):  # a record the review code cannot read: export it as it is
        return record, False
    if not is_record(corrected):
        return record, False
    return corrected, (corrected.get("review") or {}).get("status") == "reviewed"


@dataclass
class LoadReport:
    documents: int = 0
    skipped_unreviewed: int = 0
    unreadable: list[str] = field(default_factory=list)


def load_records(
    out_dir: Path, *, reviewed_only: bool = False, report: Optional[LoadReport] = None, warn=None
) -> Iterator[dict]:
    """The document records in `out_dir` (not its subfolders), in file-name order, read one at
    a time, with the reviewers' decisions applied.

    Other files (errors.jsonl, run.json, persons.jsonl, reviews/, half-written temp files) are
    skipped; a `.json` file that is not valid JSON is reported through `warn` and skipped.
    """
    out_dir = Path(out_dir)
    report = report if report is not None else LoadReport()
    warn = warn or (lambda message: print(f"testimony: warning: {message}", file=sys.stderr))
    for path in sorted(out_dir.glob("*.json")):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            report.unreadable.append(path.name)
            warn(f"{path}: not a readable JSON record ({exc}); skipped")
            continue
        if not is_record(data):
            continue
        data, reviewed = reviewed_record(out_dir, data)
        if reviewed_only and not reviewed:
            report.skipped_unreviewed += 1
            continue
        report.documents += 1
        yield data


# --- views of a record -----------------------------------------------------------------------


def persons(record: dict) -> list[dict]:
    return [p for p in record.get("persons") or [] if isinstance(p, dict)]


NAME_PARTS = ("surname", "given", "patronymic")


def name_parts(person: dict) -> dict:
    """The full name and its parts as every export writes them; a reviewer's correction wins.

    The review store changes only the field a reviewer corrected, so the other name fields
    still hold the machine's reading. When the full name was corrected, a part the reviewer
    left alone that is not among the words of the new full name is that old reading, and is
    left out; when parts were corrected and the full name was not, the full name is the parts.
    """
    name = person.get("name") or {}
    parts = {key: name.get(key) or None for key in ("full",) + NAME_PARTS}
    corrected = set((person.get("review") or {}).get("corrected_fields") or [])
    if "name.full" in corrected and parts["full"]:
        words = set(_words(parts["full"]))
        for key in NAME_PARTS:
            if parts[key] and f"name.{key}" not in corrected and not set(_words(parts[key])) <= words:
                parts[key] = None
    elif corrected & {f"name.{key}" for key in NAME_PARTS}:
        parts["full"] = " ".join(parts[key] for key in NAME_PARTS if parts[key]) or parts["full"]
    return parts


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def display_name(person: dict) -> Optional[str]:
    """The full name, or the parts the record has, surname first."""
    parts = name_parts(person)
    if parts["full"]:
        return parts["full"]
    joined = " ".join(p for p in (parts["surname"], parts["given"], parts["patronymic"]) if p)
    return joined or None


def birth(person: dict) -> dict:
    value = person.get("birth") or {}
    return {"date": value.get("date") or None, "place": value.get("place") or None}


def events(person: dict) -> list[dict]:
    return [e for e in person.get("events") or [] if isinstance(e, dict)]


def event_extras(event: dict) -> list[tuple[str, object]]:
    """Fields beyond type/date/place/evidence that have a value (organ, charge, term, term_years,
    ...); links to entities (organ_id) are evidence, not values, and are left out."""
    return [(key, value) for key, value in event.items()
            if key not in EVENT_CORE and not key.endswith("_id") and value not in (None, "", [], {})]


def gender(person: dict) -> Optional[str]:
    """"female" / "male" when the record says (a producer's addition to the contract)."""
    value = person.get("gender")
    return value if isinstance(value, str) and value else None


def aliases(person: dict) -> list[str]:
    """Other full names the document gives the person (a producer's addition to the contract)."""
    return [a for a in person.get("aliases") or [] if isinstance(a, str) and a]


def text_value(value: object) -> str:
    """A field value as text: lists joined with ", ", objects as JSON, None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(text_value(item) for item in value if item not in (None, ""))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def entity_index(record: dict) -> dict[str, dict]:
    return {e["id"]: e for e in record.get("entities") or [] if isinstance(e, dict) and "id" in e}


def mention_texts(record: dict, person: dict) -> list[str]:
    """The person's mentions as written in the document, each distinct text once."""
    index = entity_index(record)
    texts = [index[m]["text"] for m in person.get("mentions") or [] if m in index and index[m].get("text")]
    return list(dict.fromkeys(texts))


@dataclass(frozen=True)
class Relation:
    subject: str  # person id in this record
    type: str
    object: Optional[str]  # person id in this record, when the relation names one
    object_name: Optional[str]  # the other person's name (from the record, or as the relation gives it)


_SUBJECT_KEYS = ("source", "from", "subject", "head", "person1", "p1", "a")
_OBJECT_KEYS = ("target", "to", "object", "tail", "person2", "p2", "b", "other", "related", "person", "with")
_TYPE_KEYS = ("type", "relation", "kind", "label", "role")


def _first(entry: dict, keys) -> object:
    return next((entry[k] for k in keys if entry.get(k) not in (None, "")), None)


def relations(record: dict) -> list[Relation]:
    """Relations between persons: each person's `relations` ({"type": spouse | parent | child |
    sibling | relative, "person": "p2"}: what the other person is to this one), and, if a
    producer writes them, document-level `relations` ({"type", "source"/"from"/"subject",
    "target"/"to"/"object"}). A value that is not a person id of this record is taken as a name.
    """
    people = {p.get("id"): p for p in persons(record)}
    found: list[Relation] = []

    def add(subject, kind, other, other_name):
        if subject not in people:
            return
        kind = text_value(kind) or "related"
        if isinstance(other, dict):
            other_name = other_name or other.get("full") or other.get("name")
            other = other.get("id")
        if isinstance(other, str) and other in people:
            other_name = other_name or display_name(people[other])
        elif other is not None:
            other_name = other_name or text_value(other)
            other = None
        if isinstance(other_name, dict):
            other_name = other_name.get("full")
        if other is None and not other_name:
            return
        found.append(Relation(subject, kind, other, other_name or None))

    for entry in record.get("relations") or []:
        if isinstance(entry, dict):
            add(_first(entry, _SUBJECT_KEYS), _first(entry, _TYPE_KEYS), _first(entry, _OBJECT_KEYS),
                entry.get("name") or entry.get("object_name"))
    for person in people.values():
        for entry in person.get("relations") or []:
            if isinstance(entry, dict):
                add(person.get("id"), _first(entry, _TYPE_KEYS), _first(entry, _OBJECT_KEYS + ("id",)),
                    entry.get("name") or entry.get("full"))
    return list(dict.fromkeys(found))


def relations_of(record: dict, person_id: str) -> list[Relation]:
    return [r for r in relations(record) if r.subject == person_id]
