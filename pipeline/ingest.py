"""Ingest: find input files, recognise what they are, and hand out their pages.

A file's type comes from its first bytes, not its name: archives receive
files renamed by hand, and a JPEG called `.pdf` is still a readable scan.
Each page is loaded on its own (`load_page`) so that pages of one long PDF
can be read by different workers.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import math
import os
import stat
import threading
import unicodedata
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator, Optional

from PIL import Image, ImageOps

from pipeline.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedPdf,
    FileVanished,
    ImageTooLarge,
    InputError,
    NotARegularFile,
    UnsupportedFormat,
)
from pipeline.filenames import source_name
from pipeline.imaging import MAX_PAGE_PIXELS, map_rows

RENDER_DPI = 300
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

    path: Path  # opens the file (a name that is not UTF-8 keeps its bytes as surrogates)
    source: str  # path relative to the input root, with forward slashes; always printable (filenames.py)
    source_encoding: Optional[str] = None  # the code page `source` was decoded with; None: UTF-8
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
        if not root.is_dir():  # a file, or a pipe or device that `inspect` reports without opening
            name, encoding = source_name(root)
            found.append(SourceFile(path=root, source=name, source_encoding=encoding, explicit=True))
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
                shown, encoding = source_name(path, root)
                found.append(SourceFile(path=path, source=shown, source_encoding=encoding))
    return found


def is_sidecar(src: SourceFile) -> bool:
    """A notes or metadata file found beside the scans (README.md, checksums, XML)."""
    return not src.explicit and src.path.suffix.lower() in SIDECAR_SUFFIXES


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return _sha256_of_handle(handle)


def _sha256_of_handle(handle) -> str:
    digest = hashlib.sha256()
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
    with _open_regular(src) as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise EmptyFile(
                f"{name}: the file is empty (0 bytes).",
                hint="It was probably cut off while copying; copy or scan it again.",
            )
        head = handle.read(2048)
        handle.seek(0)
        src.sha256 = _sha256_of_handle(handle)
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


# What a path that is not a regular file is, for the message that names it.
_FILE_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device (character special file)"),
    (stat.S_ISBLK, "a device (block special file)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _open_regular(src: SourceFile):
    """The file opened for reading, after checking it is a regular file.

    A device may act when opened (a tape rewinds), so the type is checked before
    opening; O_NONBLOCK and a second check on the opened file (fstat) make sure
    that a pipe swapped in after that look neither blocks nor is read.
    """
    try:
        _check_regular(src, os.stat(src.path).st_mode)
        fd = os.open(src.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        if os.path.islink(src.path):
            raise NotARegularFile(
                f"{src.source}: a link to {os.readlink(src.path)!r}, which does not exist; skipped.",
                hint="Point the link at the scan, or remove it from the input folder.",
            ) from exc
        raise vanished(src) from exc
    except OSError as exc:
        raise InputError(
            f"{src.source}: cannot be read ({exc.strerror}).",
            hint="Check that you may read the file (its permissions), then run again.",
        ) from exc
    try:
        _check_regular(src, os.fstat(fd).st_mode)
    except NotARegularFile:
        os.close(fd)
        raise
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _check_regular(src: SourceFile, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((text for test, text in _FILE_KINDS if test(mode)), "not a regular file")
    raise NotARegularFile(
        f"{src.source}: {kind}, not a file; skipped, nothing was read from it.",
        hint="Only regular files are read: give the scan itself, or remove this from the input folder.",
    )


def vanished(src: SourceFile) -> FileVanished:
    return FileVanished(
        f"{src.source}: disappeared while the batch ran (moved or deleted?).",
        hint="Put it back, or check what moved it, and run the same command again: finished documents are kept.",
    )


def _open_image(src: SourceFile) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(src.path)
        except FileNotFoundError as exc:
            raise vanished(src) from exc
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
        hint="It may be a damaged or malicious file; if it is a real scan, save it at 300-400 DPI, or split the page into parts.",
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
    try:
        with open(src.path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 2048))
            tail = handle.read()
    except FileNotFoundError as exc:
        raise vanished(src) from exc
    if b"%%EOF" not in tail:
        raise CorruptFile(
            f"{src.source}: the PDF is truncated (it has no end-of-file marker).",
            hint="It was probably cut off while copying or downloading; copy or export it again.",
        )
    with _open_pdf(src) as pdf:
        count = len(pdf)
    if count == 0:
        raise _no_pages(src)
    return count


def _no_pages(src: SourceFile) -> CorruptFile:
    return CorruptFile(
        f"{src.source}: the PDF has no pages.",
        hint="It holds nothing to read: export the document again, with its pages.",
    )


def _open_pdf(src: SourceFile):
    """The PDF opened with PDFium; its failures said in words. PDFium refuses a PDF with no pages
    with its last error, which it does not reset: "Success", or the password of a PDF read
    before it. So pdfminer counts the pages first."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(src.path))
    except pdfium.PdfiumError as exc:
        if not os.path.exists(src.path):
            raise vanished(src) from exc
        if _pdfminer_page_count(src.path) == 0:
            raise _no_pages(src) from exc
        if "password" in str(exc).lower():
            raise EncryptedPdf(
                f"{src.source}: the PDF is encrypted with a password.",
                hint="Ask its owner for an unprotected copy (or remove the password), then run again.",
            ) from exc
        raise CorruptFile(
            f"{src.source}: the PDF is damaged and cannot be opened ({exc}).",
            hint="Export or scan it again.",
        ) from exc


