"""Image cleaning before OCR.

Small pure functions on numpy arrays (8-bit grayscale, 0 = ink, 255 = paper)
and one entry point, `prepare_for_ocr`, that chains the steps which measurably
lower the character error rate on the development scans (bench/ocr_cer.py).

The image `prepare_for_ocr` returns is the one OCR reads: word boxes, and the
page width/height/dpi recorded in the output, are in *its* pixel coordinates.
It has the same size as the input when no rescaling happens (deskewing rotates
about the centre inside the same canvas, so a box moves by at most a few pixels
near the page edges for the 0.3-2 degree skew of a typical scan); when the DPI
was far from 300 the page is rescaled and the boxes are in the rescaled image.

One pixel budget, `MAX_PAGE_PIXELS`, holds for every stage that makes pixels:
decoding an image and rendering a PDF page (ingest), 16-bit conversion, the
rescale here and tesseract's input (ocr). No stage makes a page larger, so a
small file cannot ask for gigabytes (a PDF page of 20000 pt, a 6000 px PNG
that says 100 DPI); working memory is bounded by a few bytes a pixel of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import cv2
import numpy as np
from PIL import Image

# A3 at 600 DPI is 70 megapixels; anything far beyond is not a page but a decompression
# bomb. At this size cleaning a page takes ~0.8 GB and tesseract as much again.
MAX_PAGE_PIXELS = 120_000_000
BAND_PIXELS = 4_000_000  # float intermediates are made this many pixels at a time
MIN_PAGE_SIDE = 20  # px: smaller than one line of text at 300 DPI (a 1x1 image, a 1-pt PDF page)
TARGET_DPI = 300  # what tesseract's models are trained around
MIN_DPI, MAX_DPI = 200, 450  # within this range the scan is read as it is
MAX_SKEW = 5.0  # degrees; larger angles are more likely layout than skew


def to_gray(image: Image.Image) -> np.ndarray:
    """8-bit grayscale array; transparency is flattened onto white paper.

    Why: every later step works on one intensity channel, and a transparent
    PNG would otherwise turn black where it is empty.
    """
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        bg = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(bg, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(image)
        lo, hi = float(a.min()), float(a.max())
        return map_rows(a, lambda rows: (rows.astype(np.float64) - lo) / ((hi - lo) or 1.0) * 255.0)
    return np.array(image.convert("L"), dtype=np.uint8)


def map_rows(array: np.ndarray, function: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`function(array).astype(uint8)`, computed on bands of rows.

    Why: a float copy of a whole 16-bit page is 8 bytes a pixel (a gigabyte at
    the pixel budget); a band's is a few megabytes, and the result is the same.
    """
    out = np.empty(array.shape[:2], dtype=np.uint8)
    band = max(1, BAND_PIXELS // max(1, array.shape[1]))
    for top in range(0, array.shape[0], band):
        out[top : top + band] = function(array[top : top + band]).astype(np.uint8)
    return out


def rescale(gray: np.ndarray, dpi: Optional[int]) -> tuple[np.ndarray, int]:
    """Bring the page to ~300 DPI when its DPI is known and far off.

    Why: tesseract's LSTM models expect text of roughly 20-40 px x-height;
    a 150 DPI scan reads markedly worse, and a 600 DPI one costs 4x the time
    for nothing.  Unknown DPI: left alone (we cannot tell what is "far off").
    Enlarging stops at the pixel budget (`budget_scale`): the page is then read
    at the DPI returned, below 300 and never below its own.
    """
    if not dpi or MIN_DPI <= dpi <= MAX_DPI:
        return gray, int(dpi or TARGET_DPI)
    f = TARGET_DPI / dpi
    h, w = gray.shape[:2]
    fitted = budget_scale(w, h, f)
    if fitted < f:
        if fitted <= 1.0:
            return gray, int(dpi)
        size = (int(w * fitted), int(h * fitted))
        return cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC), int(dpi * fitted)
    interp = cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA
    return cv2.resize(gray, None, fx=f, fy=f, interpolation=interp), TARGET_DPI


def budget_scale(width: int, height: int, factor: float) -> float:
    """`factor`, or the largest one at which a width x height page stays within the pixel budget."""
    if (width * factor + 1) * (height * factor + 1) <= MAX_PAGE_PIXELS:
        return factor
    return min(factor, (MAX_PAGE_PIXELS / ((width + 1) * (height + 1))) ** 0.5)


