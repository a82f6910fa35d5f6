"""EAC-CPF 2010: one authority record per person of a document, `<doc id>-<person id>.xml`.

control: recordId, maintenanceStatus "new", maintenanceAgency "testimony", a machine
"created" maintenanceEvent, and the source document; cpfDescription: identity (person,
nameEntry parts surname / forename / patronymic), description (existDates from birth to death,
places of birth and death, biogHist/chronList with one chronItem per event), relations (other
persons of the document, and the document itself as resourceRelation subjectOf).
Dates use standardDate where the value is a W3C date, notBefore/notAfter for seasons and
decades, dateRange for intervals; the element text is the reader's form ("ca. 1937").
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from typing import Optional
from urllib.parse import quote

from pipeline.exchange import edtf
from pipeline.exchange.records import (
    aliases, birth, event_extras, events, gender, mention_texts, name_parts, relations_of, text_value,
)
from pipeline.exchange.xmlutil import indent_structure, sub, to_bytes

EAC_NS = "urn:isbn:1-931666-33-4"
XLINK_NS = "http://www.w3.org/1999/xlink"
FAMILY = re.compile(r"spouse|parent|child|sibling|relative|wife|husband|father|mother|son|daughter|brother|sister",
                    re.I)
MIXED = frozenset({"part", "p", "event", "term", "date", "fromDate", "toDate", "placeEntry", "relationEntry",
                   "sourceEntry", "agent", "eventDescription"})

ET.register_namespace("xlink", XLINK_NS)


def record_id(doc_id: str, person_id: str) -> str:
    return re.sub(r"[^\w.\-]", "_", f"testimony-{doc_id}-{person_id}")


def file_name(doc_id: str, person_id: str) -> str:
    return re.sub(r"[^\w.\-]", "_", f"{doc_id}-{person_id}") + ".xml"


def person_xml(record: dict, person: dict, *, now: Optional[datetime.datetime] = None) -> bytes:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    root = ET.Element("eac-cpf")
    root.append(_control(record, person, now))
    description = sub(root, "cpfDescription")
    identity = sub(description, "identity")
    sub(identity, "entityType", "person")
    identity.append(_name_entry(person))
    for alias in aliases(person):
        sub(sub(identity, "nameEntry", localType="alias"), "part", alias, localType="full")
    body = _description(person)
    if len(body):
        description.append(body)
    description.append(_relations(record, person))
    indent_structure(root, MIXED)
    return to_bytes(root, EAC_NS)


def _control(record: dict, person: dict, now: datetime.datetime) -> ET.Element:
    doc = record["document"]
    control = ET.Element("control")
    sub(control, "recordId", record_id(doc["id"], person.get("id") or ""))
    sub(control, "maintenanceStatus", "new")
    sub(sub(control, "maintenanceAgency"), "agencyName", "testimony")
    history = sub(control, "maintenanceHistory")
    event = sub(history, "maintenanceEvent")
    sub(event, "eventType", "created")
    stamp = now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sub(event, "eventDateTime", stamp, standardDateTime=stamp)
    sub(event, "agentType", "machine")
    sub(event, "agent", f"testimony {doc.get('pipeline_version') or ''}".strip())
    sub(event, "eventDescription",
        f"Created from the testimony record of {doc.get('source') or doc['id']} (OCR and entity recognition); "
        "check against the original document.")
    sources = sub(control, "sources")
    sources.append(_source(record, person))
    return control


def _source(record: dict, person: dict) -> ET.Element:
    doc = record["document"]
    source = ET.Element("source")
    _link(source, doc.get("source"))
    sub(source, "sourceEntry", doc.get("source") or doc["id"])
    note = sub(source, "descriptiveNote")
    sub(note, "p", f"testimony document {doc['id']}" + (f", sha256 {doc['sha256']}" if doc.get("sha256") else ""))
    mentions = mention_texts(record, person)
    if mentions:
        sub(note, "p", "Written in the document as: " + "; ".join(mentions))
    return source


def _link(element: ET.Element, href: Optional[str]) -> None:
    if href:
        element.set(f"{{{XLINK_NS}}}type", "simple")
        element.set(f"{{{XLINK_NS}}}href", quote(href, safe="/:#?&=@%+~"))


def _name_entry(person: dict) -> ET.Element:
    """The authority's name: its parts when they spell the full name, else the full name as one
    part (a reviewer's corrected name, or a name the parts do not cover)."""
    entry = ET.Element("nameEntry")
    parts = name_parts(person)
    pieces = [(local_type, parts[key]) for local_type, key in
              (("surname", "surname"), ("forename", "given"), ("patronymic", "patronymic")) if parts[key]]
    full = " ".join((parts["full"] or "").split())
    if pieces and (not full or " ".join(value for _, value in pieces) == full):
        for local_type, value in pieces:
            sub(entry, "part", value, localType=local_type)
    else:
        # the full name as written, or an empty part (nameEntry needs one)
        sub(entry, "part", full, localType="full" if full else "unknown")
    return entry


def _date(parent: ET.Element, tag: str, value: Optional[str]) -> ET.Element:
    """A date element (date, fromDate, toDate) for a single EDTF value."""
    element = sub(parent, tag, edtf.human(value) if value else None)
    date = edtf.parse(value)
    if isinstance(date, edtf.Single):
        if date.iso:
            element.set("standardDate", date.iso)
        elif date.earliest:
            element.set("notBefore", date.earliest)
            element.set("notAfter", date.latest)
    elif isinstance(date, edtf.Interval):
        low = date.start and (date.start.iso or date.start.earliest)
        high = date.end and (date.end.iso or date.end.latest)
        if low:
            element.set("notBefore", low)
        if high:
            element.set("notAfter", high)
    return element


def _date_or_range(parent: ET.Element, value: Optional[str]) -> None:
    date = edtf.parse(value)
    if isinstance(date, edtf.Interval):
        span = sub(parent, "dateRange")
        if date.start:
            _date(span, "fromDate", date.start.raw)
        if date.end:
            _date(span, "toDate", date.end.raw)
    else:
        _date(parent, "date", value)


def _death(person: dict) -> dict:
    return next((e for e in events(person) if e.get("type") == "death"), {})


def _description(person: dict) -> ET.Element:
    description = ET.Element("description")
    born, died = birth(person), _death(person)
    if born["date"] or died.get("date"):
        span = sub(sub(description, "existDates"), "dateRange")
        if born["date"]:
            _date(span, "fromDate", born["date"])
        if died.get("date"):
            _date(span, "toDate", died["date"])
    if gender(person):
        sub(sub(description, "localDescription", localType="gender"), "term", gender(person))
    places = [("birth", born["place"]), ("death", died.get("place"))]
    if any(place for _, place in places):
        container = sub(description, "places")
        for role, place in places:
            if place:
                node = sub(container, "place")
                sub(node, "placeRole", role)
                sub(node, "placeEntry", place)
    items = events(person)
    if items:
        chronology = sub(sub(description, "biogHist"), "chronList")
        for event in items:
            item = sub(chronology, "chronItem")
            _date_or_range(item, event.get("date"))
            if event.get("place"):
                sub(item, "placeEntry", event["place"])
            kind = event.get("type") or "other"
            details = "; ".join(f"{key}: {text_value(value)}" for key, value in event_extras(event))
            sub(item, "event", f"{kind}; {details}" if details else kind, localType=kind)
    return description


def _relations(record: dict, person: dict) -> ET.Element:
    doc = record["document"]
    container = ET.Element("relations")
    for relation in relations_of(record, person.get("id")):
        node = sub(container, "cpfRelation",
                   cpfRelationType="family" if FAMILY.search(relation.type) else "associative")
        if relation.object:
            node.set(f"{{{XLINK_NS}}}type", "simple")
            node.set(f"{{{XLINK_NS}}}href", file_name(doc["id"], relation.object))
            node.set(f"{{{XLINK_NS}}}arcrole", quote(relation.type, safe=""))
        sub(node, "relationEntry", relation.object_name or relation.object or "",
            localType=quote(relation.type, safe=""))
    resource = sub(container, "resourceRelation", resourceRelationType="subjectOf")
    _link(resource, doc.get("source"))
    sub(resource, "relationEntry", doc.get("source") or doc["id"])
    return container
