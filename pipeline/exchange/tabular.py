"""CSV of persons (one row per person of a document) and JSON Lines of documents."""

from __future__ import annotations

import csv
import io
import json
from typing import BinaryIO, Iterable

from pipeline.exchange import records as R

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
JOIN = " | "  # several events of one type in one cell, in the order the record gives them

# Columns per event type: date and place for each, and the details an archive wants to sort by.
EVENT_FIELDS = {
    "arrest": ("date", "place", "organ"),
    "sentence": ("date", "place", "organ", "charge", "term", "term_years"),
    "transfer": ("date", "place"),
    "release": ("date", "place"),
    "death": ("date", "place"),
    "rehabilitation": ("date", "place", "organ"),
    "residence": ("date", "place"),
    "other": ("date", "place"),
}
PERSON_COLUMNS = (
    "document_id", "source", "person_id", "full_name", "surname", "given_name", "patronymic", "gender",
    "birth_date", "birth_place", "events",
)
EVENT_COLUMNS = tuple(f"{kind}_{field}" for kind, fields in EVENT_FIELDS.items() for field in fields)
TAIL_COLUMNS = ("other_event_details", "relations", "aliases", "mentions")
COLUMNS = PERSON_COLUMNS + EVENT_COLUMNS + TAIL_COLUMNS


def person_rows(record: dict) -> list[dict]:
    doc = record["document"]
    rows = []
    for person in R.persons(record):
        parts = R.name_parts(person)
        born = R.birth(person)
        row = {
            "document_id": doc["id"],
            "source": doc.get("source") or "",
            "person_id": person.get("id") or "",
            "full_name": R.display_name(person) or "",
            "surname": parts["surname"] or "",
            "given_name": parts["given"] or "",
            "patronymic": parts["patronymic"] or "",
            "gender": R.gender(person) or "",
            "birth_date": born["date"] or "",
            "birth_place": born["place"] or "",
        }
        row["events"] = JOIN.join(
            " ".join(R.text_value(event.get(key)) for key in ("type", "date", "place") if event.get(key))
            for event in R.events(person)
        )
        row.update(_event_cells(person))
        row["relations"] = JOIN.join(
            f"{rel.type}: {rel.object_name or ''}{f' ({rel.object})' if rel.object else ''}".strip()
            for rel in R.relations_of(record, person.get("id"))
        )
        row["aliases"] = JOIN.join(R.aliases(person))
        row["mentions"] = JOIN.join(R.mention_texts(record, person))
        rows.append(row)
    return rows


def _event_cells(person: dict) -> dict:
    """Event columns. With several events of one type, each column of that type joins their
    values with " | " in the same order, so position k of every column is event k (an
    unknown value leaves its position empty)."""
    cells = {column: "" for column in EVENT_COLUMNS}
    leftovers = []
    by_type: dict[str, list[dict]] = {}
    for event in R.events(person):
        kind = event.get("type") if event.get("type") in EVENT_FIELDS else "other"
        by_type.setdefault(kind, []).append(event)
        if kind == "other" and event.get("type") not in (None, "other"):
            leftovers.append(f"other: type {event.get('type')}")
    for kind, items in by_type.items():
        fields = EVENT_FIELDS[kind]
        for field in fields:
            values = [R.text_value(event.get(field)) for event in items]
            cells[f"{kind}_{field}"] = JOIN.join(values) if any(values) else ""
        for number, event in enumerate(items, start=1):
            where = kind if len(items) == 1 else f"{kind} {number}"
            leftovers.extend(f"{where} {key}: {R.text_value(value)}"
                             for key, value in R.event_extras(event) if key not in fields)
    cells["other_event_details"] = JOIN.join(leftovers)
    return cells


def spreadsheet_safe(value: str) -> str:
    """The cell with a leading ' when a spreadsheet would read it as a formula (OWASP CSV injection).

    A file named `=HYPERLINK("http://…").pdf` or a reviewer's correction starting with = + - @
    (or a tab or carriage return, or spaces before one of those) is shown as text, not run.
    Spreadsheets hide the apostrophe; no column of this CSV holds a negative number.
    """
    if value.lstrip(" ")[:1] in FORMULA_STARTS:  # "" is none of them
        return "'" + value
    return value


def write_csv(records: Iterable[dict], stream: BinaryIO, *, bom: bool = True) -> int:
    """Write the CSV; returns the number of person rows. UTF-8 with a byte-order mark by
    default, so that Excel opens Cyrillic and Kazakh letters correctly. Every cell goes
    through spreadsheet_safe."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if bom else "utf-8", newline="", write_through=True)
    try:
        writer = csv.DictWriter(text, fieldnames=COLUMNS)
        writer.writeheader()
        count = 0
        for record in records:
            for row in person_rows(record):
                writer.writerow({column: spreadsheet_safe(str(value)) for column, value in row.items()})
                count += 1
        text.flush()
    finally:
        text.detach()
    return count


def write_jsonl(records: Iterable[dict], stream: BinaryIO) -> int:
    """One record a line, exactly the JSON of the record files (compact, UTF-8)."""
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count
