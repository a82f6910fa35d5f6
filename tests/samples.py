"""Small input files made on the fly for the tests: every input kind and every kind of bad input.

The texts are invented for the tests (archival phrasing, made-up people).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

RU_LINES = [
    "СПРАВКА",
    "Гражданка Ковалёва Анна Ивановна, 1901 года рождения,",
    "арестована 3 марта 1938 года и осуждена на 5 лет.",
]
KK_LINES = [
    "Мұрағат анықтамасы",
    "Бекмағамбетова Үміт 1903 жылы Қарқаралы",
    "қаласында туған, ол өз ісін жалғастырды.",
]


def text_image(lines: list[str], dpi: int = 300, size: int = 42, rotate: float = 0.0) -> Image.Image:
    """Typed lines on white paper, as a 300 DPI grayscale scan would show them."""
    font = ImageFont.truetype(MONO, size)
    width = max(int(font.getlength(line)) for line in lines) + 160
    height = len(lines) * int(size * 1.9) + 160
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((80, 80 + row * int(size * 1.9)), line, font=font, fill=20)
    if rotate:
        image = image.rotate(rotate, resample=Image.BICUBIC, expand=True, fillcolor=255)
    image.info["dpi"] = (dpi, dpi)
    return image


def save_png(path: Path, lines: list[str] = RU_LINES, **kwargs) -> Path:
    text_image(lines, **kwargs).save(path, format="PNG", dpi=(300, 300))
    return path


def save_jpeg(path: Path, lines: list[str] = RU_LINES) -> Path:
    text_image(lines).save(path, format="JPEG", quality=90, dpi=(300, 300))
    return path


def save_tiff(path: Path, pages: list[list[str]]) -> Path:
    images = [text_image(lines) for lines in pages]
    images[0].save(path, save_all=True, append_images=images[1:], compression="tiff_lzw", dpi=(300, 300))
    return path


def _pdf():
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format=(419.53, 595.28))  # A5
    pdf.add_font("DejaVu", fname=SANS)
    pdf.set_font("DejaVu", size=11)
    return pdf


def _text_page(pdf, paragraphs: list[str]) -> None:
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.multi_cell(0, 15, paragraph)
        pdf.ln(12)


def _image_page(pdf, lines: list[str]) -> None:
    pdf.add_page()
    buffer = io.BytesIO()
    text_image(lines).save(buffer, format="PNG")
    buffer.seek(0)
    pdf.image(buffer, x=20, y=20, w=pdf.w - 40)


def save_text_pdf(path: Path, pages: list[list[str]]) -> Path:
    pdf = _pdf()
    for paragraphs in pages:
        _text_page(pdf, paragraphs)
    pdf.output(str(path))
    return path


def save_image_pdf(path: Path, pages: list[list[str]]) -> Path:
    pdf = _pdf()
    for lines in pages:
        _image_page(pdf, lines)
    pdf.output(str(path))
    return path


def save_mixed_pdf(path: Path, text_paragraphs: list[str], image_lines: list[str]) -> Path:
    """Page 1 born-digital, page 2 a scan: the pipeline must choose per page."""
    pdf = _pdf()
    _text_page(pdf, text_paragraphs)
    _image_page(pdf, image_lines)
    pdf.output(str(path))
    return path


def save_pdf(path: Path, pages: list[tuple[str, list[str]]]) -> Path:
    """Pages in order, each ("text", paragraphs) born-digital or ("image", lines) a scan."""
    pdf = _pdf()
    for kind, content in pages:
        (_text_page if kind == "text" else _image_page)(pdf, content)
    pdf.output(str(path))
    return path


def save_encrypted_pdf(path: Path) -> Path:
    pdf = _pdf()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    _text_page(pdf, ["Секретный документ с паролем на открытие."])
    pdf.output(str(path))
    return path


def save_truncated_pdf(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def save_bomb_png(path: Path, side: int = 12_000) -> Path:
    """A few kilobytes that would unpack to 144 megapixels: not a page."""
    Image.new("1", (side, side), 1).save(path, optimize=True)
    return path
