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
"""

from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np
from PIL import Image

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
        a = np.asarray(image, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        return ((a - lo) / ((hi - lo) or 1.0) * 255.0).astype(np.uint8)
    return np.array(image.convert("L"), dtype=np.uint8)


def rescale(gray: np.ndarray, dpi: Optional[int]) -> tuple[np.ndarray, int]:
    """Bring the page to ~300 DPI when its DPI is known and far off.

    Why: tesseract's LSTM models expect text of roughly 20-40 px x-height;
    a 150 DPI scan reads markedly worse, and a 600 DPI one costs 4x the time
    for nothing.  Unknown DPI: left alone (we cannot tell what is "far off").
    """
    if not dpi or MIN_DPI <= dpi <= MAX_DPI:
        return gray, int(dpi or TARGET_DPI)
    f = TARGET_DPI / dpi
    interp = cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA
    return cv2.resize(gray, None, fx=f, fy=f, interpolation=interp), TARGET_DPI


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
    ys, xs = np.nonzero(binary < 128)
    if len(xs) < 200:
        return 0.0
    if len(xs) > SKEW_SAMPLE:  # every k-th ink pixel: as good a profile, a fraction of the work
        step = len(xs) // SKEW_SAMPLE + 1
        ys, xs = ys[::step], xs[::step]
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


def rotate(gray: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """Rotate by `angle` degrees (counter-clockwise) about the centre, same
    canvas size, new corners filled with white paper."""
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)


def prepare_for_ocr(image: Image.Image, dpi: Optional[int]) -> tuple[Image.Image, int]:
    """Clean a page image for OCR; returns (binary page image, its DPI).

    Steps: grayscale -> rescale to ~300 DPI if far off -> flatten background
    -> estimate skew (on a quick binarisation) -> deskew -> median denoise ->
    Otsu.  The returned image is what OCR must read and what word boxes
    refer to (see the module docstring).
    """
    gray, dpi = rescale(to_gray(image), dpi)
    flat = flatten_background(gray, dpi)
    angle = estimate_skew(binarize(denoise(flat)))
    flat = rotate(flat, angle)
    binary = binarize(denoise(flat))
    out = Image.fromarray(binary, mode="L")
    out.info["dpi"] = (dpi, dpi)
    return out, dpi
