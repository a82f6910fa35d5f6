"""Ingest: find input files, recognise what they are, and hand out their pages.

A file's type comes from its first bytes, not its name: archives receive
files renamed by hand, and a JPEG called `.pdf` is still a readable scan.
Each page is loaded on its own (`load_page`) so that pages of one long PDF
can be read by different workers.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

from PIL import Image, ImageOps

from pipeline.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedPdf,
    ImageTooLarge,
    InputError,
    UnsupportedFormat,
)

RENDER_DPI = 300
# A3 at 600 DPI is 70 megapixels; anything far beyond is not a page but a
# decompression bomb (a small file that expands to gigabytes in memory).
MAX_PAGE_PIXELS = 120_000_000
# A PDF page whose text layer has fewer letters/digits than this is a scan
# with stray characters (a page number, a stamp caption): it gets OCR.
MIN_TEXT_LAYER_CHARS = 20

EXTENSION_FORMATS = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".pdf": "pdf",
}
FORMAT_NAMES = {"png": "PNG image", "jpeg": "JPEG image", "tiff": "TIFF image", "pdf": "PDF"}
SKIPPED_NAMES = {"thumbs.db", "desktop.ini"}
# Notes and metadata that archives keep beside their scans. Found in a folder,
# they are listed as ignored rather than failed; named on the command line,
# they are errors like any other file that is not a document.
SIDECAR_SUFFIXES = {".md", ".txt", ".rtf", ".xml", ".json", ".jsonl", ".csv", ".tsv", ".xmp", ".log", ".yml", ".yaml", ".ini", ".md5", ".sha256"}


@dataclass
class SourceFile:
    """An input file, identified by its content."""

    path: Path
    source: str  # path relative to the input root, with forward slashes
    explicit: bool = False  # named on the command line rather than found in a folder
    sha256: str = ""
    format: str = ""
    page_count: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.sha256[:16]


@dataclass
class PageContent:
    """What a page offers before OCR: an image to read, or a text layer."""

    number: int
    image: Optional[Image.Image] = None
    dpi: Optional[int] = None
    text: Optional[str] = None  # the PDF text layer, when it is real
    warnings: list[str] = field(default_factory=list)


def discover(inputs: Iterable[Path], exclude: Iterable[Path] = ()) -> list[SourceFile]:
    """Every file under the inputs (folders recursively), in a stable order.

    Hidden files and OS clutter are skipped; every other file is returned,
    even of unknown type, so that nothing is silently left out: an
    unsupported file gets an error record instead.
    """
    excluded = [p.resolve() for p in exclude]
    found: list[SourceFile] = []
    for root in inputs:
        root = Path(root)
        if root.is_file():
            found.append(SourceFile(path=root, source=root.name, explicit=True))
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".") and (here / d).resolve() not in excluded
            )
            for name in sorted(filenames):
                if name.startswith(".") or name.lower() in SKIPPED_NAMES:
                    continue
                path = here / name
                found.append(SourceFile(path=path, source=path.relative_to(root).as_posix()))
    return found


def is_sidecar(src: SourceFile) -> bool:
    """A notes or metadata file found beside the scans (README.md, checksums, XML)."""
    return not src.explicit and src.path.suffix.lower() in SIDECAR_SUFFIXES


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff(head: bytes) -> str:
    """The file type from its first bytes: a supported format or a description."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive or office document"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if head.startswith(b"BM"):
        return "a BMP image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC photo"
    if head.startswith(b"\x00\x00\x00\x0cjP  "):
        return "a JPEG 2000 image"
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page (perhaps a download that failed)"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return "data of an unknown kind"


