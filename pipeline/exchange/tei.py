"""TEI P5: one XML file per document.

    <TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="ru">
      <teiHeader> title = source, publicationStmt, sourceDesc, langUsage </teiHeader>
      <text><body>
        <div type="page" n="1"><p xml:lang="ru">... <persName xml:id="e1" ref="#p1" key="...">...</persName>
          ... <date xml:id="e2" when="1937-08-15">15.VIII.1937</date> ...<lb/>...</p></div>
      </body></text>
      <standOff><listPerson><person xml:id="p1"> persName, birth, event, death </person>
        <listRelation>...</listRelation></listPerson></standOff>
    </TEI>

Paragraphs are split on blank lines, single line breaks become `<lb/>` after the newline, so
the text of a `<div>` (itertext) is the page text without the blank lines between paragraphs.
Entities are put in at their exact offsets; normalized names go to `@key`, dates to
W3C attributes (`when`, or `notBefore`/`notAfter` for seasons and decades, `from`/`to` for
intervals) and, when the EDTF value says more than W3C dates can (1937~, 1937-23, 193X),
the EDTF value itself in `@when-custom` with `datingMethod="#edtf"`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Optional

from pipeline.exchange import edtf
from pipeline.exchange.records import (
    aliases, birth, event_extras, events, name_parts, persons, relations, text_value,
)
from pipeline.exchange.xmlutil import (
    XML_ID, XML_LANG, indent_structure, ncname, set_attrs, sub, to_bytes, token, xml_safe,
)

TEI_NS = "http://www.tei-c.org/ns/1.0"
ELEMENT_FOR = {"PERSON": "persName", "PLACE": "placeName", "ORG": "orgName", "DATE": "date"}
LANGUAGE_NAMES = {"ru": "Russian", "kk": "Kazakh", "de": "German", "uk": "Ukrainian", "pl": "Polish",
                  "en": "English", "und": "undetermined"}
MIXED = frozenset({"p", "persName", "placeName", "orgName", "date", "desc", "label", "title", "birth",
                   "death", "language", "authority", "idno", "extent"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n\s*")


def document_xml(record: dict) -> bytes:
    """The TEI file for one record."""
    doc = record["document"]
    root = ET.Element("TEI", {XML_LANG: _lang(doc.get("languages"))} if doc.get("languages") else {})
    root.append(_header(record))
    text = sub(root, "text")
    body = sub(text, "body")
    mentioned_by = {m: p.get("id") for p in persons(record) for m in p.get("mentions") or []}
    person_ids = {p.get("id") for p in persons(record)}
    for page in record.get("pages") or []:
        _page(body, page, record, mentioned_by, person_ids)
    standoff = _standoff(record)
    if standoff is not None:
        root.append(standoff)
    indent_structure(root, MIXED)
    return to_bytes(root, TEI_NS)


def _lang(languages) -> str:
    return languages[0] if languages else "und"


def _header(record: dict) -> ET.Element:
    doc = record["document"]
    source = doc.get("source") or doc["id"]
    header = ET.Element("teiHeader")
    file_desc = sub(header, "fileDesc")
    title_stmt = sub(file_desc, "titleStmt")
    sub(title_stmt, "title", source)
    pages = doc.get("page_count") or len(record.get("pages") or [])
    extent = sub(file_desc, "extent")
    sub(extent, "measure", f"{pages} page{'s' if pages != 1 else ''}", unit="pages", quantity=str(pages))
    publication = sub(file_desc, "publicationStmt")
    sub(publication, "authority", f"testimony {doc.get('pipeline_version') or ''}".strip())
    sub(publication, "idno", doc["id"], type="testimony")
    sub(publication, "availability").append(_p(
        "Machine-generated from a scan of an archival document (OCR and entity recognition): "
        "check names, dates and places against the original."))
    source_desc = sub(file_desc, "sourceDesc")
    bibl = sub(source_desc, "bibl")
    sub(bibl, "title", source)
    if doc.get("sha256"):
        sub(bibl, "idno", doc["sha256"], type="sha256")

    profile = sub(header, "profileDesc")
    shares = _language_shares(record)
    if shares:
        usage = sub(profile, "langUsage")
        for code, share in shares:
            sub(usage, "language", LANGUAGE_NAMES.get(code, code), ident=code, usage=str(share))
    calendars = sub(profile, "calendarDesc")
    calendar = sub(calendars, "calendar", **{XML_ID: "edtf"})
    calendar.append(_p("Extended Date/Time Format (EDTF, ISO 8601-2), as in the testimony JSON records: "
                       "1937~ approximate, 1937? uncertain, 1937-21..24 spring, summer, autumn, winter, "
                       "193X a decade, 1938/1946 an interval."))
    return header


def _p(text: str) -> ET.Element:
    element = ET.Element("p")
    element.text = xml_safe(text)
    return element


def _language_shares(record: dict) -> list[tuple[str, int]]:
    """Document languages with their share of the text in percent, largest first."""
    sizes: dict[str, int] = {code: 0 for code in record["document"].get("languages") or []}
    for page in record.get("pages") or []:
        for span in page.get("language_spans") or []:
            try:
                sizes[span["lang"]] = sizes.get(span["lang"], 0) + max(0, span["end"] - span["start"])
            except (KeyError, TypeError):
                continue
    total = sum(sizes.values())
    shares = [(code, round(100 * size / total) if total else 0) for code, size in sizes.items()]
    return sorted(shares, key=lambda item: -item[1]) if total else shares


def _page(body: ET.Element, page: dict, record: dict, mentioned_by: dict, person_ids: set) -> None:
    document_lang = _lang(record["document"].get("languages"))
    number = page.get("page")
    div = sub(body, "div", type="page", n=str(number))
    text = page.get("text") or ""
    entities = _page_entities(record, number, text)
    breaks = [
        (m.start(), m.end()) for m in _PARAGRAPH_BREAK.finditer(text)
        if not any(e["start"] < m.end() and m.start() < e["end"] for e in entities)
    ]
    cursor = 0
    for start, end in [*breaks, (len(text), len(text))]:
        if text[cursor:start].strip():
            _paragraph(div, text, cursor, start, entities, page, mentioned_by, person_ids, document_lang)
        cursor = end
    if not len(div):
        sub(div, "p")  # a page without text: an empty paragraph keeps the div valid


def _page_entities(record: dict, number: int, text: str) -> list[dict]:
    """The page's entities with usable offsets, in order, none overlapping."""
    found = []
    for entity in record.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("page") != number or entity.get("label") not in ELEMENT_FOR:
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            found.append(entity)
    found.sort(key=lambda e: (e["start"], -e["end"]))
    kept, last_end = [], 0
    for entity in found:
        if entity["start"] >= last_end:  # the contract says entities never nest; keep the first if they do
            kept.append(entity)
            last_end = entity["end"]
    return kept