def _pdfminer_page_count(path: Path) -> Optional[int]:
    """The page count by pdfminer, a second opinion; None when it cannot read the file either."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            return len(pdf.pages)
    except Exception:  # pdfminer raises many kinds on damaged files
        return None


def iter_pages(src: SourceFile, dpi: int = RENDER_DPI) -> Iterator[PageContent]:
    for number in range(1, src.page_count + 1):
        yield load_page(src, number, dpi)


def load_page(src: SourceFile, number: int, dpi: int = RENDER_DPI) -> PageContent:
    """Page `number` (1-based) of an inspected file: its text layer or its image."""
    if not os.path.exists(src.path):  # before any library reports it as a damaged file
        raise vanished(src)
    if src.format == "pdf":
        return _load_pdf_page(src, number, dpi)
    return _load_image_page(src, number)


def _load_image_page(src: SourceFile, number: int) -> PageContent:
    image = _open_image(src)
    try:
        image.seek(number - 1)
        if image.width * image.height > MAX_PAGE_PIXELS:  # the file changed since `inspect`
            raise _too_large(src, image.width * image.height)
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

        data = np.asarray(image)  # 2 or 4 bytes a pixel; floats only for a band of rows at a time
        high = float(data.max()) or 1.0
        return Image.fromarray(map_rows(data, lambda rows: rows.astype(np.float64) * (255.0 / high)), mode="L")
    if image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def load_text_page(src: SourceFile, number: int) -> Optional[PageContent]:
    """Page `number` when it has a usable text layer; None when it must be rendered and OCR'd
    (by `load_page`, which also says why when the text layer was there but unreadable)."""
    if src.format != "pdf":
        return None
    try:
        text = pdf_text_layer(src.path, number, src.sha256)
    except Exception:  # load_page tries again and reports it
        return None
    return None if text is None else PageContent(number=number, text=text)


def _load_pdf_page(src: SourceFile, number: int, dpi: int) -> PageContent:
    warnings_: list[str] = []
    text = None
    try:
        text = pdf_text_layer(src.path, number, src.sha256)
    except Exception as exc:  # pdfminer raises many kinds; rendering may still work
        warnings_.append(f"{src.source}: page {number}: the text layer could not be read ({exc}); the page is OCR'd instead.")
    if text is not None:
        return PageContent(number=number, text=text, warnings=warnings_)
    image, used_dpi = render_pdf_page(src, number, dpi)
    if used_dpi < dpi:
        warnings_.append(
            f"{src.source}: page {number} is very large; rendered at {used_dpi} DPI instead of {dpi} to stay within "
            f"the limit of {MAX_PAGE_PIXELS / 1e6:.0f} megapixels a page, so small print may not be read."
        )
    return PageContent(number=number, image=image, dpi=used_dpi, warnings=warnings_)


def render_pdf_page(src: SourceFile, number: int, dpi: int = RENDER_DPI) -> tuple[Image.Image, int]:
    """Render in memory with PDFium (0.02-0.07 s a page; pdftoppm spends seconds writing PNGs)."""
    import pypdfium2 as pdfium

    try:
        with _open_pdf(src) as pdf:
            page = pdf[number - 1]
            width_pt, height_pt = page.get_size()
            dpi = _dpi_within_budget(width_pt, height_pt, dpi)
            if dpi < 1:
                raise _too_large(src, None)
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            image = bitmap.to_pil().convert("L")
            page.close()
    except pdfium.PdfiumError as exc:
        raise CorruptFile(
            f"{src.source}: page {number} of the PDF cannot be rendered ({exc}).",
            hint="Export or scan it again.",
        ) from exc
    return image, dpi


def _dpi_within_budget(width_pt: float, height_pt: float, dpi: int) -> int:
    """`dpi`, or the highest one at which the page fits the pixel budget (PDFium rounds sizes up)."""
    while dpi >= 1 and (math.ceil(width_pt * dpi / 72.0) + 1) * (math.ceil(height_pt * dpi / 72.0) + 1) > MAX_PAGE_PIXELS:
        dpi = min(dpi - 1, int(dpi * (MAX_PAGE_PIXELS / ((width_pt * dpi / 72.0 + 1) * (height_pt * dpi / 72.0 + 1))) ** 0.5))
    return dpi


def pdf_text_layer(path: Path, number: int, sha256: str = "") -> Optional[str]:
    """The page's text layer with paragraphs separated by blank lines, or None.

    None when the page has no real text: fewer than MIN_TEXT_LAYER_CHARS
    letters and digits, or glyphs without a Unicode mapping (pdfminer shows
    them as "(cid:NN)"), which a scan-to-PDF tool can leave behind.

    The lines are pdfplumber's (`extract_text_lines`); they are rebuilt from
    PDFium's characters (`_pdfium_text_lines`, 10-30 times faster) when the
    page is plain horizontal text, and taken from pdfplumber itself otherwise.
    """
    lines = _pdfium_text_lines(path, number, sha256)
    if lines is None:
        lines = _pdfplumber_text_lines(path, number)
    # NFC: some PDF producers store "й" as "и" plus a combining breve.
    text = unicodedata.normalize("NFC", _join_lines(lines))
    letters = sum(map(str.isalnum, text))
    if letters < MIN_TEXT_LAYER_CHARS or text.count("(cid:") * 8 > letters:
        return None
    return text


def _pdfplumber_text_lines(path: Path, number: int) -> list[dict]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        page = pdf.pages[number - 1]
        return page.extract_text_lines(return_chars=False, strip=True)


# -- the text layer through PDFium ------------------------------------------------
#
# pdfplumber lays a page out with pdfminer, in Python: 0.15-0.2 s a page, most of
# a text-layer PDF's time. PDFium (C++) gives the same characters with their
# boxes in ~5 ms; the lines are then built with pdfplumber's own rules
# (`_plumber_lines`). Where PDFium and pdfminer could see a page differently,
# the page goes to pdfplumber: rotated pages and characters, characters
# without a Unicode value, and a space PDFium made up between characters
# closer together than pdfplumber's word gap (pdfminer may have no space there).

X_TOLERANCE = 3  # pdfplumber's defaults (utils.text.DEFAULT_X/Y_TOLERANCE)
Y_TOLERANCE = 3
LIGATURES = {"\ufb00": "ff", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb01": "fi", "\ufb02": "fl", "\ufb06": "st", "\ufb05": "st"}
_PDF_CACHE_SIZE = 2
_pdf_cache = threading.local()  # PDFium is not thread-safe: each thread keeps its own open documents
_all_caches: list = []  # every thread's cache, closed at exit
_all_caches_lock = threading.Lock()


def _open_pdfium(path: Path, sha256: str):
    """An open PDFium document, kept for the next pages of the same file (a small LRU per thread)."""
    import pypdfium2 as pdfium

    cache = getattr(_pdf_cache, "docs", None)
    if cache is None:
        cache = _pdf_cache.docs = OrderedDict()
        with _all_caches_lock:
            if not _all_caches:
                atexit.register(_close_all_cached)
            _all_caches.append(cache)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    key = (str(path), sha256, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    pdf = cache.get(key)
    if pdf is not None:
        cache.move_to_end(key)
        return pdf
    pdf = pdfium.PdfDocument(str(path))
    cache[key] = pdf
    while len(cache) > _PDF_CACHE_SIZE:
        _, old = cache.popitem(last=False)
        old.close()
    return pdf


def close_cached_documents() -> None:
    """Close the documents this thread keeps open (tests; long-lived workers between runs)."""
    _close(getattr(_pdf_cache, "docs", None))


def _close(cache) -> None:
    while cache:
        _, pdf = cache.popitem(last=False)
        pdf.close()


def _close_all_cached() -> None:
    """At exit, before pypdfium2 complains about documents still open."""
    with _all_caches_lock:
        for cache in _all_caches:
            try:
                _close(cache)
            except Exception:
                pass


def _pdfium_text_lines(path: Path, number: int, sha256: str = "") -> Optional[list[dict]]:
    """pdfplumber's text lines of the page, from PDFium; None where pdfplumber must do it."""
    try:
        import pypdfium2.raw as raw

        pdf = _open_pdfium(path, sha256)
        page = pdf[number - 1]
    except Exception:  # pdfplumber will try, and report what is wrong
        return None
    try:
        if raw.FPDFPage_GetRotation(page) != 0:
            return None
        textpage = page.get_textpage()
        try:
            chars = _pdfium_chars(raw, textpage, page.get_height(), page.get_mediabox())
        finally:
            textpage.close()
    finally:
        page.close()
    if chars is None:
        return None
    return _plumber_lines(chars)