def flatten_background(gray: np.ndarray, dpi: int = TARGET_DPI) -> np.ndarray:
    """Divide the page by an estimate of its paper (background) brightness.

    Why: aged paper, uneven scanner light and bleed-through make the
    background vary across the page, so one global threshold either eats
    faded letters in dark regions or keeps grain in light ones.  A closing
    with a disc larger than a character stroke removes the text and leaves
    the paper; dividing by it makes the paper uniformly white and keeps the
    ink's local contrast.  Computed at reduced resolution for speed.
    """
    h, w = gray.shape
    s = 4  # background varies slowly: a quarter-resolution estimate is enough
    small = cv2.resize(gray, (max(1, w // s), max(1, h // s)), interpolation=cv2.INTER_AREA)
    k = max(5, int(round(dpi / TARGET_DPI * 41 / s))) | 1
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    bg = cv2.medianBlur(bg, k)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(bg, 1), scale=255)


def denoise(gray: np.ndarray, ksize: int = 3) -> np.ndarray:
    """Median blur.

    Why: paper grain, JPEG noise and specks are small isolated dots; a 3x3
    median removes them while keeping stroke edges, so the threshold below
    does not turn grain into ink (on noisy pages tesseract otherwise finds
    thousands of 'characters' and returns garbage or nothing).
    """
    return cv2.medianBlur(gray, ksize)


def binarize(gray: np.ndarray, offset: int = 0) -> np.ndarray:
    """Global Otsu threshold (after flattening the background is even, so
    adaptive thresholding gains nothing and it turned grain into ink on the
    hard card).  `offset` shifts the threshold (positive keeps fainter ink).

    Why binarise ourselves: tesseract's internal Otsu runs on the raw page,
    uneven background included.
    """
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, b = cv2.threshold(gray, min(254, t + offset), 255, cv2.THRESH_BINARY)
    return b


SKEW_SAMPLE = 60_000  # ink pixels the skew search projects


def estimate_skew(binary: np.ndarray, max_angle: float = MAX_SKEW) -> float:
    """Skew angle in degrees (counter-clockwise positive, as `rotate` takes it).

    Projection profile: ink pixels projected onto the vertical axis at a
    trial angle give a spiky histogram when the angle follows the text lines;
    the sum of squared bin counts measures the spikiness.  Coarse 0.25 degree
    search, then 0.02 degree refinement, on a sample of ink pixel coordinates
    (no image rotations, so ~0.1 s per page).

    Why: tesseract copes with small skew, but rotated lines make it split or
    merge lines and mis-segment the form's rows (measured CER gain on every
    skewed development page).
    """
    ys, xs = _ink_sample(binary)
    if ys is None:
        return 0.0
    xs = xs.astype(np.float64)
    ys = ys.astype(np.float64)

    def score(angle: float) -> float:
        t = math.radians(angle)
        yp = ys * math.cos(t) - xs * math.sin(t)
        hist = np.bincount((yp - yp.min()).astype(np.int64)).astype(np.float64)
        return float(np.dot(hist, hist))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.25)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.3, best + 0.3 + 1e-9, 0.02)
    best = max(fine, key=score)
    return round(float(best), 2)


def _ink_sample(binary: np.ndarray) -> tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """Coordinates of every k-th ink pixel in reading order, at most ~SKEW_SAMPLE of them;
    (None, None) under 200 ink pixels.

    Found a band of rows at a time: the coordinates of all the ink of a black
    page at the pixel budget would take 16 bytes a pixel (2 GB).
    """
    band = max(1, BAND_PIXELS // max(1, binary.shape[1]))
    tops = range(0, binary.shape[0], band)
    counts = [int(np.count_nonzero(binary[top : top + band] < 128)) for top in tops]
    total = sum(counts)
    if total < 200:
        return None, None
    step = total // SKEW_SAMPLE + 1 if total > SKEW_SAMPLE else 1  # every k-th: as good a profile
    ys_parts, xs_parts = [], []
    seen = 0  # ink pixels in the bands above
    for top, count in zip(tops, counts):
        first = (-seen) % step  # the band's first pixel of the sample
        if first < count:
            ys, xs = np.nonzero(binary[top : top + band] < 128)
            ys_parts.append(ys[first::step] + top)
            xs_parts.append(xs[first::step].copy())  # a slice would keep the band's whole array alive
        seen += count
    return np.concatenate(ys_parts), np.concatenate(xs_parts)


def rotate(gray: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """Rotate by `angle` degrees (counter-clockwise) about the centre, same
    canvas size, new corners filled with white paper."""
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


@dataclass
class PreparedPage:
    """A page cleaned for OCR, and what cleaning found out about it."""

    image: Image.Image  # what OCR must read (binary), or the page as it is when there is nothing to read
    dpi: int
    wanted_dpi: int  # the DPI the page was to reach; above `dpi` when the pixel budget stopped enlarging
    uniform: Optional[int] = None  # the page is this one grey level (0 black, 255 white): nothing to read
    too_small: bool = False  # a side is under MIN_PAGE_SIDE pixels: no text fits


def prepare_page(image: Image.Image, dpi: Optional[int]) -> PreparedPage:
    """Clean a page image for OCR, unless there is provably nothing to read on it.

    Steps: grayscale -> rescale to ~300 DPI if far off -> flatten background
    -> estimate skew (on a quick binarisation) -> deskew -> median denoise ->
    Otsu.  The returned image is what OCR must read and what word boxes
    refer to (see the module docstring). A page of one grey level or smaller
    than MIN_PAGE_SIDE is returned as it is: tesseract would find nothing, or
    fail on it.
    """
    wanted = TARGET_DPI if dpi and not MIN_DPI <= dpi <= MAX_DPI else int(dpi or TARGET_DPI)
    gray, dpi = rescale(to_gray(image), dpi)
    h, w = gray.shape
    lo, hi = (int(v) for v in cv2.minMaxLoc(gray)[:2])
    if min(h, w) < MIN_PAGE_SIDE or lo == hi:
        page = PreparedPage(Image.fromarray(gray, mode="L"), dpi, wanted, lo if lo == hi else None, min(h, w) < MIN_PAGE_SIDE)
    else:
        flat = flatten_background(gray, dpi)
        del gray
        angle = estimate_skew(binarize(denoise(flat)))
        flat = rotate(flat, angle)
        page = PreparedPage(Image.fromarray(binarize(denoise(flat)), mode="L"), dpi, wanted)
    page.image.info["dpi"] = (dpi, dpi)
    return page


def prepare_for_ocr(image: Image.Image, dpi: Optional[int]) -> tuple[Image.Image, int]:
    """`prepare_page`'s (image OCR reads, its DPI)."""
    page = prepare_page(image, dpi)
    return page.image, page.dpi