def inspect(src: SourceFile) -> SourceFile:
    """Fill in hash, format and page count; raise InputError for unreadable files."""
    name = src.source
    try:
        size = src.path.stat().st_size
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}).", hint="Check that the file exists and that you may read it.") from exc
    if size == 0:
        raise EmptyFile(
            f"{name}: the file is empty (0 bytes).",
            hint="It was probably cut off while copying; copy or scan it again.",
        )
    with open(src.path, "rb") as handle:
        head = handle.read(2048)
    src.sha256 = sha256_of(src.path)
    kind = sniff(head)
    claimed = EXTENSION_FORMATS.get(src.path.suffix.lower())
    if kind not in FORMAT_NAMES:
        said = f" although its name ends in {src.path.suffix}" if claimed else ""
        raise UnsupportedFormat(
            f"{name}: this is {kind}{said}, not a document the pipeline reads.",
            hint="Supported: PNG, JPEG, TIFF (multi-page too) and PDF. Convert the file, or move it out of the input folder.",
        )
    if claimed and claimed != kind:
        src.warnings.append(
            f"{name}: the name says {FORMAT_NAMES[claimed]} but the content is a {FORMAT_NAMES[kind]}; read as {FORMAT_NAMES[kind]}."
        )
    src.format = kind
    src.page_count = _pdf_page_count(src) if kind == "pdf" else _image_page_count(src)
    return src


def _open_image(src: SourceFile) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(src.path)
        except Image.DecompressionBombError as exc:
            raise _too_large(src, None) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptFile(
                f"{src.source}: the {FORMAT_NAMES[src.format]} is damaged and cannot be opened ({exc}).",
                hint="Export or scan the page again.",
            ) from exc
    return image


def _too_large(src: SourceFile, pixels: Optional[int]) -> ImageTooLarge:
    size = f" ({pixels / 1e6:.0f} megapixels)" if pixels else ""
    return ImageTooLarge(
        f"{src.source}: the image is too large to be a page{size}; the limit is {MAX_PAGE_PIXELS / 1e6:.0f} megapixels.",
        hint="It may be a damaged or malicious file; if it is a real scan, save it at 300-600 DPI.",
    )


def _image_page_count(src: SourceFile) -> int:
    image = _open_image(src)
    with image:
        frames = getattr(image, "n_frames", 1)
        for index in range(frames):
            image.seek(index)
            pixels = image.width * image.height
            if pixels > MAX_PAGE_PIXELS:
                raise _too_large(src, pixels)
    return frames