def _paragraph(div, text, start, end, entities, page, mentioned_by, person_ids, document_lang) -> None:
    p = sub(div, "p")
    lang = _paragraph_lang(page, start, end)
    if lang and lang != document_lang:  # a Kazakh paragraph in a Russian document, and so on
        p.set(XML_LANG, lang)
    cursor = start
    for entity in entities:
        if entity["start"] < start or entity["end"] > end:
            continue
        _append_text(p, text[cursor:entity["start"]])
        element = sub(p, ELEMENT_FOR[entity["label"]], **{XML_ID: ncname(entity.get("id") or "", "e")})
        _entity_attrs(element, entity, mentioned_by, person_ids)
        _append_text(element, text[entity["start"]:entity["end"]])
        cursor = entity["end"]
    _append_text(p, text[cursor:end])


def _paragraph_lang(page: dict, start: int, end: int) -> Optional[str]:
    overlap: dict[str, int] = {}
    for span in page.get("language_spans") or []:
        try:
            size = min(end, span["end"]) - max(start, span["start"])
        except (KeyError, TypeError):
            continue
        if size > 0:
            overlap[span["lang"]] = overlap.get(span["lang"], 0) + size
    return max(overlap, key=overlap.get) if overlap else None


def _entity_attrs(element: ET.Element, entity: dict, mentioned_by: dict, person_ids: set) -> None:
    normalized = entity.get("normalized")
    if entity["label"] == "DATE":
        set_attrs(element, date_attrs(normalized, precision=True))
        return
    if normalized:
        element.set("key", xml_safe(normalized))
    person = mentioned_by.get(entity.get("id"))
    if entity["label"] == "PERSON" and person in person_ids:
        element.set("ref", f"#{ncname(person, 'p')}")


def _append_text(parent: ET.Element, text: str) -> None:
    """Text at the end of `parent`; each newline is followed by `<lb/>`."""
    lines = xml_safe(text).split("\n")
    _add(parent, lines[0])
    for line in lines[1:]:
        _add(parent, "\n")
        ET.SubElement(parent, "lb")
        _add(parent, line)