def _unchecked(function, restype=None):
    """`function`, a pypdfium2 binding, without its argument types.

    ctypes converts and checks every argument against `argtypes` on each call,
    two thirds of a call's cost (1.5 µs instead of 0.5): too much once per
    character. The callers pass exactly what the C function takes (the handle
    pypdfium2 gave, a Python int for an `int`, `byref` of the struct).
    """
    import ctypes

    bare = type(function)(ctypes.cast(function, ctypes.c_void_p).value)
    bare.restype = restype or function.restype
    return bare


def _pdfium_chars(raw, textpage, height: float, mediabox) -> Optional[list[tuple]]:
    """(text, x0, x1, top, bottom) of each character, in pdfplumber's coordinates; None when
    the page is not plain horizontal text with a Unicode value for every character.

    The loop makes two or three C calls per character: the text comes in one call
    for the whole page, and a character's matrix and font size are its text
    object's (PDFium's CPDF_TextPage), so they are read once per text object.
    """
    import ctypes

    handle = textpage.raw
    count = raw.FPDFText_CountChars(handle)
    if count <= 0:
        return []
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    got = raw.FPDFText_GetText(handle, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: max(got - 1, 0) * 2].decode("utf-16-le", errors="surrogatepass")
    if len(text) != count:  # characters outside the BMP: one index, two UTF-16 units
        return None
    mb_y0 = mediabox[1]  # pdfminer measures from the MediaBox; only differences matter here
    rect = raw.FS_RECTF()
    matrix = raw.FS_MATRIX()
    rect_p, matrix_p = ctypes.byref(rect), ctypes.byref(matrix)
    loose = _unchecked(raw.FPDFText_GetLooseCharBox)
    get_matrix = _unchecked(raw.FPDFText_GetMatrix)
    font_size = _unchecked(raw.FPDFText_GetFontSize)
    generated = _unchecked(raw.FPDFText_IsGenerated)
    map_error = _unchecked(raw.FPDFText_HasUnicodeMapError)
    get_object = getattr(raw, "FPDFText_GetTextObject", None)  # pypdfium2 builds without it: no reuse
    text_object = _unchecked(get_object, ctypes.c_void_p) if get_object else lambda handle, index: None
    ligatures = LIGATURES
    chars: list[tuple] = []
    append = chars.append
    made_up_space = False  # PDFium put a space here that the PDF may not have
    last_object = None
    height_d = 0.0  # d * font size: the character's height, the same across its text object
    for index, ch in enumerate(text):
        if ch in " \r\n" and generated(handle, index):
            made_up_space = made_up_space or ch == " "
            continue
        if ch == "\x00" or ch == "\ufffd" or ch == "\ufffe" or map_error(handle, index):
            return None
        if not loose(handle, index, rect_p):
            return None
        obj = text_object(handle, index)
        if obj is None or obj != last_object:
            if not get_matrix(handle, index, matrix_p):
                return None
            d = matrix.d
            if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or d <= 0:
                return None  # rotated, skewed or mirrored text: pdfplumber
            height_d = d * font_size(handle, index)
            last_object = obj
        bottom = height - (rect.bottom - mb_y0)
        char = (ligatures.get(ch, ch), rect.left, rect.right, bottom - height_d, bottom)
        if made_up_space:
            # with or without a space there, pdfplumber splits the words when they are this far
            # apart; when they are closer, only the PDF's own characters can tell
            if chars and not chars[-1][0].isspace() and not _splits(chars[-1], char):
                return None
            made_up_space = False
        append(char)
    return chars


