"""Ingest: find input files, recognise what they are, and hand out their pages.

A file's type comes from its first bytes, not its name: archives receive
files renamed by hand, and a JPEG called `.pdf` is still a readable scan.
Each page is loaded on its own (`load_page`) so that pages of one long PDF
can be read by different workers.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

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
from pipeline.filenames import printable, source_name
from pipeline.imaging import BAND_PIXELS, MAX_PAGE_PIXELS, budget_scale, map_rows
from pipeline.textlayer import pdf_text_layer

RENDER_DPI = 300

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
        walked = {root.resolve()}  # links to folders are followed, each real folder read once (no loops)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            here = Path(dirpath)
            # real folders before links to them, so a file is shown under its real folder's name
            candidates = sorted((d for d in dirnames if not d.startswith(".")),
                                key=lambda d: ((here / d).is_symlink(), d))
            dirnames[:] = sorted(d for d in candidates if _first_visit((here / d).resolve(), walked, excluded))
            for name in sorted(filenames):
                if name.startswith(".") or name.lower() in SKIPPED_NAMES:
                    continue
                path = here / name
                shown, encoding = source_name(path, root)
                found.append(SourceFile(path=path, source=shown, source_encoding=encoding))
    return found


def _first_visit(folder: Path, walked: set[Path], excluded: list[Path]) -> bool:
    """Whether to read `folder` (a real path): not when it was read already (by a link, or a loop)."""
    if folder in walked or folder in excluded:
        return False
    walked.add(folder)
    return True


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
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise EmptyFile(
                f"{name}: the file is empty (0 bytes).",
                hint="It was probably cut off while copying; copy or scan it again.",
            )
        head = handle.read(2048)
        handle.seek(0)
        src.sha256 = _sha256_of_handle(handle)
        handle.seek(max(0, size - 2048))
        tail = handle.read()  # where a PDF's end-of-file marker is
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
    src.page_count = _pdf_page_count(src, tail) if kind == "pdf" else _image_page_count(src)
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
                f"{src.source}: a link to '{printable(os.readlink(src.path))}', which does not exist; skipped.",
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


def _pdf_page_count(src: SourceFile, tail: bytes) -> int:
    """The page count of a PDF whose last 2048 bytes are `tail`."""
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
        page = _to_8bit(image)
        ImageOps.exif_transpose(page, in_place=True)  # no copy of the page when upright
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
        return _convert_by_bands(image, _flatten_onto_white)
    return _convert_by_bands(image, lambda band: band.convert("RGB"))


def _flatten_onto_white(band: Image.Image) -> Image.Image:
    rgba = band.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")


def _convert_by_bands(image: Image.Image, convert: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """An RGB copy of `image`, `convert` applied to a band of rows at a time.

    Why: converting a whole 110-megapixel RGBA or CMYK page makes two or three full copies
    on the way (2.3 GB for a PNG at the pixel budget); by bands, only the result is whole."""
    out = Image.new("RGB", image.size, "white")
    out.info = dict(image.info)  # the EXIF orientation, for exif_transpose
    rows = max(1, BAND_PIXELS // max(1, image.width))
    for top in range(0, image.height, rows):
        box = (0, top, image.width, min(image.height, top + rows))
        out.paste(convert(image.crop(box)), box)
    return out


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
        dpi = min(dpi - 1, int(dpi * budget_scale(width_pt * dpi / 72.0, height_pt * dpi / 72.0, 1.0)))
    return dpi
