"""Review decisions: stored beside the machine output, applied when a record is read.

The pipeline's JSON (`OUT/<doc id>.json`) is never modified by a review.
Every decision a reviewer makes is one line appended to
`OUT/reviews/<doc id>.jsonl`:

    {"id": "<uuid>", "reviewer": "anna", "at": "2025-01-31T10:12:03.123456+00:00",
     "doc_id": "3f2a9c0d1e7b4a55", "target": "entity", "target_id": "e7",
     "anchor": {"page": 1, "start": 10, "end": 37, "label": "PERSON", "text": "..."},
     "action": "correct", "old": {...}, "new": {...},
     "pipeline_version": "0.2.0", "sha256": "<the document's sha256>",
     "record_digest": "<sha256 of the machine record's pages, entities and persons>"}

Lines are appended with O_APPEND under an exclusive `flock`, so two
reviewers saving at the same moment both land, in some order; a client may
also send the decision it last saw for the target (`expect`) and gets a
`Conflict` instead of silently overriding a colleague's newer decision.

`apply_reviews(record, decisions)` returns the reviewed record. A decision
is re-found in the current record by its *anchor* (the machine's page,
offsets, label and text of an entity; the machine's full name of a person),
not by its id, so a re-run of the pipeline that renumbers entities or moves
them (OCR changed earlier text on the page) still gets it. A decision whose
anchor no longer exists is returned as a "stale" flag (never dropped
silently) until a reviewer dismisses it; a "reviewed" mark made on a machine
output that has since changed is flagged "outdated" and the document is back
"in_progress".
"""

from __future__ import annotations

import copy
import datetime as _dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Callable, Iterable, Optional

from pipeline import __version__
from pipeline.model import EVENT_TYPES

log = logging.getLogger(__name__)

REVIEWS_DIR = "reviews"
DOC_ID_RE = re.compile(r"^[0-9a-f]{16}\Z")
ENTITY_ID_RE = re.compile(r"^e[0-9]{1,7}\Z")
PERSON_ID_RE = re.compile(r"^p[0-9]{1,7}\Z")
DECISION_ID_RE = re.compile(r"^[0-9a-f]{32}\Z")
LABELS = ("PERSON", "DATE", "PLACE", "ORG")
ENTITY_ACTIONS = ("accept", "reject", "relabel", "correct")
ACTIONS = ENTITY_ACTIONS + ("correct_person_field", "document_status", "dismiss")
DOCUMENT_STATUSES = ("reviewed", "in_progress")
PERSON_FIELD_RE = re.compile(
    r"^(?:name\.(?:full|surname|given|patronymic)|birth\.(?:date|place)|events\.(?:[0-9]{1,3})\.(?:type|date|place|organ|charge|term))\Z"
)
# The contract's date form (ISO 8601 / EDTF with the precision the text gives), as in the JSON Schema.
_DATE_PART = r"(?:\d{4}(?:-(?:0[1-9]|1[0-2]|2[1-4])(?:-(?:0[1-9]|[12]\d|3[01]))?)?[~?%]?|\.\.)"
DATE_RE = re.compile(rf"^{_DATE_PART}(?:/{_DATE_PART})?\Z")
MAX_VALUE_CHARS = 500  # a normalised value, a person field, an entity's text
MAX_REVIEWER_CHARS = 64
MAX_LINE_BYTES = 64 * 1024


class InvalidDecision(ValueError):
    """A decision that cannot be stored: bad shape, unknown target, out-of-range offsets."""


class Conflict(Exception):
    """Someone else decided on the same target since the client last looked."""

    def __init__(self, message: str, latest: Optional[dict] = None):
        super().__init__(message)
        self.latest = latest


# --------------------------------------------------------------------------- files


