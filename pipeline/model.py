"""Plain dataclasses passed between the stages.

Every stage takes and returns these; none of them carries behaviour beyond
small conveniences, so a page can cross a process boundary (pickle) and a
document can be written as the contract's JSON by `export` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

BBox = tuple[int, int, int, int]
# The contract's kinds of event in a person record (`birth` is separate).
EVENT_TYPES = ("arrest", "sentence", "transfer", "release", "death", "rehabilitation", "residence", "other")


@dataclass
class Word:
    """One OCR word with its place in the page text and on the page image."""

    text: str
    start: int  # offset of the word in Page.text
    end: int
    bbox: BBox  # x0, y0, x1, y1 in pixels of the page image as OCR saw it
    confidence: float  # 0..1


@dataclass
class LanguageSpan:
    start: int
    end: int
    lang: str  # ISO 639-1, or "und" when no candidate language fits
    confidence: float


@dataclass
class Entity:
    """A PERSON, DATE, PLACE or ORG mention; offsets index its page's text."""

    label: str
    text: str
    start: int
    end: int
    lang: str
    normalized: Optional[str]
    confidence: float
    bbox: Optional[list[int]] = None  # union of its OCR word boxes; None on text-layer pages


@dataclass
class Page:
    number: int  # 1-based
    method: str  # "ocr" | "text-layer"
    text: str
    ocr_confidence: Optional[float] = None  # mean word confidence 0..1; None for text-layer pages
    language_spans: list[LanguageSpan] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    width: Optional[int] = None  # pixel size of the image OCR read (None for text-layer pages)
    height: Optional[int] = None
    dpi: Optional[int] = None
    ocr_lang: Optional[str] = None  # tesseract language model used, for the record
    entities: list[Entity] = field(default_factory=list)


@dataclass
class DocumentInfo:
    id: str  # first 16 hex chars of sha256
    source: str  # path relative to the input root
    sha256: str
    page_count: int
    languages: list[str]
    pipeline_version: str
    format: Optional[str] = None  # "png" | "jpeg" | "tiff" | "pdf", from the file's content
    source_encoding: Optional[str] = None  # the code page a name that is not UTF-8 was read in (filenames.py)


@dataclass
class Document:
    info: DocumentInfo
    pages: list[Page]  # entities live on their pages; export numbers them across the document
    persons: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def numbered_entities(self) -> list[tuple[str, int, Entity]]:
        """(id, page number, entity) in reading order: the ids "e1", "e2", ... of the JSON,
        which person records cite as evidence."""
        ordered = [(page.number, entity) for page in self.pages
                   for entity in sorted(page.entities, key=lambda e: (e.start, e.end))]
        return [(f"e{i}", number, entity) for i, (number, entity) in enumerate(ordered, start=1)]