def _splits(prev: tuple, curr: tuple) -> bool:
    """pdfplumber's WordExtractor.char_begins_new_word for left-to-right text."""
    return curr[1] < prev[1] or curr[1] > prev[2] + X_TOLERANCE or abs(curr[3] - prev[3]) > Y_TOLERANCE


def _cluster_ids(values, tolerance: float) -> dict:
    """pdfplumber's utils.clustering.make_cluster_dict."""
    ids: dict = {}
    cluster = -1
    last = None
    for value in sorted(set(values)):
        if last is None or value > last + tolerance:
            cluster += 1
        ids[value] = cluster
        last = value
    return ids


def _plumber_lines(chars: list[tuple]) -> list[dict]:
    """pdfplumber's `extract_text_lines(strip=True)` (default settings, upright text) of
    (text, x0, x1, top, bottom) characters in content order: {"text", "top", "bottom"}.

    Each word is reduced to (text, top, bottom) as it is read, so the characters
    are walked once. The running top and bottom are updated the way `min` and
    `max` keep the first of equal values, so the floats are pdfplumber's.
    """
    if not chars:
        return []
    # chars -> lines (cluster by top, sort by x0) -> words (WordExtractor.iter_extract_tuples)
    ids = _cluster_ids([c[3] for c in chars], Y_TOLERANCE)
    by_line: dict[int, list] = {}
    for c in chars:
        cluster = ids[c[3]]
        if cluster in by_line:
            by_line[cluster].append(c)
        else:
            by_line[cluster] = [c]
    words: list[tuple] = []  # (text, top, bottom)
    add_word = words.append
    x0_of = itemgetter(1)
    for key in sorted(by_line):
        parts: list = []  # the current word's texts
        top = bottom = 0.0  # set with the word's first character
        prev: tuple = ()
        for char in sorted(by_line[key], key=x0_of):
            text, c_top, c_bottom = char[0], char[3], char[4]
            if text.isspace():
                if parts:
                    add_word(("".join(parts), top, bottom))
                    parts = []
            elif not parts or _splits(prev, char):
                if parts:
                    add_word(("".join(parts), top, bottom))
                parts = [text]
                top, bottom = c_top, c_bottom
            else:
                parts.append(text)
                if c_top < top:
                    top = c_top
                if c_bottom > bottom:
                    bottom = c_bottom
            prev = char
        if parts:
            add_word(("".join(parts), top, bottom))
    # words -> text lines (WordMap.to_textmap, presorted: consecutive words of one top cluster)
    ids = _cluster_ids([w[1] for w in words], Y_TOLERANCE)
    out: list[dict] = []
    texts: list = []  # the current line's words
    line_top = line_bottom = 0.0  # set with its first word
    previous = None
    for text, top, bottom in words:
        cluster = ids[top]
        if cluster != previous:
            if texts:
                _add_line(out, texts, line_top, line_bottom)
            texts = [text]
            line_top, line_bottom = top, bottom
        else:
            texts.append(text)
            if top < line_top:
                line_top = top
            if bottom > line_bottom:
                line_bottom = bottom
        previous = cluster
    if texts:
        _add_line(out, texts, line_top, line_bottom)
    return out