def reviews_path(out_dir: Path, doc_id: str) -> Path:
    """`OUT/reviews/<doc id>.jsonl`; the id is checked first, so no other path can come out."""
    if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
        raise InvalidDecision(f"not a document id: {str(doc_id)[:40]!r} (16 lowercase hex digits)")
    return Path(out_dir) / REVIEWS_DIR / f"{doc_id}.jsonl"


def record_path(out_dir: Path, doc_id: str) -> Path:
    if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
        raise InvalidDecision(f"not a document id: {str(doc_id)[:40]!r} (16 lowercase hex digits)")
    return Path(out_dir) / f"{doc_id}.json"


def load_record(out_dir: Path, doc_id: str) -> dict:
    """The machine output for `doc_id` (FileNotFoundError when there is none)."""
    return json.loads(record_path(out_dir, doc_id).read_text(encoding="utf-8"))


def _parse_lines(data: bytes, source: str) -> list[dict]:
    decisions = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            decision = json.loads(line)
        except ValueError:
            # Only a crash in the middle of a write can leave such a line (writes are one
            # os.write each); it is skipped, the lines after it are kept.
            log.warning("%s: line %d is not JSON; skipped", source, number)
            continue
        if isinstance(decision, dict):
            decisions.append(decision)
    return decisions


