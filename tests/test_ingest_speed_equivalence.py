"""The fast text-layer path gives exactly what the plain one gave.

`textlayer._pdfium_chars` reads a character's matrix and font size once per text
object and calls PDFium without ctypes' argument checks; `textlayer._plumber_lines`
walks the characters once. The references below are the straightforward
versions they replaced (one C call per value per character, lists of
characters kept to the end); the outputs must be equal to the last bit.
"""

from __future__ import annotations

import ctypes
import random

import pytest

from pipeline import textlayer
from tests import test_ingest

# -- the references --------------------------------------------------------------


def _reference_chars(raw, textpage, height, mediabox):
    handle = textpage.raw
    count = raw.FPDFText_CountChars(handle)
    if count <= 0:
        return []
    buffer = ctypes.create_string_buffer((count + 1) * 2)
    got = raw.FPDFText_GetText(handle, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
    text = buffer.raw[: max(got - 1, 0) * 2].decode("utf-16-le", errors="surrogatepass")
    if len(text) != count:
        return None
    rect, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
    chars: list[tuple] = []
    made_up_space = False
    for index, ch in enumerate(text):
        if ch in " \r\n" and raw.FPDFText_IsGenerated(handle, index):
            made_up_space = made_up_space or ch == " "
            continue
        if ch in ("\x00", "\ufffd", "\ufffe") or raw.FPDFText_HasUnicodeMapError(handle, index):
            return None
        if not raw.FPDFText_GetLooseCharBox(handle, index, rect) or not raw.FPDFText_GetMatrix(handle, index, matrix):
            return None
        if matrix.b != 0 or matrix.c != 0 or matrix.a <= 0 or matrix.d <= 0:
            return None
        size = raw.FPDFText_GetFontSize(handle, index)
        bottom = height - (rect.bottom - mediabox[1])
        char = (textlayer.LIGATURES.get(ch, ch), rect.left, rect.right, bottom - matrix.d * size, bottom)
        if made_up_space:
            if chars and not chars[-1][0].isspace() and not textlayer._splits(chars[-1], char):
                return None
            made_up_space = False
        chars.append(char)
    return chars


def _reference_lines(chars):
    if not chars:
        return []
    ids = textlayer._cluster_ids([c[3] for c in chars], textlayer.Y_TOLERANCE)
    by_line: dict = {}
    for c in chars:
        by_line.setdefault(ids[c[3]], []).append(c)
    words = []
    for key in sorted(by_line):
        current: list = []
        for c in sorted(by_line[key], key=lambda c: c[1]):
            if c[0].isspace():
                if current:
                    words.append(current)
                current = []
            elif current and textlayer._splits(current[-1], c):
                words.append(current)
                current = [c]
            else:
                current.append(c)
        if current:
            words.append(current)
    word_tops = [min(c[3] for c in w) for w in words]
    ids = textlayer._cluster_ids(word_tops, textlayer.Y_TOLERANCE)
    lines: list = []
    previous = None
    for word, top in zip(words, word_tops):
        if lines and ids[top] == previous:
            lines[-1].append(word)
        else:
            lines.append([word])
        previous = ids[top]
    out = []
    for line in lines:
        stripped = " ".join("".join(c[0] for c in word) for word in line).strip(" ")
        if stripped.strip():
            members = [c for word in line for c in word]
            out.append({"text": stripped, "top": min(c[3] for c in members), "bottom": max(c[4] for c in members)})
    return out


# -- pages with many text objects ------------------------------------------------


def _raw_pdf(path, content: bytes, form: bytes) -> None:
    """A one-page PDF with two standard fonts and a form XObject holding text."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> /XObject << /X1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 100] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Length %d >>\nstream\n%s\nendstream" % (len(form), form),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


CONTENT = b"""
BT /F1 12 Tf 72 760 Td (Fonds 12, inventory 3, file 45: the report of the district) Tj ET
BT /F1 12 Tf 72 744 Td (committee, with a note) Tj /F2 12 Tf ( in another font) Tj
/F1 7 Tf 4 Ts (12) Tj 0 Ts /F1 12 Tf ( and more.) Tj ET
BT /F2 11 Tf 1.5 0 0 1.2 72 720 Tm (Stretched text, scaled by its matrix.) Tj ET
BT /F1 10 Tf 72 700 Td 80 Tz (Condensed by horizontal scaling.) Tj 100 Tz 2 Tc ( Spaced out letters.) Tj 0 Tc ET
BT /F1 10 Tf 72 684 Td 6 Tw (Word spacing wide here.) Tj 0 Tw [(Ker) 120 (ned) -100 (TJ) 2000 (far apart)] TJ ET
BT /F2 14 Tf 0 0 0 RG 72 660 Td (Two) Tj 40 0 Td (objects) Tj 60 0 Td (one line) Tj ET
q 1 0 0 1 72 560 cm /X1 Do Q
q 0.8 0 0 0.8 72 500 cm /X1 Do Q
BT /F1 9 Tf 72 460 Td (Footnote text set small, at the bottom of the page.) Tj ET
"""
FORM = b"BT /F1 12 Tf 0 60 Td (A form with text, drawn twice.) Tj 0 -14 Td (Second line in the form.) Tj ET"


def _chars_both_ways(path, number=1):
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    with pdfium.PdfDocument(str(path)) as pdf:
        page = pdf[number - 1]
        textpage = page.get_textpage()
        args = (raw, textpage, page.get_height(), page.get_mediabox())
        fast, slow = textlayer._pdfium_chars(*args), _reference_chars(*args)
        textpage.close()
        page.close()
    return fast, slow


# one text object in a form drawn three times in a row, each time scaled differently
CONTENT_FORMS = (b"BT /F1 12 Tf 72 760 Td (Some ordinary text on the first line of the page.) Tj ET\n"
                 b"q 1 0 0 1 72 560 cm /X1 Do Q q 1 0 0 0.8 72 540 cm /X1 Do Q q 1 0 0 1.5 300 540 cm /X1 Do Q")
FORM_ONE = b"BT /F1 12 Tf 0 60 Td (One text object in a form, drawn twice.) Tj ET"


@pytest.mark.parametrize("content, form", [(CONTENT, FORM), (CONTENT_FORMS, FORM_ONE)])
def test_many_text_objects_give_the_reference_characters(tmp_path, content, form):
    path = tmp_path / "objects.pdf"
    _raw_pdf(path, content, form)
    fast, slow = _chars_both_ways(path)
    assert slow and len(slow) > 100  # the page really went through PDFium
    assert fast == slow
    assert textlayer._plumber_lines(fast) == _reference_lines(slow)
    text = "\n".join(line["text"] for line in textlayer._plumber_lines(fast))
    assert "drawn twice" in text


def test_a_page_left_to_pdfplumber_is_left_to_it_by_both(tmp_path):
    path = tmp_path / "space.pdf"  # PDFium makes up a space where pdfplumber sees no word gap
    _raw_pdf(path, CONTENT.replace(b"(ned) -100 (TJ)", b"(ned) -300 (TJ)"), FORM)
    assert _chars_both_ways(path) == (None, None)


@pytest.mark.parametrize("build", [test_ingest._justified_pages, test_ingest._form_page])
def test_test_layouts_give_the_reference_characters_and_lines(tmp_path, build):
    path = test_ingest._layout_pdf(tmp_path / "t.pdf", build)
    fast, slow = _chars_both_ways(path)
    assert slow and fast == slow
    assert textlayer._plumber_lines(fast) == _reference_lines(slow)


def test_lines_equal_the_reference_on_random_characters():
    rng = random.Random(20240611)
    texts = ["a", "b", "Ж", "1", ".", " ", "\xa0", "ff", "ffi", "\u0306"]
    for _ in range(400):
        chars = []
        x, top = rng.uniform(-5, 50), rng.choice([0.0, -0.0, 10.0, rng.uniform(0, 40)])
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.15:  # a new line, or a jump back on this one
                top += rng.choice([0.0, -0.0, 1.5, 2.9, 3.0, 3.1, 12.0, -12.0])
                x = rng.uniform(-5, 200)
            size = rng.choice([7.0, 10.0, 12.0])
            width = rng.uniform(0, 8)
            char_top = top + rng.choice([0.0, 0.0, -0.0, 0.5, -2.0, 3.5])
            chars.append((rng.choice(texts), x, x + width, char_top, char_top + size))
            x += width + rng.choice([0.0, 0.0, 1.0, 2.9, 3.0, 3.2, 10.0, -4.0])
        assert repr(textlayer._plumber_lines(chars)) == repr(_reference_lines(chars)), chars


def test_a_page_of_only_spaces_has_no_lines():
    assert textlayer._plumber_lines([(" ", 0.0, 3.0, 10.0, 20.0), ("\xa0", 3.0, 6.0, 10.0, 20.0)]) == []
