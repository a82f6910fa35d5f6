"""schema.org JSON-LD: one document with an `@graph` of Person and CreativeWork nodes.

The `@context` is written inline (`{"@vocab": "https://schema.org/"}`), so the file expands
without fetching anything: archives often process it on machines without network access.

    Person: name, familyName, givenName, additionalName (patronymic), alternateName, gender,
            birthDate, birthPlace (Place), deathDate, deathPlace, spouse / parent / children /
            sibling / relatedTo (other persons of the document),
            subjectOf: the source document and one Event per event (arrest, sentence, ...) with
            startDate / endDate, location (Place), organizer (Organization, the organ),
            description (charge, term, ...), about (the person).
    CreativeWork: the source document (name = source path, identifier = document id).

Dates are the records' EDTF values ("1937-08-15", "1902", "1937~", "1937-23"); an interval
"1938/1946" on an event becomes startDate "1938", endDate "1946".
"""

from __future__ import annotations

from typing import Iterable, Optional

from pipeline.exchange import edtf
from pipeline.exchange.records import (
    aliases, birth, display_name, event_extras, events, gender, name_parts, persons, relations_of, text_value,
)

CONTEXT = {"@vocab": "https://schema.org/"}
# A person's relation type is what the other person is to them: "parent" -> schema:parent, ...
PROPERTIES = {"spouse": "spouse", "sibling": "sibling", "parent": "parent", "child": "children"}
GENDERS = {"female": "Female", "male": "Male"}


def document_iri(doc_id: str) -> str:
    return f"urn:testimony:{doc_id}"


def person_iri(doc_id: str, person_id: str) -> str:
    return f"urn:testimony:{doc_id}:{person_id}"


def graph(records: Iterable[dict]) -> dict:
    nodes: list[dict] = []
    for record in records:
        nodes.extend(record_nodes(record))
    return {"@context": CONTEXT, "@graph": nodes}


def record_nodes(record: dict) -> list[dict]:
    doc = record["document"]
    doc_id = doc["id"]
    people = persons(record)
    work = {
        "@id": document_iri(doc_id),
        "@type": "CreativeWork",
        "name": doc.get("source") or doc_id,
        "identifier": doc_id,
    }
    if doc.get("languages"):
        work["inLanguage"] = list(doc["languages"])
    if people:
        work["about"] = [{"@id": person_iri(doc_id, p.get("id"))} for p in people]
    return [work, *(person_node(record, p) for p in people)]


def _place(name: Optional[str]) -> Optional[dict]:
    return {"@type": "Place", "name": name} if name else None


def person_node(record: dict, person: dict) -> dict:
    doc_id = record["document"]["id"]
    iri = person_iri(doc_id, person.get("id"))
    parts = name_parts(person)
    born = birth(person)
    node: dict = {"@id": iri, "@type": "Person"}
    optional = {
        "name": display_name(person),
        "familyName": parts["surname"],
        "givenName": parts["given"],
        "additionalName": parts["patronymic"],
        "alternateName": aliases(person) or None,
        "gender": {"@id": f"https://schema.org/{GENDERS[gender(person)]}"} if gender(person) in GENDERS else None,
        "birthDate": born["date"],
        "birthPlace": _place(born["place"]),
    }
    death = next((e for e in events(person) if e.get("type") == "death"), None)
    if death:
        optional["deathDate"] = death.get("date")
        optional["deathPlace"] = _place(death.get("place"))
    node.update({key: value for key, value in optional.items() if value})
    subject_of: list[dict] = [{"@id": document_iri(doc_id)}]
    subject_of.extend(_event(event, iri) for event in events(person))
    node["subjectOf"] = subject_of
    for relation in relations_of(record, person.get("id")):
        prop = PROPERTIES.get(relation.type, "relatedTo")
        other = ({"@id": person_iri(doc_id, relation.object)} if relation.object
                 else {"@type": "Person", "name": relation.object_name})
        node.setdefault(prop, []).append(other)
    return node


def _event(event: dict, person_iri_: str) -> dict:
    kind = event.get("type") or "other"
    node: dict = {"@type": "Event", "name": kind, "about": {"@id": person_iri_}}
    date = edtf.parse(event.get("date"))
    if isinstance(date, edtf.Interval):
        if date.start:
            node["startDate"] = date.start.raw
        if date.end:
            node["endDate"] = date.end.raw
    elif event.get("date"):
        node["startDate"] = event["date"]
    if event.get("place"):
        node["location"] = _place(event["place"])
    details = []
    for key, value in event_extras(event):
        if key == "organ":
            node["organizer"] = {"@type": "Organization", "name": text_value(value)}
        else:
            details.append(f"{key}: {text_value(value)}")
    if details:
        node["description"] = "; ".join(details)
    return node
