"""A record the contract refuses, mended value by value: a bad value never costs the document.

Why: one field the schema rejected (a date in a form the contract did not know, an entity whose
offsets slipped) used to drop the whole record with its page texts. Now the offending value is
set to null (a language becomes 'und', the contract's unknown language), an optional value is
removed, and where the value is a required part of an optional item (an entity's label, an
event's type, a relation's type) the item goes, with every citation of it. Each mend is said in
a warning that names the place, the text and the value. What cannot be mended this way (the
document's identity, page numbers and texts) is left alone: the caller still refuses the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

DATE_FIELDS = frozenset({"date"})  # in persons: birth, alternatives, events
NAME_PARTS = frozenset({"full", "surname", "given", "patronymic"})
EVENT_OPTIONAL = frozenset({"organ", "charge", "term", "term_years", "date_without_year", "date_as_read"})
MAX_ROUNDS = 4  # a mend may reveal another (a dropped entity's citations); each round re-checks
_DROP = object()  # the value of a fix that removes a list item
_DELETE = object()  # the value of a fix that removes an optional property


@dataclass(frozen=True)
class Finding:
    """One way a record breaks the contract."""

    path: tuple  # where: ("entities", 6, "normalized"); ("persons", 0, "relations", 1)
    text: str  # as `contract_problems` says it: "entities/6/normalized: ..."
    reason: str  # the same without the place


@dataclass(frozen=True)
class _Fix:
    path: tuple  # the value or item it replaces or removes
    value: object  # the new value, or _DROP / _DELETE
    finding: Finding


def repair(record: dict, findings: list[Finding], check: Callable[[dict], list[Finding]]
           ) -> tuple[list[str], list[Finding]]:
    """Mend `record` in place until `check` finds nothing it can mend; returns the warnings (also
    appended to document.warnings) and the findings left, which no mend may touch."""
    warnings: list[str] = []
    for _ in range(MAX_ROUNDS):
        fixes = _plan(findings)
        if not fixes:
            break
        warnings += [_warning(record, fix) for fix in fixes]
        _apply(record, fixes)
        findings = check(record)
    if warnings:
        record["document"].setdefault("warnings", []).extend(warnings)
    return warnings, findings


def _plan(findings: list[Finding]) -> list[_Fix]:
    """One fix per place; nothing inside a value or item that is replaced or goes anyway."""
    fixes: dict[tuple, _Fix] = {}
    for finding in findings:
        target = fix_for(finding.path)
        if target is not None and target[0] not in fixes:
            fixes[target[0]] = _Fix(target[0], target[1], finding)
    return [fix for path, fix in fixes.items() if not any(path[:n] in fixes for n in range(1, len(path)))]


def fix_for(path: tuple) -> Optional[tuple[tuple, object]]:
    """(place, new value) that mends a problem at `path`, or None where no mend is allowed."""
    if len(path) >= 2 and path[0] == "entities":
        field = path[2] if len(path) > 2 else None
        if field in ("normalized", "bbox"):
            return path[:3], None
        return (path[:3], "und") if field == "lang" else (path[:2], _DROP)
    if len(path) >= 3 and path[0] == "pages":
        if path[2] == "ocr_confidence":
            return path[:3], None
        if path[2] == "language_spans":
            return (path[:5], "und") if len(path) >= 5 and path[4] == "lang" else (path[:3], [])
        return None
    if len(path) >= 2 and path[0] == "persons":
        return _person_fix(path[:2], path[2:])
    return None


def _person_fix(person: tuple, rest: tuple) -> Optional[tuple[tuple, object]]:
    field = rest[0] if rest else None
    if field == "name" and len(rest) >= 2 and rest[1] in NAME_PARTS:
        return person + rest[:2], None
    if field == "gender":
        return person + rest[:1], None
    if field in ("aliases", "relations"):
        return (person + rest[:2], _DROP) if len(rest) >= 2 else (person + rest[:1], _DELETE)
    if field == "mentions":
        return (person + rest[:2], _DROP) if len(rest) >= 2 else (person + rest[:1], [])
    if field == "birth":
        return _birth_fix(person + rest[:1], rest[1:])
    if field == "events":
        return _event_fix(person + rest[:1], rest[1:])
    return person, _DROP  # the id, or the person is no object: no person record to keep


def _birth_fix(birth: tuple, rest: tuple) -> tuple[tuple, object]:
    field = rest[0] if rest else None
    if field in ("date", "place"):
        return birth + rest[:1], None
    if field == "evidence":
        return (birth + rest[:2], _DROP) if len(rest) >= 2 else (birth + rest[:1], _DELETE)
    if field == "alternatives" and len(rest) >= 3 and rest[2] in ("date", "place"):
        return birth + rest[:3], None
    if field == "alternatives" and len(rest) >= 4 and rest[2] == "evidence":
        return birth + rest[:4], _DROP
    if field == "alternatives":
        return (birth + rest[:2], _DROP) if len(rest) >= 2 else (birth + rest[:1], _DELETE)
    return birth, {"date": None, "place": None}


def _event_fix(events: tuple, rest: tuple) -> tuple[tuple, object]:
    if not rest:
        return events, []
    event, field = events + rest[:1], rest[1] if len(rest) > 1 else None
    if field in ("date", "place"):
        return event + (field,), None
    if field == "evidence":
        return (event + rest[1:3], _DROP) if len(rest) >= 3 else (event + (field,), [])
    if field in EVENT_OPTIONAL:
        return event + (field,), _DELETE
    return event, _DROP  # its type: an event of no known kind is no event


def _get(record, path: tuple):
    for key in path:
        record = record[key]
    return record


def _apply(record: dict, fixes: list[_Fix]) -> None:
    """Values first, then list items from the end (indexes stay right), then citations of what went."""
    gone_entities, gone_persons = set(), set()
    for fix in fixes:
        parent = _get(record, fix.path[:-1])
        if fix.value is _DELETE:
            parent.pop(fix.path[-1], None)
        elif fix.value is not _DROP:
            parent[fix.path[-1]] = fix.value
    for fix in sorted((f for f in fixes if f.value is _DROP), key=lambda f: f.path, reverse=True):
        item = _get(record, fix.path)
        gone = {("entities",): gone_entities, ("persons",): gone_persons}.get(fix.path[:-1])
        if gone is not None and isinstance(item, dict) and isinstance(item.get("id"), str):
            gone.add(item["id"])
        del _get(record, fix.path[:-1])[fix.path[-1]]
    _forget(record, gone_entities, gone_persons)


def _forget(record: dict, entities: set, persons: set) -> None:
    """Citations of dropped entities and relations to dropped persons go with them."""
    for person in record["persons"]:
        if not isinstance(person, dict):
            continue
        lists = [person.get("mentions"), (person.get("birth") or {}).get("evidence")]
        lists += [alt.get("evidence") for alt in (person.get("birth") or {}).get("alternatives") or []
                  if isinstance(alt, dict)]
        lists += [event.get("evidence") for event in person.get("events") or [] if isinstance(event, dict)]
        for cited in lists:
            if isinstance(cited, list):
                cited[:] = [e for e in cited if not (isinstance(e, str) and e in entities)]
        relations = person.get("relations")
        if isinstance(relations, list):
            relations[:] = [r for r in relations if not (isinstance(r, dict) and isinstance(r.get("person"), str)
                                                         and r["person"] in persons)]


# --- warnings ------------------------------------------------------------------------------

def _warning(record: dict, fix: _Fix) -> str:
    """"<source>: entity e7 'в 30-х годах': normalized value '193X' is not a valid date; set to null"."""
    where, field = _where(record, fix.finding.path)
    try:
        value = _get(record, fix.finding.path)
    except (KeyError, IndexError, TypeError):
        value = None
    if fix.path[-1] in DATE_FIELDS or (fix.path[0] == "entities" and fix.path[-1] == "normalized"
                                       and _get(record, fix.path[:2]).get("label") == "DATE"):
        problem = f"{field} value {_short(value)} is not a valid date"
    else:
        problem = f"{field} {_crop(fix.finding.reason)}".strip()
    if fix.value is _DROP:
        outcome = "removed" + (", with its citations" if fix.path[0] == "entities" and len(fix.path) == 2
                               else ", with the relations to it" if len(fix.path) == 2 else "")
    elif fix.value is _DELETE:
        outcome = "removed"
    else:
        outcome = f"set to {'null' if fix.value is None else repr(fix.value)}"
    return f"{record['document'].get('source')}: {where}: {problem}; {outcome}"


def _where(record: dict, path: tuple) -> tuple[str, str]:
    """('entity e7 'в 30-х годах'', 'normalized'), ('person p1 (Иванов Иван), event 2 (arrest)', 'date')."""
    item = _get(record, path[:2])
    if path[0] == "entities":
        name = f"entity {item.get('id')} {_short(item.get('text'))}" if isinstance(item, dict) else "an entity"
        return name, " ".join(map(str, path[2:]))
    if path[0] == "pages":
        return f"page {path[1] + 1}", " ".join(map(str, path[2:]))
    full = ((item.get("name") or {}).get("full") if isinstance(item, dict) and isinstance(item.get("name"), dict)
            else None)
    who = f"person {item.get('id') if isinstance(item, dict) else path[1] + 1}" + (f" ({full})" if full else "")
    rest = path[2:]
    if len(rest) >= 2 and rest[0] == "events":
        event = _get(record, path[:4])
        kind = event.get("type") if isinstance(event, dict) else None
        who += f", event {rest[1] + 1}" + (f" ({kind})" if isinstance(kind, str) else "")
        rest = rest[2:]
    return who, " ".join(map(str, rest))


def _short(value) -> str:
    return _crop(repr(value), 60)


def _crop(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
