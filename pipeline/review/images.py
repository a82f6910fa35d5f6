"""Page images for the review page: find a record's input file and render its pages.

A record names its input by `document.source`, a path relative to the input
root the pipeline was run on. The roots come from `testimony review --inputs`
or, by default, from `OUT/run.json` ("inputs", as given on the command line
of the last run). A candidate file is used only when its sha256 is the
record's, so a file replaced since the run is never shown under the wrong
record; paths are built from the record and the roots only, never from
anything a browser sends, and must stay inside their root.

Word boxes (and so entity boxes) are in the pixel coordinates of the image
OCR read: the scan rescaled to ~300 DPI when its DPI was far off, then
deskewed within the same canvas (see `pipeline.imaging`). The page image is
the scan as it is, resized to the recorded page width and height, so the
boxes fit it; on a skewed scan they may be a few pixels off near the edges.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Optional

from PIL import Image

from pipeline import ingest
from pipeline.errors import TestimonyError
from pipeline.filenames import path_text
from pipeline.ingest import SourceFile

log = logging.getLogger(__name__)

DISPLAY_MAX_WIDTH = 1600  # pixels: enough to read a typed page on a screen, small enough to load fast
TEXT_LAYER_DPI = 110  # born-digital PDF pages are shown for context only (their entities have no boxes)
CACHE_DIR = ".page-cache"


def roots_from_run_json(out_dir: Path) -> list[Path]:
    """The input roots `OUT/run.json` records, resolved as the run saw them; [] when there is none."""
    try:
        run = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(run, dict) or not isinstance(run.get("inputs"), list):
        return []
    bases = [Path.cwd()]
    # run.json keeps the paths as typed; when OUT itself was given relative, the
    # run's working directory is OUT minus that relative path.
    out_as_given = (run.get("options") or {}).get("out") if isinstance(run.get("options"), dict) else None
    if isinstance(out_as_given, str) and out_as_given and not Path(out_as_given).is_absolute():
        resolved = out_dir.resolve()
        parts = Path(os.path.normpath(out_as_given)).parts
        if parts and resolved.parts[-len(parts):] == parts:
            bases.insert(0, Path(*resolved.parts[: -len(parts)]) if len(parts) < len(resolved.parts) else Path("/"))
    roots: list[Path] = []
    for item in run["inputs"]:
        if not isinstance(item, str) or not item:
            continue
        path = Path(item)
        candidates = [path] if path.is_absolute() else [base / path for base in bases]
        for candidate in candidates:
            if candidate.exists():
                roots.append(candidate.resolve())
                break
    return roots


class PageImages:
    """Finds input files by record and renders their pages as cached PNGs."""

    def __init__(self, out_dir: Path, inputs: Optional[Iterable[Path]] = None, cache_dir: Optional[Path] = None):
        self.out_dir = Path(out_dir)
        given = [Path(p) for p in inputs] if inputs else []
        self.roots = [p.resolve() for p in given if p.exists()] or roots_from_run_json(self.out_dir)
        self.cache_dir = Path(cache_dir) if cache_dir else self.out_dir / "reviews" / CACHE_DIR
        self._found: dict[str, Optional[SourceFile]] = {}
        self._lock = threading.Lock()
        self._render_locks: dict[tuple[str, int], threading.Lock] = {}

    # ------------------------------------------------------------------ finding inputs
    def _candidates(self, source: str) -> list[Path]:
        rel = Path(source)
        if rel.is_absolute() or ".." in rel.parts:
            return []
        out = []
        for root in self.roots:
            if root.is_file():
                if root.name == source:
                    out.append(root)
                continue
            path = (root / rel).resolve()
            if path.is_relative_to(root) and path.is_file():
                out.append(path)
        return out

    def locate(self, record: dict) -> Optional[SourceFile]:
        """The inspected input file of the record, or None when it cannot be found."""
        document = record.get("document") or {}
        doc_id, sha256, source = document.get("id"), document.get("sha256"), document.get("source")
        if not isinstance(source, str) or not isinstance(sha256, str):
            return None
        with self._lock:
            if doc_id in self._found:
                found = self._found[doc_id]
                if found is None or found.path.exists():
                    return found
        found = None
        for path in self._candidates(path_text(source, document.get("source_encoding"))):
            src = SourceFile(path=path, source=source)
            try:
                ingest.inspect(src)
            except (TestimonyError, OSError) as exc:
                log.info("%s: cannot be read for review: %s", path, exc)
                continue
            if src.sha256 == sha256:
                found = src
                break
        with self._lock:
            self._found[doc_id] = found
        return found

    # ------------------------------------------------------------------ rendering
    def png(self, record: dict, page_no: int) -> Optional[Path]:
        """A PNG of the page sized like the image the record's boxes refer to; None when not available."""
        document = record.get("document") or {}
        pages = record.get("pages") or []
        if not 1 <= page_no <= len(pages):
            return None
        src = self.locate(record)
        if src is None or page_no > src.page_count:
            return None
        key = (document["sha256"][:32], page_no)
        target = self.cache_dir / f"{key[0]}-p{page_no}.png"
        with self._lock:
            lock = self._render_locks.setdefault(key, threading.Lock())
        with lock:
            if target.is_file():
                return target
            image = self._render(src, pages[page_no - 1])
            if image is None:
                return None
            return self._save(image, target)

    def _render(self, src: SourceFile, page: dict) -> Optional[Image.Image]:
        number = page["page"]
        try:
            if src.format == "pdf":
                dpi = page.get("dpi") or ingest.RENDER_DPI
                if page.get("method") == "text-layer":
                    dpi = TEXT_LAYER_DPI
                image, _ = ingest.render_pdf_page(src, number, dpi)
            else:
                image = ingest.load_page(src, number).image
        except (TestimonyError, OSError) as exc:
            log.warning("%s: page %d cannot be rendered for review: %s", src.source, number, exc)
            return None
        if image is None:
            return None
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        width, height = page.get("width"), page.get("height")
        if page.get("method") == "ocr" and isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.LANCZOS)
        if image.width > DISPLAY_MAX_WIDTH:
            scale = DISPLAY_MAX_WIDTH / image.width
            image = image.resize((DISPLAY_MAX_WIDTH, max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
        return image

    def _save(self, image: Image.Image, target: Path) -> Path:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".render.", suffix=".png", delete=False)
        except OSError:  # a read-only output folder: cache in the temp folder instead
            self.cache_dir = Path(tempfile.gettempdir()) / "testimony-review-cache"
            target = self.cache_dir / target.name
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".render.", suffix=".png", delete=False)
        try:
            with handle:
                image.save(handle, format="PNG", optimize=False, compress_level=3)
            os.replace(handle.name, target)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return target