def _add_line(out: list, words: list, top: float, bottom: float) -> None:
    """TextMap.extract_text_lines: " *(.+?) *" per line, whitespace-only lines dropped."""
    stripped = " ".join(words).strip(" ")
    if stripped.strip():
        out.append({"text": stripped, "top": top, "bottom": bottom})


def _line_gap(gaps: list[float]) -> float:
    """The gap between two lines of one paragraph: the smallest gap that recurs (to half a
    point), else the lower third of all gaps.

    A quantile alone fails on certificates and forms where most paragraphs are one line
    long: there most gaps are paragraph gaps, and the paragraphs ran together.
    """
    if not gaps:
        return 0.0
    counts: dict[float, int] = {}
    for gap in gaps:
        key = round(gap * 2) / 2
        counts[key] = counts.get(key, 0) + 1
    recurring = [key for key, n in counts.items() if n >= 2]
    if recurring:
        return min(recurring)
    return sorted(gaps)[len(gaps) // 3]


def _join_lines(lines: list[dict]) -> str:
    """Lines into text: a vertical gap clearly wider than the usual one starts a paragraph."""
    if not lines:
        return ""
    gaps = [b["top"] - a["bottom"] for a, b in zip(lines, lines[1:])]
    heights = sorted(line["bottom"] - line["top"] for line in lines)
    line_height = heights[len(heights) // 2] or 1.0
    usual_gap = _line_gap([g for g in gaps if g >= 0])
    threshold = max(usual_gap * 1.8, usual_gap + 0.5 * line_height)
    parts = [lines[0]["text"]]
    for gap, line in zip(gaps, lines[1:]):
        parts.append("\n\n" if gap > threshold else "\n")
        parts.append(line["text"])
    return "".join(parts)