def _add(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def date_attrs(value: Optional[str], *, precision: bool = False) -> dict:
    """TEI att.datable attributes for an EDTF value (empty for None or a value that is not EDTF).

    `precision` adds @precision="low" for approximate values; only elements in att.dimensions
    (date) have it. Uncertain values ("?") get @cert="low" on any element.
    """
    date = edtf.parse(value)
    if date is None:
        return {}
    attrs: dict = {}
    if isinstance(date, edtf.Interval):
        start, end = date.start, date.end
        if start is not None and (start.iso or start.earliest):
            attrs["from"] = start.iso or start.earliest
        if end is not None and (end.iso or end.latest):
            attrs["to"] = end.iso or end.latest
        qualified = [d for d in (start, end) if d is not None]
        approximate = any(d.approximate for d in qualified)
        uncertain = any(d.uncertain for d in qualified)
    else:
        if date.iso:
            attrs["when"] = date.iso
        elif date.earliest:
            attrs["notBefore"], attrs["notAfter"] = date.earliest, date.latest
        approximate, uncertain = date.approximate, date.uncertain
    if not edtf.is_plain(value):
        attrs["when-custom"] = value
        attrs["datingMethod"] = "#edtf"
    if approximate and precision:
        attrs["precision"] = "low"
    if uncertain:
        attrs["cert"] = "low"
    return attrs


# --- persons -----------------------------------------------------------------------------------


def _standoff(record: dict) -> Optional[ET.Element]:
    people = persons(record)
    if not people:
        return None
    standoff = ET.Element("standOff")
    listing = sub(standoff, "listPerson")
    known = {p.get("id") for p in people}
    for person in people:
        listing.append(person_element(person))
    links = tei_relations(record, known)
    if links:
        relation_list = sub(listing, "listRelation")
        for attrs in links:
            sub(relation_list, "relation", **attrs)
    return standoff


SYMMETRIC = frozenset({"spouse", "sibling", "relative"})


def tei_relations(record: dict, known: set) -> list[dict]:
    """`<relation>` attributes, each relation once: the records hold both directions ("p1: spouse
    p2" and "p2: spouse p1"; "p1: child p2" and "p2: parent p1"). Symmetric ones are @mutual;
    parent/child becomes name="parent" with the parent @active and the child @passive."""
    out: list[dict] = []
    seen = set()
    for link in relations(record):
        if link.object not in known or link.object == link.subject:
            continue
        me, other = f"#{ncname(link.subject, 'p')}", f"#{ncname(link.object, 'p')}"
        kind = token(link.type)
        if kind in SYMMETRIC:
            key = (kind, frozenset((me, other)))
            attrs = {"name": kind, "mutual": " ".join(sorted((me, other)))}
        elif kind in ("parent", "child"):
            parent, child = (other, me) if kind == "parent" else (me, other)
            key = ("parent", parent, child)
            attrs = {"name": "parent", "active": parent, "passive": child}
        else:  # the other person is `kind` to this one
            key = (kind, other, me)
            attrs = {"name": kind, "active": other, "passive": me}
        if key not in seen:
            seen.add(key)
            out.append(attrs)
    return out


def person_element(person: dict) -> ET.Element:
    element = ET.Element("person", {XML_ID: ncname(person.get("id") or "", "p")})
    parts = name_parts(person)
    name = sub(element, "persName")
    pieces = [("surname", parts["surname"], {}), ("forename", parts["given"], {}),
              ("addName", parts["patronymic"], {"type": "patronymic"})]
    if any(value for _, value, _ in pieces):
        for tag, value, attrs in pieces:
            if value:
                if len(name):
                    name[-1].tail = " "
                sub(name, tag, value, **attrs)
        joined = " ".join(value for _, value, _ in pieces if value)
        if parts["full"] and parts["full"] != joined:
            sub(element, "persName", parts["full"], type="full")
    elif parts["full"]:
        name.text = xml_safe(parts["full"])
    else:
        element.remove(name)
    for alias in aliases(person):
        sub(element, "persName", alias, type="alias")
    born = birth(person)
    if born["date"] or born["place"]:
        node = sub(element, "birth")
        set_attrs(node, date_attrs(born["date"]))
        if born["place"]:
            sub(node, "placeName", born["place"])
    for event in events(person):
        element.append(_event(event))
    return element


def _event(event: dict) -> ET.Element:
    kind = event.get("type") or "other"
    extras = event_extras(event)
    evidence = " ".join(f"#{ncname(e, 'e')}" for e in event.get("evidence") or [] if isinstance(e, str))
    if kind == "death" and not extras:
        node = ET.Element("death")
        set_attrs(node, date_attrs(event.get("date")))
        if evidence:
            node.set("source", evidence)
        if event.get("place"):
            sub(node, "placeName", event["place"])
        return node
    node = ET.Element("event", {"type": token(kind)})
    set_attrs(node, date_attrs(event.get("date")))
    if evidence:
        node.set("source", evidence)
    sub(node, "label", kind)
    if event.get("place"):
        sub(sub(node, "desc", type="place"), "placeName", event["place"])
    for key, value in extras:
        desc = sub(node, "desc", type=token(key))
        if key == "organ":
            sub(desc, "orgName", text_value(value))
        else:
            desc.text = xml_safe(text_value(value))
    return node
