"""Small XML helpers shared by the TEI and EAC-CPF writers (standard library ElementTree)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Optional

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"

# Characters XML 1.0 forbids (C0 controls other than tab/newline/CR, lone surrogates, U+FFFE/F).
# OCR text carries some (a form feed at the end of a Tesseract page); they become spaces.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: Optional[str]) -> str:
    """Text an XML 1.0 document may hold. ElementTree escapes &, <, > and quotes itself; it
    does not refuse control characters, which would make the file unreadable."""
    if not text:
        return ""
    return _ILLEGAL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def ncname(value: str, prefix: str = "x") -> str:
    """`value` as an XML name usable in xml:id (the record's ids e1, p1 already are)."""
    cleaned = re.sub(r"[^\w.\-]", "_", value or "")
    if not cleaned or not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = f"{prefix}{cleaned}"
    return cleaned


def token(value: str) -> str:
    """A value for an attribute of token type (TEI @type, @name): no spaces or controls."""
    return re.sub(r"[\s\x00-\x1f]+", "_", xml_safe(value).strip()) or "unknown"


def sub(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: Optional[str]) -> ET.Element:
    """A child element; None attributes are left out, text and values made XML-safe."""
    element = ET.SubElement(parent, tag, {k: xml_safe(str(v)) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = xml_safe(text)
    return element


def set_attrs(element: ET.Element, attrs: dict) -> None:
    for key, value in attrs.items():
        if value is not None:
            element.set(key, xml_safe(str(value)))


def indent_structure(element: ET.Element, mixed: frozenset, level: int = 0, space: str = "  ") -> None:
    """Indent element-only content; leave mixed content (running text) exactly as it is.

    `xml.etree.ElementTree.indent` would put line breaks into paragraphs that start with a
    name or hold two names separated by a space, which changes the text.
    """
    if not len(element) or element.tag in mixed or _has_text(element):
        return
    inner = "\n" + space * (level + 1)
    element.text = inner
    for child in element:
        indent_structure(child, mixed, level + 1, space)
        child.tail = inner
    element[-1].tail = "\n" + space * level


def _has_text(element: ET.Element) -> bool:
    if element.text and element.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in element)


def to_bytes(root: ET.Element, namespace: str) -> bytes:
    """The document as UTF-8 with an XML declaration. Elements are built without a namespace
    and `namespace` is declared as the default on the root (ElementTree's own
    default_namespace option refuses the unprefixed attributes TEI and EAC-CPF use)."""
    root.set("xmlns", namespace)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"