def load_decisions(out_dir: Path, doc_id: str) -> list[dict]:
    """Every decision stored for the document, in the order they were saved."""
    path = reviews_path(out_dir, doc_id)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return []
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        data = _read_all(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return _parse_lines(data, str(path))


def _read_all(fd: int) -> bytes:
    chunks = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def append_decision(
    out_dir: Path,
    doc_id: str,
    decision: dict,
    *,
    precondition: Optional[Callable[[list[dict]], None]] = None,
) -> dict:
    """Validate, complete (id, time, doc id) and append one decision; returns what was stored.

    The file is locked (flock, exclusive) from reading the earlier decisions
    to the end of the write, and the line goes out in one O_APPEND write:
    concurrent savers (threads, processes, two `testimony review` servers on
    one folder) never interleave or lose a line. `precondition(earlier)` runs
    under the lock and may raise `Conflict`.
    """

    def build(earlier: list[dict]) -> dict:
        if precondition is not None:
            precondition(earlier)
        return decision

    return _locked_append(out_dir, doc_id, build)


def _locked_append(out_dir: Path, doc_id: str, build: Callable[[list[dict]], dict]) -> dict:
    path = reviews_path(out_dir, doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with open(path, "rb") as reader:  # the same file; we hold the writers' lock
            earlier = _parse_lines(reader.read(), str(path))
        decision = build(earlier)
        stored = {
            "id": uuid.uuid4().hex,
            "reviewer": decision.get("reviewer"),
            "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
            "doc_id": doc_id,
            **{k: v for k, v in decision.items() if k not in ("id", "at", "doc_id")},
        }
        if stored.get("pipeline_version") is None:
            stored["pipeline_version"] = __version__
        validate_decision(stored)
        line = (json.dumps(stored, ensure_ascii=False) + "\n").encode("utf-8")
        if len(line) > MAX_LINE_BYTES:
            raise InvalidDecision("the decision is too large")
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - a full disk
            raise OSError(errno.ENOSPC, "short write to the review log")
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return stored


def submit(out_dir: Path, doc_id: str, request: dict, reviewer: str) -> dict:
    """Check a client's request against the current record and store it as a decision.

    Anchors and old values come from the record and the decisions stored so
    far (read under the lock), never from the client. With `expect` (the id
    of the target's newest decision the client saw, or null) a request made
    on a stale view raises Conflict instead of overriding a newer decision.
    """
    record = load_record(out_dir, doc_id)

    def build(earlier: list[dict]) -> dict:
        reviewed, _ = apply_reviews(record, earlier, keep_rejected=True)
        decision, latest = make_decision(record, reviewed, request, reviewer)
        if isinstance(request, dict) and "expect" in request and request["expect"] != latest:
            newest = next((d for d in reversed(earlier) if d.get("id") == latest), None)
            who = f" by {newest.get('reviewer')} at {newest.get('at')}" if newest else ""
            raise Conflict(f"changed{who} since you loaded the page; reload to see it", newest)
        return decision

    return _locked_append(out_dir, doc_id, build)


# --------------------------------------------------------------------------- validation


def clean_text(value: object, what: str, *, allow_null: bool = True, limit: int = MAX_VALUE_CHARS) -> Optional[str]:
    """A string value from a client: NFC, trimmed, no control characters or lone surrogates; "" means null."""
    if value is None:
        if allow_null:
            return None
        raise InvalidDecision(f"{what} is required")
    if not isinstance(value, str):
        raise InvalidDecision(f"{what} must be a string")
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > limit:
        raise InvalidDecision(f"{what} is longer than {limit} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidDecision(f"{what} contains control characters")
    if any(unicodedata.category(ch) == "Cs" for ch in value):  # a lone surrogate cannot be written as UTF-8
        raise InvalidDecision(f"{what} contains half of a UTF-16 surrogate pair, which is not text")
    if not value:
        if allow_null:
            return None
        raise InvalidDecision(f"{what} is required")
    return value


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDecision(f"{what} must be a whole number")
    return value


def validate_decision(decision: dict) -> None:
    """The decision's shape: action, target, anchor and values of the right kinds."""
    if not isinstance(decision, dict):
        raise InvalidDecision("a decision is a JSON object")
    action = decision.get("action")
    if action not in ACTIONS:
        raise InvalidDecision(f"unknown action {str(action)[:40]!r}; one of {', '.join(ACTIONS)}")
    reviewer = decision.get("reviewer")
    clean_text(reviewer, "reviewer", allow_null=False, limit=MAX_REVIEWER_CHARS)
    if not isinstance(decision.get("doc_id"), str) or not DOC_ID_RE.match(decision["doc_id"]):
        raise InvalidDecision("doc_id must be a document id (16 lowercase hex digits)")
    target, target_id = decision.get("target"), decision.get("target_id")
    new = decision.get("new")
    if action in ENTITY_ACTIONS:
        if target != "entity" or not isinstance(target_id, str) or not ENTITY_ID_RE.match(target_id):
            raise InvalidDecision("an entity decision needs target 'entity' and an entity id like e12")
        anchor = decision.get("anchor")
        if not isinstance(anchor, dict) or not {"page", "start", "end", "label", "text"} <= anchor.keys():
            raise InvalidDecision("an entity decision needs an anchor {page, start, end, label, text}")
        if action == "relabel" and (not isinstance(new, dict) or new.get("label") not in LABELS):
            raise InvalidDecision(f"relabel needs new.label, one of {', '.join(LABELS)}")
        if action == "correct":
            if not isinstance(new, dict) or not new.keys() <= {"start", "end", "text", "normalized"}:
                raise InvalidDecision("correct needs new = {start, end, text, normalized}")
            if "start" in new or "end" in new:
                start, end = _int(new.get("start"), "start"), _int(new.get("end"), "end")
                if not 0 <= start < end or end - start > MAX_VALUE_CHARS:
                    raise InvalidDecision("the span must satisfy 0 <= start < end, at most 500 characters")
            if "normalized" in new:
                clean_text(new["normalized"], "normalized")
    elif action == "correct_person_field":
        if target != "person" or not isinstance(target_id, str) or not PERSON_ID_RE.match(target_id):
            raise InvalidDecision("a person decision needs target 'person' and a person id like p3")
        if not isinstance(decision.get("anchor"), dict):
            raise InvalidDecision("a person decision needs an anchor")
        if not isinstance(new, dict) or not isinstance(new.get("field"), str) or not PERSON_FIELD_RE.match(new["field"]):
            raise InvalidDecision(
                "correct_person_field needs new.field: name.full|surname|given|patronymic, birth.date|place, "
                "events.N.type|date|place|organ|charge|term"
            )
        check_person_value(new["field"], new.get("value"))
    elif action == "document_status":
        if target != "document" or not isinstance(new, dict) or new.get("status") not in DOCUMENT_STATUSES:
            raise InvalidDecision(f"document_status needs target 'document' and new.status in {DOCUMENT_STATUSES}")
    elif action == "dismiss":
        if target != "decision" or not isinstance(target_id, str) or not DECISION_ID_RE.match(target_id):
            raise InvalidDecision("dismiss needs target 'decision' and the id of a stale decision")


def check_person_value(field: str, value: object) -> Optional[str]:
    value = clean_text(value, field)
    leaf = field.rsplit(".", 1)[-1]
    if value is not None and leaf == "date" and not DATE_RE.match(value):
        raise InvalidDecision(f"{field}: {value!r} is not a date in the contract's form (1937-08-15, 1937-08, 1937, 1937~)")
    if leaf == "type" and value not in EVENT_TYPES:
        raise InvalidDecision(f"{field} must be one of {', '.join(EVENT_TYPES)}")
    return value


def check_normalized(label: str, value: object) -> Optional[str]:
    value = clean_text(value, "normalized")
    if value is not None and label == "DATE" and not DATE_RE.match(value):
        raise InvalidDecision(
            f"a DATE is normalised as ISO 8601 / EDTF (1937-08-15, 1937-08, 1937, 1937~, 1937-23), not {value!r}"
        )
    return value


# --------------------------------------------------------------------------- anchors


def record_digest(record: dict) -> str:
    """Fingerprint of what a reviewer sees: page texts, entities, persons (not timings or warnings)."""
    content = {
        "pages": [page.get("text") for page in record.get("pages", [])],
        "entities": record.get("entities", []),
        "persons": record.get("persons", []),
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def entity_anchor(entity: dict) -> dict:
    return {key: entity.get(key) for key in ("page", "start", "end", "label", "text")}


def person_anchor(person: dict, entities_by_id: dict[str, dict]) -> dict:
    return {
        "name_full": (person.get("name") or {}).get("full"),
        "mentions": [entities_by_id[m]["text"] for m in person.get("mentions", []) if m in entities_by_id],
    }


def find_entity(entities: list[dict], anchor: dict, hint_id: Optional[str] = None) -> Optional[dict]:
    """The entity of the (current) machine output that a decision's anchor points at.

    Same page and text, preferring the same offsets, then the same label, then
    the nearest start (an OCR change earlier on the page shifts offsets).
    """
    same_text = [e for e in entities if e.get("page") == anchor.get("page") and e.get("text") == anchor.get("text")]
    if not same_text:
        return None
    start = anchor.get("start") or 0

    def rank(entity):
        return (
            entity.get("start") != anchor.get("start") or entity.get("end") != anchor.get("end"),
            entity.get("label") != anchor.get("label"),
            abs((entity.get("start") or 0) - start),
            entity.get("id") != hint_id,
        )

    return min(same_text, key=rank)


def find_person(persons: list[dict], anchor: dict, entities_by_id: dict[str, dict], hint_id: Optional[str] = None) -> Optional[dict]:
    full = anchor.get("name_full")
    if full:
        same = [p for p in persons if (p.get("name") or {}).get("full") == full]
    else:
        mentions = anchor.get("mentions") or []
        same = [p for p in persons if mentions and person_anchor(p, entities_by_id)["mentions"] == mentions]
    if not same:
        return None
    return min(same, key=lambda p: p.get("id") != hint_id)


# --------------------------------------------------------------------------- apply


def _set_field(person: dict, field: str, value: Optional[str]) -> bool:
    parts = field.split(".")
    if parts[0] == "events":
        events = person.get("events") or []
        index = int(parts[1])
        if index >= len(events):
            return False
        events[index][parts[2]] = value
        return True
    person.setdefault(parts[0], {})
    if not isinstance(person[parts[0]], dict):
        return False
    person[parts[0]][parts[1]] = value
    return True


def get_field(person: dict, field: str) -> Optional[str]:
    parts = field.split(".")
    if parts[0] == "events":
        events = person.get("events") or []
        index = int(parts[1])
        return events[index].get(parts[2]) if index < len(events) else None
    return (person.get(parts[0]) or {}).get(parts[1])


def _relocate_span(text: str, wanted: str, guess: int) -> Optional[int]:
    """Start of `wanted` in `text` nearest to `guess`, or None."""
    if not wanted:
        return None
    if 0 <= guess and text[guess : guess + len(wanted)] == wanted:
        return guess
    best = None
    index = text.find(wanted)
    while index != -1:
        if best is None or abs(index - guess) < abs(best - guess):
            best = index
        index = text.find(wanted, index + 1)
    return best


def _stale(decision: dict, reason: str) -> dict:
    return {
        "kind": "stale",
        "decision": decision.get("id"),
        "action": decision.get("action"),
        "target": decision.get("target"),
        "target_id": decision.get("target_id"),
        "anchor": decision.get("anchor"),
        "old": decision.get("old"),
        "new": decision.get("new"),
        "reviewer": decision.get("reviewer"),
        "at": decision.get("at"),
        "reason": reason,
    }


def _mark(item: dict, decision: dict, **changes) -> None:
    review = item.setdefault("review", {"decisions": []})
    review["decisions"].append(decision.get("id"))
    review["last"] = decision.get("id")
    review["by"] = decision.get("reviewer")
    review["at"] = decision.get("at")
    review.update(changes)


def _drop_references(node: object, gone: set) -> None:
    """Remove rejected entity ids from every `mentions` / `...evidence` list in a person record."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, list) and (key == "mentions" or key.endswith("evidence")):
                node[key] = [item for item in value if not (isinstance(item, str) and item in gone)]
            else:
                _drop_references(value, gone)
    elif isinstance(node, list):
        for item in node:
            _drop_references(item, gone)


def apply_reviews(record: dict, decisions: list[dict], *, keep_rejected: bool = False) -> tuple[dict, list[dict]]:
    """The record as reviewed, and the flags for decisions that no longer apply.

    The input record is not modified. Reviewed entities and persons get a
    `review` object ({status, by, at, last, decisions, machine}); rejected
    entities are removed (with their mentions/evidence in persons) unless
    `keep_rejected`, which the review page uses to show them struck out. The
    document gets `review` = {status: unreviewed|in_progress|reviewed, by, at,
    decisions, stale, rejected_entities}. Each flag is a dict with kind
    "stale" (the decision's anchor is no longer in the record) or "outdated"
    (the document was marked reviewed on a machine output that has changed).
    """
    out = copy.deepcopy(record)
    machine_entities = record.get("entities", [])
    machine_by_id = {e.get("id"): e for e in machine_entities}
    out_entities = {e.get("id"): e for e in out.get("entities", [])}
    out_persons = {p.get("id"): p for p in out.get("persons", [])}
    pages = out.get("pages", [])
    digest = record_digest(record)
    dismissed = {d.get("target_id") for d in decisions if d.get("action") == "dismiss"}
    flags: list[dict] = []
    status_decision: Optional[dict] = None
    applied = 0

    for decision in decisions:
        action = decision.get("action")
        try:
            validate_decision(decision)
        except InvalidDecision as exc:
            if decision.get("id") not in dismissed:
                flags.append(_stale(decision, f"unreadable decision ({exc})"))
            continue
        if action == "dismiss":
            continue
        if action == "document_status":
            status_decision = decision
            applied += 1
            continue
        if action == "correct_person_field":
            anchor = decision["anchor"]
            person = find_person(record.get("persons", []), anchor, machine_by_id, decision.get("target_id"))
            field = decision["new"]["field"]
            if person is None:
                reason = f"no person named {anchor.get('name_full')!r} in the current output"
            elif not _set_field(out_persons[person["id"]], field, decision["new"].get("value")):
                reason = f"the person has no {field} in the current output"
            else:
                target = out_persons[person["id"]]
                fields = target.get("review", {}).get("corrected_fields", [])
                _mark(target, decision, status="corrected", corrected_fields=sorted(set(fields) | {field}))
                target["review"].setdefault("field_decisions", {})[field] = decision.get("id")
                applied += 1
                continue
            if decision.get("id") not in dismissed:
                flags.append(_stale(decision, reason))
            continue

        # entity decisions
        anchor = decision["anchor"]
        machine = find_entity(machine_entities, anchor, decision.get("target_id"))
        new = decision.get("new") if isinstance(decision.get("new"), dict) else {}
        if machine is None and action == "correct" and "text" in new:
            # The re-run may itself have produced the corrected span.
            machine = find_entity(machine_entities, {**anchor, **new}, decision.get("target_id"))
        if machine is None:
            if decision.get("id") not in dismissed:
                flags.append(_stale(decision, f"the entity {anchor.get('text')!r} on page {anchor.get('page')} "
                                              "is not in the current output"))
            continue
        entity = out_entities[machine["id"]]
        if action == "accept":
            _mark(entity, decision, status="accepted")
        elif action == "reject":
            _mark(entity, decision, status="rejected")
        elif action == "relabel":
            entity["label"] = new["label"]
            _mark(entity, decision, status="corrected")
        elif action == "correct":
            if "start" in new and "end" in new:
                page_no = entity.get("page", 0)
                text = pages[page_no - 1]["text"] if 0 < page_no <= len(pages) else ""
                wanted = new.get("text")
                # Offsets move with the entity: same shift as the anchor's.
                shift = (machine.get("start") or 0) - (anchor.get("start") or 0)
                start = new["start"] + shift
                length = new["end"] - new["start"]
                if wanted is not None and text[start : start + length] != wanted:
                    relocated = _relocate_span(text, wanted, start)
                    start = relocated if relocated is not None else -1
                if start < 0 or start + length > len(text) or length <= 0:
                    if decision.get("id") not in dismissed:
                        flags.append(_stale(decision, f"the corrected span {wanted!r} is not on page {page_no} any more"))
                    continue
                entity["start"], entity["end"] = start, start + length
                entity["text"] = text[start : start + length]
            if "normalized" in new:
                entity["normalized"] = new["normalized"]
            _mark(entity, decision, status="corrected")
        applied += 1
        entity["review"]["machine"] = {k: machine.get(k) for k in ("label", "text", "start", "end", "normalized")}

    rejected = [e["id"] for e in out.get("entities", []) if e.get("review", {}).get("status") == "rejected"]
    if rejected and not keep_rejected:
        gone = set(rejected)
        out["entities"] = [e for e in out["entities"] if e.get("id") not in gone]
        for person in out.get("persons", []):
            _drop_references(person, gone)

    stale = [f for f in flags if f["kind"] == "stale"]
    status = "in_progress" if decisions else "unreviewed"
    review = {"status": status, "by": None, "at": None, "status_decision": None, "decisions": applied, "stale": len(stale),
              "rejected_entities": rejected, "record_digest": digest}
    if status_decision is not None:
        review["status_decision"] = status_decision.get("id")
        review["by"], review["at"] = status_decision.get("reviewer"), status_decision.get("at")
        if status_decision["new"]["status"] == "reviewed":
            marked_on = status_decision.get("record_digest")
            if marked_on and marked_on != digest:
                # Back to in_progress until someone marks it reviewed again: the new
                # output may hold entities nobody has looked at.
                flags.append({
                    "kind": "outdated",
                    "decision": status_decision.get("id"),
                    "action": "document_status",
                    "target": "document",
                    "target_id": None,
                    "reviewer": status_decision.get("reviewer"),
                    "at": status_decision.get("at"),
                    "reason": "marked reviewed on an earlier machine output; the pipeline has been re-run since "
                              "and its output changed",
                })
            elif not stale:
                review["status"] = "reviewed"
    out["review"] = review
    return out, flags


def review_state(out_dir: Path, doc_id: str, *, keep_rejected: bool = False) -> tuple[dict, list[dict], list[dict]]:
    """(reviewed record, flags, decisions) for a document in OUT."""
    record = load_record(out_dir, doc_id)
    decisions = load_decisions(out_dir, doc_id)
    reviewed, flags = apply_reviews(record, decisions, keep_rejected=keep_rejected)
    return reviewed, flags, decisions


def is_reviewed(out_dir: Path, doc_id: str) -> bool:
    """True when the document's latest status decision is "reviewed" and it still holds.

    It holds while every decision still applies to the current machine
    output and that output has not changed since the mark.
    """
    try:
        reviewed, _, _ = review_state(Path(out_dir), doc_id)
    except (OSError, ValueError, KeyError, TypeError):  # no record, or one this code cannot read
        return False
    return reviewed["review"]["status"] == "reviewed"


def reviewed_documents(out_dir: Path) -> Iterable[str]:
    """Ids of the documents in OUT that have a review log."""
    folder = Path(out_dir) / REVIEWS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.jsonl") if DOC_ID_RE.match(p.stem))


# --------------------------------------------------------------------------- building decisions


def make_decision(
    record: dict,
    reviewed: dict,
    request: dict,
    reviewer: str,
) -> tuple[dict, Optional[str]]:
    """Turn a client's request into a complete decision, checked against the record.

    `record` is the machine output (anchors come from it, never from the
    client), `reviewed` the record with the decisions so far applied
    (keep_rejected=True), which the old values come from. Returns the decision
    and the id of the target's latest decision, which a client's `expect`
    must match. Raises InvalidDecision for anything out of place.
    """
    if not isinstance(request, dict):
        raise InvalidDecision("the request body must be a JSON object")
    action = request.get("action")
    if action not in ACTIONS:
        raise InvalidDecision(f"unknown action {str(action)[:40]!r}")
    allowed = {
        "accept": {"entity"},
        "reject": {"entity"},
        "relabel": {"entity", "label"},
        "correct": {"entity", "start", "end", "text", "normalized"},
        "correct_person_field": {"person", "field", "value"},
        "document_status": {"status"},
        "dismiss": {"decision"},
    }[action] | {"action", "reviewer", "expect", "page"}
    unknown = set(request) - allowed
    if unknown:
        raise InvalidDecision(f"unexpected fields for {action}: {', '.join(sorted(unknown))[:100]}")
    document = record.get("document", {})
    decision = {
        "reviewer": clean_text(request.get("reviewer") or reviewer, "reviewer", allow_null=False, limit=MAX_REVIEWER_CHARS),
        "action": action,
        "pipeline_version": document.get("pipeline_version"),
        "sha256": document.get("sha256"),
        "record_digest": record_digest(record),
    }
    latest: Optional[str] = None
    if action in ENTITY_ACTIONS:
        entity_id = request.get("entity")
        if not isinstance(entity_id, str) or not ENTITY_ID_RE.match(entity_id):
            raise InvalidDecision("entity must be an entity id like e12")
        machine = next((e for e in record.get("entities", []) if e.get("id") == entity_id), None)
        current = next((e for e in reviewed.get("entities", []) if e.get("id") == entity_id), None)
        if machine is None or current is None:
            raise InvalidDecision(f"no entity {entity_id} in this document")
        latest = current.get("review", {}).get("last")
        decision.update(target="entity", target_id=entity_id, anchor=entity_anchor(machine))
        fields = ("label", "text", "start", "end", "normalized")
        if action in ("accept", "reject"):
            decision.update(old={"status": current.get("review", {}).get("status")},
                            new={"status": "accepted" if action == "accept" else "rejected"})
        elif action == "relabel":
            label = request.get("label")
            if label not in LABELS:
                raise InvalidDecision(f"label must be one of {', '.join(LABELS)}")
            decision.update(old={"label": current["label"]}, new={"label": label})
        else:
            new: dict = {}
            page_text = _page_text(record, current.get("page"))
            has_span = "start" in request or "end" in request
            if has_span:
                start, end = _int(request.get("start"), "start"), _int(request.get("end"), "end")
                if not 0 <= start < end <= len(page_text):
                    raise InvalidDecision(f"the span {start}-{end} is outside the page text (0-{len(page_text)})")
                if end - start > MAX_VALUE_CHARS:
                    raise InvalidDecision(f"an entity is at most {MAX_VALUE_CHARS} characters")
                new.update(start=start, end=end, text=page_text[start:end])
                if request.get("text") not in (None, "") and request["text"] != page_text[start:end]:
                    raise InvalidDecision("text does not match the page text at start-end")
            elif request.get("text") not in (None, ""):
                wanted = clean_text(request["text"], "text", allow_null=False)
                start = _relocate_span(page_text, wanted, current.get("start", 0))
                if start is None:
                    raise InvalidDecision("that text is not on the entity's page; copy it from the page text")
                new.update(start=start, end=start + len(wanted), text=wanted)
            if "normalized" in request:
                new["normalized"] = check_normalized(current["label"], request["normalized"])
            if not new:
                raise InvalidDecision("correct needs a span (start, end, or text) or a normalized value")
            decision.update(old={k: current.get(k) for k in fields if k in new or k == "text"}, new=new)
    elif action == "correct_person_field":
        person_id = request.get("person")
        if not isinstance(person_id, str) or not PERSON_ID_RE.match(person_id):
            raise InvalidDecision("person must be a person id like p3")
        machine = next((p for p in record.get("persons", []) if p.get("id") == person_id), None)
        current = next((p for p in reviewed.get("persons", []) if p.get("id") == person_id), None)
        if machine is None or current is None:
            raise InvalidDecision(f"no person {person_id} in this document")
        field = request.get("field")
        if not isinstance(field, str) or not PERSON_FIELD_RE.match(field):
            raise InvalidDecision(
                "field must be name.full|surname|given|patronymic, birth.date|place or events.N.type|date|place|organ|charge|term"
            )
        if field.startswith("events.") and int(field.split(".")[1]) >= len(current.get("events") or []):
            raise InvalidDecision(f"the person has no event {field.split('.')[1]}")
        value = check_person_value(field, request.get("value"))
        latest = current.get("review", {}).get("field_decisions", {}).get(field)
        by_id = {e.get("id"): e for e in record.get("entities", [])}
        decision.update(target="person", target_id=person_id, anchor=person_anchor(machine, by_id),
                        old={"field": field, "value": get_field(current, field)}, new={"field": field, "value": value})
    elif action == "document_status":
        status = request.get("status")
        if status not in DOCUMENT_STATUSES:
            raise InvalidDecision(f"status must be one of {', '.join(DOCUMENT_STATUSES)}")
        latest = reviewed.get("review", {}).get("status_decision")
        decision.update(target="document", target_id=document.get("id"),
                        old={"status": reviewed.get("review", {}).get("status")}, new={"status": status})
    else:  # dismiss
        target = request.get("decision")
        if not isinstance(target, str) or not DECISION_ID_RE.match(target):
            raise InvalidDecision("decision must be the id of a stale decision")
        decision.update(target="decision", target_id=target, old=None, new={"dismissed": True})
    return decision, latest


def _page_text(record: dict, page_no: object) -> str:
    pages = record.get("pages", [])
    if isinstance(page_no, int) and 0 < page_no <= len(pages):
        return pages[page_no - 1].get("text") or ""
    return ""
