"""The text layer of a PDF page: its lines, joined into paragraphs.

Apart from ingest because it is a job of its own: PDFium gives the characters
(fast), rebuilt into lines by pdfplumber's rules, with pdfplumber itself where
the two could differ. Open PDFium documents are cached per thread.
"""

from __future__ import annotations

import atexit
import os
import threading
import unicodedata
from collections import OrderedDict
from operator import itemgetter
from pathlib import Path
from typing import Optional

# A PDF page whose text layer has fewer letters/digits than this is a scan
# with stray characters (a page number, a stamp caption): it gets OCR.
MIN_TEXT_LAYER_CHARS = 20


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
