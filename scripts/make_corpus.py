#!/usr/bin/env python3
"""Regenerate the demonstration corpus in ``corpus/``.

Every person, number and sentence in these samples is invented for
demonstration; the documents imitate the *kinds* of papers a repression
archive holds (an NKVD Special Board sentence extract, a Kazakh archival
reference, a bilingual rehabilitation certificate, a camp registration card,
a letter in German) so that ``make run`` has something realistic to chew on.

The output is deterministic: every random choice comes from a fixed seed,
PNG/TIFF/JPEG writers add no timestamps, and the PDFs get a fixed creation
date and file id.  (Byte-identical output across machines additionally needs
the same FreeType/Pillow/fpdf2 versions.)

Usage::

    .venv/bin/python scripts/make_corpus.py [--out corpus/]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import math
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 300
FIXED_DATE = _dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=_dt.timezone.utc)

_FONT_DIRS = [
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
]


def font_path(name: str) -> Path:
    for d in _FONT_DIRS:
        p = d / name
        if p.is_file():
            return p
    sys.exit(f"make_corpus: font {name} not found (install fonts-dejavu-core)")


MONO = font_path("DejaVuSansMono.ttf")
MONO_BOLD = font_path("DejaVuSansMono-Bold.ttf")
SERIF = font_path("DejaVuSerif.ttf")
SERIF_BOLD = font_path("DejaVuSerif-Bold.ttf")
SERIF_COND = font_path("DejaVuSerifCondensed.ttf")
SERIF_COND_BOLD = font_path("DejaVuSerifCondensed-Bold.ttf")
SANS = font_path("DejaVuSans.ttf")
SANS_BOLD = font_path("DejaVuSans-Bold.ttf")


def mm(x: float) -> int:
    return round(x / 25.4 * DPI)


def pt(x: float) -> int:
    return round(x / 72 * DPI)


def font(path: Path, size_pt: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), pt(size_pt))


# --------------------------------------------------------------------------
# A sheet of paper with three ink layers (typed ribbon, printed form, stamp)
# --------------------------------------------------------------------------


class Sheet:
    def __init__(self, w_mm: float, h_mm: float, seed: int):
        self.w, self.h = mm(w_mm), mm(h_mm)
        self.rng = np.random.default_rng(seed)
        self.typed = Image.new("L", (self.w, self.h), 0)
        self.printed = Image.new("L", (self.w, self.h), 0)
        self.stamp = Image.new("L", (self.w, self.h), 0)
        self.folds: list[tuple[str, float]] = []

    # -- typewriter --------------------------------------------------------
    def type(self, x: float, y: float, text: str, fnt, strength: float = 1.0):
        """Type ``text`` character by character: uneven strikes, tiny jitter."""
        d = ImageDraw.Draw(self.typed)
        adv = fnt.getlength("M")
        rng = self.rng
        for i, ch in enumerate(text):
            if ch.isspace():
                continue
            jx = int(rng.integers(-1, 2))
            jy = int(rng.integers(-1, 2)) if rng.random() < 0.35 else 0
            v = strength * rng.uniform(0.70, 1.0)
            if rng.random() < 0.04:  # a weak strike now and then
                v *= 0.6
            d.text((x + i * adv + jx, y + jy), ch, font=fnt, fill=int(255 * min(v, 1.0)))

    # -- printed form ------------------------------------------------------
    def print_text(self, x, y, text, fnt, anchor="la"):
        ImageDraw.Draw(self.printed).text((x, y), text, font=fnt, fill=255, anchor=anchor)

    def print_line(self, x0, y0, x1, y1, width=3):
        ImageDraw.Draw(self.printed).line([(x0, y0), (x1, y1)], fill=255, width=width)

    def print_rect(self, box, width=4):
        ImageDraw.Draw(self.printed).rectangle(box, outline=255, width=width)

    def print_dotted(self, x0, x1, y, step=14, dot=3):
        d = ImageDraw.Draw(self.printed)
        x = x0
        while x < x1:
            d.rectangle([x, y, x + dot - 1, y + 1], fill=200)
            x += step

    # -- stamp -------------------------------------------------------------
    def add_stamp(self, cx, cy, r, ring_text, centre, angle, strength=0.55):
        size = int(2 * r + 60)
        st = Image.new("L", (size, size), 0)
        d = ImageDraw.Draw(st)
        c = size / 2
        d.ellipse([c - r, c - r, c + r, c + r], outline=255, width=8)
        r2 = r * 0.72
        d.ellipse([c - r2, c - r2, c + r2, c + r2], outline=255, width=4)
        f_ring = ImageFont.truetype(str(SANS_BOLD), int(r * 0.16))
        rr = (r + r2) / 2
        n = len(ring_text)
        arr = np.zeros((size, size), dtype=np.float32)
        tile = int(r * 0.3)
        for i, ch in enumerate(ring_text):
            if ch == " ":
                continue
            th = 2 * math.pi * i / n
            t = Image.new("L", (tile, tile), 0)
            ImageDraw.Draw(t).text((tile / 2, tile / 2), ch, font=f_ring, fill=255, anchor="mm")
            t = t.rotate(-math.degrees(th), resample=Image.BICUBIC)
            px = int(c + rr * math.sin(th) - tile / 2)
            py = int(c - rr * math.cos(th) - tile / 2)
            arr[py:py + tile, px:px + tile] = np.maximum(arr[py:py + tile, px:px + tile], np.asarray(t, np.float32))
        f_c = ImageFont.truetype(str(SANS_BOLD), int(r * 0.17))
        lh = r * 0.22
        y0 = c - lh * (len(centre) - 1) / 2
        for k, line in enumerate(centre):
            d.text((c, y0 + k * lh), line, font=f_c, fill=255, anchor="mm")
        arr = np.maximum(arr, np.asarray(st, np.float32))
        st = Image.fromarray(arr.astype(np.uint8)).rotate(angle, resample=Image.BICUBIC)
        a = np.asarray(st, np.float32) / 255.0
        # uneven inking of the rubber stamp: one side pressed harder
        yy, xx = np.mgrid[0:size, 0:size]
        tilt = 0.55 + 0.45 * (xx / size)
        blotch = smooth_noise(self.rng, (size, size), 6.0)
        a = a * np.clip(tilt + 0.35 * blotch, 0.0, 1.0) * strength
        x0, y0 = int(cx - size / 2), int(cy - size / 2)
        base = np.asarray(self.stamp, np.float32)
        sub = base[y0:y0 + size, x0:x0 + size]
        sub[:] = np.maximum(sub, a[: sub.shape[0], : sub.shape[1]] * 255)
        self.stamp = Image.fromarray(base.astype(np.uint8))

    def add_fold(self, orientation: str, pos: float):
        self.folds.append((orientation, pos))


def smooth_noise(rng, shape, sigma: float) -> np.ndarray:
    """Zero-mean, unit-ish spatially correlated noise."""
    h, w = shape
    n = rng.normal(0, 1, (h, w)).astype(np.float32)
    img = Image.fromarray(((n * 40) + 128).clip(0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(sigma))
    out = np.asarray(img, np.float32) - 128.0
    s = out.std() or 1.0
    return out / s


def low_freq(rng, w, h, cells=(5, 7)) -> np.ndarray:
    g = rng.normal(0, 1, cells).astype(np.float32)
    img = Image.fromarray(g, mode="F").resize((w, h), Image.BICUBIC)
    return np.asarray(img, np.float32)


def render_scan(sheet: Sheet, *, angle: float, blur: float, paper_tone: float = 232.0,
                grain: float = 1.4, levels: int = 20, stains: int = 2) -> Image.Image:
    """Composite the sheet into a degraded grayscale 'scan'."""
    rng = sheet.rng
    w, h = sheet.w, sheet.h
    # paper: uneven tone, darker edges, a few faint stains, folds
    paper = np.full((h, w), paper_tone, np.float32)
    paper += 5.0 * low_freq(rng, w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    edge = np.minimum(np.minimum(xx, w - 1 - xx), np.minimum(yy, h - 1 - yy))
    paper -= 14.0 * np.exp(-edge / mm(4))
    for _ in range(stains):
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        rx, ry = rng.uniform(0.05, 0.14) * w, rng.uniform(0.04, 0.1) * h
        d2 = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        paper -= rng.uniform(4, 9) * np.exp(-d2)
    for orient, pos in sheet.folds:
        if orient == "h":
            d = np.abs(yy - pos * h)
        else:
            d = np.abs(xx - pos * w)
        paper -= 16.0 * np.exp(-(d / 2.0) ** 2) + 5.0 * np.exp(-(d / 25.0) ** 2)

    # ribbon ink: slightly broken strokes
    tex = np.clip(1.0 - 0.28 * np.abs(smooth_noise(rng, (h, w), 1.0)), 0.45, 1.0)
    typed = np.asarray(sheet.typed.filter(ImageFilter.GaussianBlur(0.6)), np.float32) / 255.0 * tex
    printed = np.asarray(sheet.printed, np.float32) / 255.0 * 0.93
    stamp = np.asarray(sheet.stamp.filter(ImageFilter.GaussianBlur(1.2)), np.float32) / 255.0

    out = paper
    out = out * (1 - printed) + 28.0 * printed
    out = out * (1 - typed) + 32.0 * typed
    out = out * (1 - stamp) + 105.0 * stamp
    img = Image.fromarray(out.clip(0, 255).astype(np.uint8))
    fill = int(np.median(paper))
    img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=fill)
    if blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(img, np.float32)
    # scanner/paper grain, mildly correlated
    arr += grain * smooth_noise(rng, (h, w), 0.7)
    # dust specks
    for _ in range(int(rng.integers(25, 60))):
        x, y = int(rng.integers(0, w - 4)), int(rng.integers(0, h - 4))
        s = int(rng.integers(1, 4))
        arr[y:y + s, x:x + s] -= rng.uniform(40, 120)
    step = 255.0 / (levels - 1)
    arr = np.round(arr.clip(0, 255) / step) * step
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def save_png(img: Image.Image, path: Path):
    img.save(path, format="PNG", dpi=(DPI, DPI), optimize=True)


# --------------------------------------------------------------------------
# Typewriter page helper (monospace, cursor-based)
# --------------------------------------------------------------------------


class Typist:
    def __init__(self, sheet: Sheet, fnt, left_mm: float, top_mm: float, width_chars: int,
                 line_spacing: float = 1.5):
        self.s, self.f = sheet, fnt
        self.x0 = mm(left_mm)
        self.y = mm(top_mm)
        self.cols = width_chars
        self.adv = fnt.getlength("M")
        self.lh = fnt.size * line_spacing
        self.drift = 0.0

    def _next(self):
        # the platen does not always advance the exact same amount
        self.drift = float(self.s.rng.normal(0, 1.2))
        self.y += self.lh

    def line(self, text: str = "", indent: int = 0, strength: float = 1.0, fnt=None):
        if text:
            self.s.type(self.x0 + indent * self.adv, self.y + self.drift, text, fnt or self.f, strength)
        self._next()

    def center(self, text: str, strength: float = 1.0, fnt=None):
        pad = max(0, (self.cols - len(text)) // 2)
        self.line(text, indent=pad, strength=strength, fnt=fnt)

    def right(self, text: str, strength: float = 1.0):
        self.line(text, indent=max(0, self.cols - len(text)), strength=strength)

    def para(self, text: str, first_indent: int = 5, indent: int = 0, strength: float = 1.0,
             faded_line: int | None = None):
        lines = textwrap.wrap(text, width=self.cols - indent, initial_indent=" " * first_indent,
                              break_long_words=False, break_on_hyphens=False)
        for k, ln in enumerate(lines):
            ln = ln.rstrip()
            st = strength * (0.55 if faded_line == k else 1.0)
            self.line(ln, indent=indent, strength=st)

    def blank(self, n: float = 1):
        self.y += self.lh * n


# --------------------------------------------------------------------------
# 1. Russian sentence extract (PNG)
# --------------------------------------------------------------------------


def make_ru_sentence_extract(out: Path):
    s = Sheet(150, 196, seed=1937)
    f = font(MONO, 10.5)
    fb = font(MONO_BOLD, 10.5)
    t = Typist(s, f, left_mm=16, top_mm=14, width_chars=54, line_spacing=1.45)
    t.right("Сов. секретно")
    t.blank(0.6)
    t.center("ВЫПИСКА ИЗ ПРОТОКОЛА № 41", fnt=fb)
    t.center("Особого совещания при Народном Комиссаре")
    t.center("Внутренних Дел Союза ССР")
    t.center("от «25» ноября 1937 года")
    t.blank(0.8)
    t.line("СЛУШАЛИ:", fnt=fb)
    t.para("117. Дело № 20814/ж о Кравченко Марии Степановне, "
           "1904 г.р., уроженке г. Житомира, украинке, б/п, до "
           "ареста домохозяйке, проживавшей в г. Киеве, ул. "
           "Саксаганского, д. 36, кв. 4, — жене осуждённого "
           "изменника Родины Кравченко Игната Петровича.", first_indent=3)
    t.blank(0.5)
    t.line("ПОСТАНОВИЛИ:", fnt=fb)
    t.para("Кравченко Марию Степановну, как члена семьи изменника "
           "Родины, заключить в исправительно-трудовой лагерь "
           "сроком на ВОСЕМЬ лет, считая срок с 12.IX.1937\u00a0г.",
           first_indent=3, faded_line=1)
    t.para("Дело сдать в архив.", first_indent=3)
    t.blank(1.2)
    t.line("Отв. секретарь Особого совещания")
    t.line("при НКВД СССР                     (подпись)")
    t.blank(1.0)
    t.line("Выписка верна:")
    t.line("Нач. 8 отдела 1 Спецотдела НКВД")
    t.line("лейтенант госбезопасности        Дымова")
    sy = t.y - t.lh * 2.2
    s.add_stamp(mm(44), sy, mm(17), "НАРОДНЫЙ КОМИССАРИАТ ВНУТРЕННИХ ДЕЛ СССР * ",
                ["1-й", "СПЕЦОТДЕЛ", "№ 8"], angle=-14, strength=0.5)
    s.add_fold("h", 0.5)
    img = render_scan(s, angle=0.8, blur=0.75, stains=3)
    save_png(img, out / "ru_sentence_extract.png")


# --------------------------------------------------------------------------
# 2. Kazakh archival reference, image-only PDF
# --------------------------------------------------------------------------


def make_kk_archival_reference(out: Path):
    s = Sheet(210, 297, seed=1956)
    f = font(MONO, 11)
    fb = font(MONO_BOLD, 11)
    # printed letterhead
    fh = font(SERIF_COND_BOLD, 11)
    fs = font(SERIF_COND, 9)
    cx = s.w // 2
    s.print_text(cx, mm(14), "ҚАЗАҚСТАН РЕСПУБЛИКАСЫ", fh, anchor="ma")
    s.print_text(cx, mm(20), "ҚАРАҒАНДЫ ОБЛЫСЫНЫҢ МЕМЛЕКЕТТІК МҰРАҒАТЫ", fh, anchor="ma")
    s.print_text(cx, mm(26.5), "100008, Қарағанды қаласы, Бұқар жырау даңғылы, 47", fs, anchor="ma")
    s.print_line(mm(20), mm(32), s.w - mm(20), mm(32), width=5)
    s.print_line(mm(20), mm(33.3), s.w - mm(20), mm(33.3), width=2)

    t = Typist(s, f, left_mm=24, top_mm=40, width_chars=64, line_spacing=1.5)
    t.line("1997 жылғы 16 наурыз  № 3/1184")
    t.blank(1.2)
    t.center("МҰРАҒАТ АНЫҚТАМАСЫ", fnt=fb)
    t.blank(0.8)
    t.para("Сәрсенбаев Жиһанша Өтегенұлы, 1898 жылы Қарқаралы уезінде "
           "(қазіргі Қарағанды облысы) туған, ұлты қазақ, сауатты, "
           "тұтқындалғанға дейін Қарқаралы ауданындағы «Жаңа өмір» "
           "ұжымшарында есепші болып жұмыс істеген.")
    t.para("1937 жылғы 14 қарашада Қарқаралы аудандық ІІХК бөлімі "
           "тарапынан тұтқындалды. КСРО ІІХК жанындағы Ерекше кеңестің "
           "1938 жылғы 2 ақпандағы қаулысымен РКФСР Қылмыстық кодексінің "
           "58-10 бабы бойынша 8 жылға сотталды. Жазасын Қарағанды "
           "еңбекпен түзеу лагерінде өтеді.", faded_line=3)
    t.para("1945 жылғы 20 желтоқсанда жазасын өтеп болғаннан кейін "
           "босатылды, Қарағанды қаласында тұрды.")
    t.para("Қазақ КСР Жоғарғы сотының 1956 жылғы 11 мамырдағы қаулысымен "
           "Ерекше кеңестің қаулысы күшін жойды, іс қылмыс құрамының "
           "болмауына байланысты тоқтатылды. Сәрсенбаев Ж.Ө. 1956 жылы "
           "ақталды.")
    t.para("Анықтама Сәрсенбаевтың немересі Әлиев Бауыржан "
           "Нұрланұлының өтініші бойынша талап етілген жерге ұсыну "
           "үшін берілді.")
    t.blank(0.6)
    t.line("Негіз: 5-қор, 2-тізбе, 1417-іс, 3, 28-29, 41-парақтар.")
    t.blank(2.0)
    t.line("Мұрағат директоры                         Ғ. Т. Мұқанова")
    t.blank(1.2)
    t.line("Орындаған: Д. Һ. Ысқақова", fnt=font(MONO, 9))
    s.add_stamp(mm(93), t.y - t.lh * 2.9, mm(19),
                "ҚАРАҒАНДЫ ОБЛЫСЫНЫҢ МЕМЛЕКЕТТІК МҰРАҒАТЫ * ",
                ["Мұрағат", "анықтамалары", "үшін"], angle=21, strength=0.5)
    s.add_fold("h", 0.335)
    s.add_fold("h", 0.665)
    img = render_scan(s, angle=-0.55, blur=0.7, stains=2, levels=256)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=55, optimize=True, dpi=(DPI, DPI))

    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_creator("testimony scripts/make_corpus.py (scanned page)")
    pdf.file_id = lambda: "<A1B2C3D4E5F60718293A4B5C6D7E8F90><A1B2C3D4E5F60718293A4B5C6D7E8F90>"
    pdf.set_auto_page_break(False)
    pdf.add_page()
    buf.seek(0)
    pdf.image(buf, x=0, y=0, w=210, h=297)
    pdf.output(str(out / "kk_archival_reference.pdf"))


# --------------------------------------------------------------------------
# 3. Born-digital bilingual rehabilitation certificate (text layer)
# --------------------------------------------------------------------------


def make_mixed_rehabilitation(out: Path):
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title("Справка о реабилитации Лисовской А. Г.")
    pdf.set_author("testimony demo corpus (invented document)")
    pdf.set_creator("testimony scripts/make_corpus.py")
    pdf.set_lang("ru")
    pdf.file_id = lambda: "<0F1E2D3C4B5A69788796A5B4C3D2E1F0><0F1E2D3C4B5A69788796A5B4C3D2E1F0>"
    pdf.add_font("Serif", "", str(SERIF))
    pdf.add_font("Serif", "B", str(SERIF_BOLD))
    pdf.set_margins(25, 20, 20)
    pdf.set_auto_page_break(True, margin=20)

    # page 1 — Russian certificate
    pdf.add_page()
    pdf.set_font("Serif", "B", 11)
    pdf.multi_cell(80, 5.5, "ВЕРХОВНЫЙ СУД\nКАЗАХСКОЙ ССР\n\n2 июня 1956 г.\n№ 4н-0713/56\nг. Алма-Ата",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("Serif", "B", 15)
    pdf.cell(0, 8, "СПРАВКА", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 12)
    pdf.cell(0, 7, "о реабилитации", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Serif", "", 12)
    body = [
        "Дело по обвинению Лисовской Анны Григорьевны, 1901 года рождения, "
        "уроженки г. Полтавы, до ареста работавшей учительницей начальной "
        "школы № 7 г. Петропавловска Северо-Казахстанской области, "
        "арестованной 15.VIII.1937 г., пересмотрено Президиумом Верховного "
        "суда Казахской ССР 2 июня 1956 г.",
        "Постановление Особого совещания при НКВД СССР от 3.XI.1937 г., "
        "которым Лисовская А. Г. была осуждена по ст. 58-10 ч. 1 УК РСФСР "
        "к 8 (восьми) годам лишения свободы в ИТЛ, отменено, и дело "
        "производством прекращено за отсутствием в её действиях состава "
        "преступления.",
        "Лисовская Анна Григорьевна реабилитирована 2 июня 1956 г.",
        "Справка выдана для предъявления по месту требования.",
    ]
    for para in body:
        pdf.multi_cell(0, 6.5, para, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    pdf.ln(14)
    pdf.cell(95, 6.5, "Председатель судебного состава")
    pdf.ln(6.5)
    pdf.cell(95, 6.5, "Верховного суда Казахской ССР")
    pdf.cell(0, 6.5, "Т. Ж. Бекмаханов", align="R", new_x="LMARGIN", new_y="NEXT")
    # round stamp drawn as vector art, no text in it (M.P. = place of seal)
    pdf.set_draw_color(70, 70, 150)
    pdf.set_line_width(0.6)
    pdf.circle(x=58, y=pdf.get_y() + 18, radius=17)
    pdf.set_line_width(0.3)
    pdf.circle(x=58, y=pdf.get_y() + 18, radius=12.5)
    pdf.set_text_color(70, 70, 150)
    pdf.set_font("Serif", "", 10)
    pdf.set_xy(48, pdf.get_y() + 15)
    pdf.cell(20, 6, "М.П.", align="C")
    pdf.set_text_color(0, 0, 0)

    # page 2 — Kazakh translation plus certification line
    pdf.add_page()
    pdf.set_font("Serif", "B", 12)
    pdf.cell(0, 7, "Аударма (қазақ тілінде)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Serif", "B", 13)
    pdf.cell(0, 7, "АҚТАЛУ ТУРАЛЫ АНЫҚТАМА", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Serif", "", 12)
    kk = [
        "Лисовская Анна Григорьевна, 1901 жылы Полтава қаласында туған, "
        "тұтқындалғанға дейін Солтүстік Қазақстан облысы Петропавл "
        "қаласындағы № 7 бастауыш мектепте мұғалім болып қызмет атқарған, "
        "1937 жылғы 15 тамызда тұтқындалған.",
        "КСРО ІІХК жанындағы Ерекше кеңестің 1937 жылғы 3 қарашадағы "
        "қаулысымен РКФСР Қылмыстық кодексінің 58-10 бабының 1-бөлігі "
        "бойынша еңбекпен түзеу лагерінде 8 жылға бас бостандығынан "
        "айыруға сотталған.",
        "Қазақ КСР Жоғарғы соты Президиумының 1956 жылғы 2 маусымдағы "
        "қаулысымен бұл шешім күшін жойды, іс қылмыс құрамының болмауына "
        "байланысты тоқтатылды. Лисовская А. Г. толық ақталды.",
        "Аударманы жасаған: Ә. Ғ. Нұрпейісова, аудармашы. Мәтіннің "
        "дұрыстығын растаймын. Мөрдің көшірмесі және қолдың түпнұсқасы "
        "бірінші бетте.",
    ]
    for para in kk:
        pdf.multi_cell(0, 6.5, para, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    pdf.ln(16)
    pdf.set_font("Serif", "B", 12)
    pdf.cell(0, 6.5, "Копия верна.", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 12)
    pdf.cell(110, 6.5, "Секретарь Верховного суда Казахской ССР")
    pdf.cell(0, 6.5, "Г. Оспанова", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 10)
    pdf.cell(0, 6, "Гербовая печать Верховного суда Казахской ССР", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out / "mixed_rehabilitation.pdf"))


# --------------------------------------------------------------------------
# 4. Camp registration card, 2-page TIFF
# --------------------------------------------------------------------------


def make_registration_card(out: Path):
    W, H = 165, 112
    fl = font(SERIF, 8.5)       # printed labels
    flb = font(SERIF_BOLD, 10)
    fv = font(MONO, 10)         # typed values
    fvs = font(MONO, 9)

    # front ---------------------------------------------------------------
    s = Sheet(W, H, seed=1938)
    s.print_rect([mm(3), mm(3), s.w - mm(3), s.h - mm(3)], width=4)
    s.print_text(s.w // 2, mm(6), "УЧЁТНАЯ КАРТОЧКА ЗАКЛЮЧЁННОГО", flb, anchor="ma")
    s.print_text(s.w - mm(8), mm(6.5), "Форма № 1", fl, anchor="ra")
    s.print_line(mm(3), mm(12.5), s.w - mm(3), mm(12.5), width=3)
    rows = [
        ("Фамилия", "Зайцева"),
        ("Имя", "Евдокия"),
        ("Отчество", "Никифоровна"),
        ("Год рождения", "1899"),
        ("Место рождения", "с. Ольховка Саратовской губ."),
        ("Национальность", "русская"),
        ("Кем осуждена", "ОСО при НКВД СССР 5.XI.1937"),
        ("Статья", "ЧСИР (член семьи изменника Родины)"),
        ("Срок", "8 (восемь) лет"),
    ]
    x_lab = mm(7)
    x_val = mm(40)
    y = mm(16)
    step = mm(8.2)
    for lab, val in rows:
        s.print_text(x_lab, y + mm(1), lab, fl)
        s.print_dotted(x_val - mm(1), s.w - mm(8), y + mm(5.6))
        s.type(x_val, y - mm(0.6), val, fv)
        y += step
    # start / end of term on one row
    s.print_text(x_lab, y + mm(1), "Начало срока", fl)
    s.print_dotted(x_val - mm(1), mm(86), y + mm(5.6))
    s.type(x_val, y - mm(0.6), "12.IX.1937", fv)
    s.print_text(mm(90), y + mm(1), "Конец срока", fl)
    s.print_dotted(mm(115), s.w - mm(8), y + mm(5.6))
    s.type(mm(116), y - mm(0.6), "12.IX.1945", fv)
    y += step
    s.print_text(x_lab, y + mm(1.2), "Личное дело №", fl)
    s.type(mm(40), y - mm(0.4), "Ж-11472", fv)
    s.print_text(mm(90), y + mm(1.2), "Отделение", fl)
    s.type(mm(116), y - mm(0.4), "Акмолинское", fv)
    front = render_scan(s, angle=-0.45, blur=0.65, paper_tone=226, stains=2)

    # back ----------------------------------------------------------------
    b = Sheet(W, H, seed=1945)
    b.print_rect([mm(3), mm(3), b.w - mm(3), b.h - mm(3)], width=4)
    b.print_text(b.w // 2, mm(6), "ДВИЖЕНИЕ ЗАКЛЮЧЁННОГО", flb, anchor="ma")
    top = mm(13)
    cols = [mm(3), mm(31), mm(128), b.w - mm(3)]
    b.print_line(mm(3), top, b.w - mm(3), top, width=3)
    hdr_y = top + mm(1.5)
    for (x0, x1), name in zip(zip(cols, cols[1:]), ["Дата", "Откуда прибыл(а), куда убыл(а)", "Основание"]):
        b.print_text((x0 + x1) // 2, hdr_y, name, fl, anchor="ma")
    body_top = top + mm(7)
    bottom = b.h - mm(3)
    rowh = (bottom - body_top) / 9
    b.print_line(mm(3), body_top, b.w - mm(3), body_top, width=3)
    for x in cols[1:-1]:
        b.print_line(x, top, x, bottom, width=3)
    yy = body_top + rowh
    while yy < bottom - rowh / 2:
        b.print_line(mm(3), yy, b.w - mm(3), yy, width=1)
        yy += rowh
    b.print_line(mm(3), bottom, b.w - mm(3), bottom, width=3)
    moves = [
        ("30.XII.1937", "Убыла этапом из Бутырской тюрьмы", "наряд ГУЛАГ"),
        ("10.I.1938", "Прибыла в Акмолинское отделение Карлага", "пр. № 14"),
        ("3.VI.1941", "Переведена на Спасский лагпункт", "пр. № 212"),
        ("17.IV.1943", "Возвращена в Акмолинское отделение", "пр. № 96"),
        ("12.IX.1945", "Освобождена по отбытии срока", "спр. № 0418"),
        ("", "Выбыла к месту жительства: г. Караганда", ""),
    ]
    y = body_top + mm(2.4)
    for date, what, basis in moves:
        if date:
            b.type(cols[0] + mm(1.5), y, date, fvs)
        b.type(cols[1] + mm(1.5), y, what, fvs)
        if basis:
            b.type(cols[2] + mm(1.5), y, basis, fvs)
        y += rowh
    b.add_stamp(b.w - mm(30), b.h - mm(26), mm(13), "КАРАГАНДИНСКИЙ ИТЛ НКВД * УРО * ",
                ["Карлаг", "УРО"], angle=-33, strength=0.42)
    back = render_scan(b, angle=0.9, blur=0.7, paper_tone=224, stains=1)

    front.save(out / "registration_card.tif", format="TIFF", save_all=True,
               append_images=[back], compression="tiff_lzw", dpi=(DPI, DPI))


# --------------------------------------------------------------------------
# 5. German letter of a deported Volga German (PNG)
# --------------------------------------------------------------------------


def make_de_letter(out: Path):
    s = Sheet(148, 190, seed=1941)
    f = font(MONO, 10.5)
    t = Typist(s, f, left_mm=15, top_mm=13, width_chars=54, line_spacing=1.45)
    t.right("Kolchos \u201eKysyl Tu\u201c, Rayon Atbassar")
    t.right("Gebiet Akmolinsk, Kasachische SSR")
    t.right("den 3. März 1947")
    t.blank(1)
    t.line("Liebe Schwester Amalia!")
    t.blank(0.4)
    t.para("Deinen Brief vom Januar haben wir erst jetzt erhalten, "
           "er war sieben Wochen unterwegs. Wir sind alle gesund, "
           "soweit man das sagen kann. Seit September 1941, als man "
           "uns aus Mariental an der Wolga ausgesiedelt hat, wohnen "
           "wir hier in einer Erdhütte bei der Familie Schäfer.", first_indent=3)
    t.para("Vater ist im Februar 1943 in der Arbeitsarmee in "
           "Tscheljabinsk gestorben; ein Grab haben sie uns nicht "
           "gezeigt. Heinrich ist noch im Lager bei Solikamsk, er "
           "schreibt selten. Ich arbeite auf der Farm, die Kinder "
           "gehen zur Schule und sprechen schon besser Kasachisch "
           "als Deutsch.", first_indent=3, faded_line=2)
    t.para("Jeden Monat müssen wir uns beim Kommandanten melden "
           "und dürfen den Rayon nicht verlassen. Schreib uns bald "
           "und grüße alle von uns.", first_indent=3)
    t.blank(0.8)
    t.line("Deine Schwester", indent=28)
    t.line("Katharina Wagner (geb. Müller)", indent=22)
    s.add_fold("v", 0.5)
    img = render_scan(s, angle=1.1, blur=0.7, paper_tone=229, stains=2)
    save_png(img, out / "de_letter.png")


README = """\
# Demonstration corpus