def _pdf_page_count(src: SourceFile) -> int:
    import pypdfium2 as pdfium

    with open(src.path, "rb") as handle:
        handle.seek(max(0, src.path.stat().st_size - 2048))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise CorruptFile(
            f"{src.source}: the PDF is truncated (it has no end-of-file marker).",
            hint="It was probably cut off while copying or downloading; copy or export it again.",
        )
    try:
        pdf = pdfium.PdfDocument(str(src.path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPdf(
                f"{src.source}: the PDF is encrypted with a password.",
                hint="Ask its owner for an unprotected copy (or remove the password), then run again.",
            ) from exc
        raise CorruptFile(
            f"{src.source}: the PDF is damaged and cannot be opened ({exc}).",
            hint="Export or scan it again.",
        ) from exc
    with pdf:
        count = len(pdf)
    if count == 0:
        raise CorruptFile(f"{src.source}: the PDF has no pages.", hint="Export or scan it again.")
    return count


def iter_pages(src: SourceFile, dpi: int = RENDER_DPI) -> Iterator[PageContent]:
    for number in range(1, src.page_count + 1):
        yield load_page(src, number, dpi)


def load_page(src: SourceFile, number: int, dpi: int = RENDER_DPI) -> PageContent:
    """Page `number` (1-based) of an inspected file: its text layer or its image."""
    if src.format == "pdf":
        return _load_pdf_page(src, number, dpi)
    return _load_image_page(src, number)


def _load_image_page(src: SourceFile, number: int) -> PageContent:
    image = _open_image(src)
    try:
        image.seek(number - 1)
        dpi = _dpi_of(image)
        image.load()
        page = ImageOps.exif_transpose(_to_8bit(image))
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(
            f"{src.source}: page {number} of the {FORMAT_NAMES[src.format]} is damaged ({exc}).",
            hint="Export or scan the page again.",
        ) from exc
    finally:
        image.close()
    return PageContent(number=number, image=page, dpi=dpi)


def _dpi_of(image: Image.Image) -> Optional[int]:
    """The resolution the file declares, when it is believable.

    Cameras and some scanners write 72 or 1 DPI whatever the real
    resolution; such values would mislead OCR more than no value at all.
    """
    value = image.info.get("dpi")
    if not value:
        return None
    try:
        dpi = round(float(value[0]))
    except (TypeError, ValueError, IndexError):
        return None
    return dpi if 100 <= dpi <= 1600 else None


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "RGB"):
        return image.copy()
    if image.mode.startswith("I"):
        import numpy as np

        data = np.asarray(image, dtype=np.float64)
        high = data.max() or 1.0
        return Image.fromarray((data * (255.0 / high)).astype("uint8"), mode="L")
    if image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _load_pdf_page(src: SourceFile, number: int, dpi: int) -> PageContent:
    warnings_: list[str] = []
    text = None
    try:
        text = pdf_text_layer(src.path, number)
    except Exception as exc:  # pdfminer raises many kinds; rendering may still work
        warnings_.append(f"{src.source}: page {number}: the text layer could not be read ({exc}); the page is OCR'd instead.")
    if text is not None:
        return PageContent(number=number, text=text, warnings=warnings_)
    image, used_dpi = render_pdf_page(src, number, dpi)
    if used_dpi < dpi:
        warnings_.append(f"{src.source}: page {number} is very large; rendered at {used_dpi} DPI instead of {dpi}.")
    return PageContent(number=number, image=image, dpi=used_dpi, warnings=warnings_)


def render_pdf_page(src: SourceFile, number: int, dpi: int = RENDER_DPI) -> tuple[Image.Image, int]:
    """Render in memory with PDFium (0.02-0.07 s a page; pdftoppm spends seconds writing PNGs)."""
    import pypdfium2 as pdfium

    try:
        with pdfium.PdfDocument(str(src.path)) as pdf:
            page = pdf[number - 1]
            width_pt, height_pt = page.get_size()
            pixels = width_pt * height_pt * (dpi / 72.0) ** 2
            if pixels > MAX_PAGE_PIXELS:
                dpi = int(dpi * (MAX_PAGE_PIXELS / pixels) ** 0.5)
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            image = bitmap.to_pil().convert("L")
            page.close()
    except pdfium.PdfiumError as exc:
        raise CorruptFile(
            f"{src.source}: page {number} of the PDF cannot be rendered ({exc}).",
            hint="Export or scan it again.",
        ) from exc
    return image, dpi


def pdf_text_layer(path: Path, number: int) -> Optional[str]:
    """The page's text layer with paragraphs separated by blank lines, or None.

    None when the page has no real text: fewer than MIN_TEXT_LAYER_CHARS
    letters and digits, or glyphs without a Unicode mapping (pdfminer shows
    them as "(cid:NN)"), which a scan-to-PDF tool can leave behind.
    """
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        page = pdf.pages[number - 1]
        lines = page.extract_text_lines(return_chars=False, strip=True)
    # NFC: some PDF producers store "й" as "и" plus a combining breve.
    text = unicodedata.normalize("NFC", _join_lines(lines))
    letters = sum(ch.isalnum() for ch in text)
    if letters < MIN_TEXT_LAYER_CHARS or text.count("(cid:") * 8 > letters:
        return None
    return text


def _join_lines(lines: list[dict]) -> str:
    """Lines into text: a vertical gap clearly wider than the usual one starts a paragraph."""
    if not lines:
        return ""
    gaps = [b["top"] - a["bottom"] for a, b in zip(lines, lines[1:])]
    heights = sorted(line["bottom"] - line["top"] for line in lines)
    line_height = heights[len(heights) // 2] or 1.0
    usual = sorted(g for g in gaps if g >= 0)
    usual_gap = usual[len(usual) // 3] if usual else 0.0
    threshold = max(usual_gap * 1.8, usual_gap + 0.5 * line_height)
    parts = [lines[0]["text"]]
    for gap, line in zip(gaps, lines[1:]):
        parts.append("\n\n" if gap > threshold else "\n")
        parts.append(line["text"])
    return "".join(parts)