Sample scans and PDFs that `make run` processes out of the box. **All people,
case numbers, addresses and texts here are invented for demonstration**; they
imitate the kinds of documents a Soviet political-repression archive holds, and
are not copies of any real record.

| file | what it is |
|------|------------|
| `ru_sentence_extract.png` | Typewritten Russian «Выписка из протокола Особого совещания при НКВД СССР» (1937): Кравченко Мария Степановна, 1904 г.р., ЧСИР, 8 лет ИТЛ from 12.IX.1937; «Выписка верна» line, round stamp, fold. 300 DPI grayscale PNG, 1 page. |
| `kk_archival_reference.pdf` | Kazakh «Мұрағат анықтамасы» (1997) about Сәрсенбаев Жиһанша Өтегенұлы, born 1898 in Қарқаралы уезі, arrested 14.XI.1937, 8 years by the NKVD Special Board, rehabilitated 1956. **Image-only PDF** (a JPEG scan, no text layer), 1 page. |
| `mixed_rehabilitation.pdf` | Born-digital PDF **with a text layer** (embedded DejaVu Serif): p. 1 Russian «Справка о реабилитации» of Лисовская Анна Григорьевна (arrested 15.VIII.1937, rehabilitated 2 June 1956); p. 2 Kazakh translation and «Копия верна» line. 2 pages. |
| `registration_card.tif` | Camp prisoner registration card (Карлаг), multi-page TIFF, 300 DPI grayscale, LZW: front = printed form with typed values (Зайцева Евдокия Никифоровна, 1899, ЧСИР, 8 лет, 12.IX.1937–12.IX.1945); back = movement records (arrival at the Akmola division 10.I.1938, release 12.IX.1945). 2 pages. |
| `de_letter.png` | Short typed letter in German by a deported Volga German woman (Kazakhstan, 1947) — a language that is neither Russian nor Kazakh. 300 DPI grayscale PNG, 1 page. |

The scans are rendered with Pillow at 300 DPI in a typewriter-like monospaced
font and then moderately degraded (slight skew, blur, paper grain and uneven
tone, folds, a faded line, a faint round stamp) so that they stay readable by
Tesseract.

## Regenerating

```sh
.venv/bin/python scripts/make_corpus.py            # writes into corpus/
.venv/bin/python scripts/make_corpus.py --out /tmp/c
```

The script uses fixed seeds and fixed PDF dates/ids, so re-running it
reproduces the same bytes given the same Pillow / FreeType / fpdf2 versions and
the DejaVu fonts (`fonts-dejavu-core`).
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "corpus",
                    help="output directory (default: corpus/)")
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for fn in (make_ru_sentence_extract, make_kk_archival_reference, make_mixed_rehabilitation,
               make_registration_card, make_de_letter):
        fn(out)
    (out / "README.md").write_text(README, encoding="utf-8")
    for p in sorted(out.iterdir()):
        print(f"{p.stat().st_size:>9,d}  {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
