"""OCR of one page image with Tesseract, into page text plus located words.

`ocr_page` runs the tesseract binary once per page (TSV output, the same rows
`pytesseract.image_to_data` returns) and builds the page text from the words,
so every `Word` knows its offsets in `OcrResult.text` and its box on the image
it was given.  Boxes are in the pixel coordinates of *that* image: when
`imaging.prepare_for_ocr` deskews or rescales a page, the boxes refer to the
cleaned image, whose size and DPI are the ones reported here.

Why the binary is called directly instead of through `pytesseract.image_to_data`:
we need `OMP_THREAD_LIMIT=1` in the child's environment (tesseract's OpenMP
threads fight each other and the batch's worker processes: measured ~5x slower
per page without it, identical output), a timeout, and clear errors.
pytesseract always hands the child the live `os.environ`, so using it would
mean mutating global state.  We still honour `pytesseract.pytesseract.tesseract_cmd`
when pytesseract is installed, so configuring the binary there keeps working.

Model choice (measured on the development set, see bench/ocr_cer.py): Debian's
script model `Cyrillic` reads both Russian and Kazakh typewriting better than
`rus+kaz` or either language model alone, but it also knows Ukrainian,
Serbian, Belarusian... letters (є ї ў ј ћ ...) and produces them on noisy glyphs.
So it runs with a character whitelist: the Russian alphabet, plus the nine
Kazakh letters unless the user forced `--lang ru` (then a Russian page can
never gain false Kazakh letters), Latin letters for Roman numerals and codes,
digits and punctuation.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from PIL import Image

from pipeline.errors import ImageTooLarge, OcrError
from pipeline.imaging import MAX_PAGE_PIXELS, MIN_PAGE_SIDE
from pipeline.model import Word

MODEL = "Cyrillic"  # tesseract -l value for every mode, see the module docstring
PSM = 3  # automatic page segmentation; forms are re-ordered row-wise below
TIMEOUT_S = 300  # a page that takes longer is reported, not waited on forever

_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_KK = "әғқңөұүһі"
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
# The space must be listed: with a whitelist, tesseract's LSTM decoder drops
# every character not in it, spaces included.
_PUNCT = " .,:;!?-–—()«»\"'/№%+*=[]<>&§"

KAZAKH_ONLY = set(_KK + _KK.upper())


_UK = "іїєґ"  # Ukrainian letters, allowed only when Ukrainian is a candidate language

# Latin-script languages an archive may hold beside Russian and Kazakh (letters of
# deported Volga Germans, Polish papers), with the tesseract model that reads each.
LATIN_MODELS = {"de": "deu", "pl": "pol", "en": "eng"}
# A Cyrillic reading with a mean word confidence below this is suspect enough to try
# the Latin-script models (a German letter read as Cyrillic scores about 0.4).
LATIN_RETRY_CONFIDENCE = 0.7
LATIN_MARGIN = 0.1  # the Latin reading must be this much more confident to win
# With no Latin-script candidate, a poorly read page is first read with this model alone to tell
# its script: a German letter scores 0.91 with it and 0.41 with the Cyrillic model; Russian and
# Kazakh pages, clean or blurred past reading, score 0.14-0.54 with it and never 0.1 above the
# Cyrillic model (tests/test_ocr.py).
SCRIPT_PROBE_MODEL = "eng"


def _whitelist(kazakh: bool, ukrainian: bool = False) -> str:
    letters = _RU + (_KK if kazakh else "") + (_UK if ukrainian else "") + _LATIN
    chars = letters + letters.upper() + _DIGITS + _PUNCT
    return "".join(dict.fromkeys(chars))


@dataclass
class OcrResult:
    text: str  # page text built from the words
    words: list[Word] = field(default_factory=list)  # offsets into text, boxes on the OCRed image
    confidence: Optional[float] = None  # mean word confidence 0..1, None when no words
    model: str = MODEL  # tesseract -l value used
    width: int = 0
    height: int = 0
    dpi: int = 300


# --------------------------------------------------------------------------------------------------
# Running tesseract
# --------------------------------------------------------------------------------------------------
def _tesseract_cmd() -> str:
    try:
        import pytesseract

        cmd = pytesseract.pytesseract.tesseract_cmd
    except Exception:  # pragma: no cover - pytesseract is a dependency, but the binary is what matters
        cmd = "tesseract"
    return cmd


def _env() -> dict:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _run_tesseract(pixels: bytes, lang: str, dpi: int, psm: int, whitelist: str, timeout: float) -> str:
    cmd = _tesseract_cmd()
    if shutil.which(cmd) is None and not os.path.isfile(cmd):
        raise OcrError(
            f"the OCR engine '{cmd}' was not found.",
            hint="Install Tesseract 5 (Debian/Ubuntu: apt install tesseract-ocr tesseract-ocr-script-cyrl "
            "tesseract-ocr-rus tesseract-ocr-kaz) or put it on PATH.",
        )
    args = [
        cmd, "stdin", "stdout",
        "-l", lang,
        "--dpi", str(int(dpi)),
        "--psm", str(psm),
        "-c", "tessedit_char_whitelist=" + whitelist,
        "tsv",
    ]
    try:
        proc = subprocess.run(args, input=pixels, capture_output=True, env=_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise OcrError(
            f"Tesseract took more than {timeout:.0f} s on this page and was stopped.",
            hint="The page may be mostly noise; try a cleaner scan of it.",
        ) from None
    except OSError as exc:
        raise OcrError(f"the OCR engine could not be started: {exc}.", hint="Check the Tesseract installation.") from None
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if "Failed loading language" in err or "traineddata" in err:
            raise OcrError(
                f"Tesseract has no '{lang}' language model.",
                hint="Install it (Debian/Ubuntu: apt install tesseract-ocr-script-cyrl) or set TESSDATA_PREFIX "
                "to a folder holding Cyrillic.traineddata.",
            )
        tail = " ".join(err.strip().splitlines()[-3:])[:300]
        raise OcrError(
            f"Tesseract failed on this page (exit code {proc.returncode}){': ' + tail if tail else ''}.",
            hint="Check that the page image is readable; other pages are not affected.",
        )
    return proc.stdout.decode("utf-8", "replace")


def _parse_tsv(tsv: str) -> list[dict]:
    """Word rows of tesseract's TSV (level 5), without layout rows (conf -1) and empty words."""
    rows = []
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header:
        return rows
    idx = {name: i for i, name in enumerate(header)}
    for rec in reader:
        if len(rec) < len(header):
            continue
        try:
            conf = float(rec[idx["conf"]])
        except ValueError:
            continue
        text = rec[idx["text"]].strip()
        if conf < 0 or not text:
            continue
        left, top = int(rec[idx["left"]]), int(rec[idx["top"]])
        width, height = int(rec[idx["width"]]), int(rec[idx["height"]])
        rows.append(
            {
                "key": (int(rec[idx["block_num"]]), int(rec[idx["par_num"]]), int(rec[idx["line_num"]])),
                "text": text,
                "conf": max(0.0, min(1.0, conf / 100.0)),
                "bbox": (left, top, left + width, top + height),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------
# Word-level corrections
# --------------------------------------------------------------------------------------------------
# Soviet records write months as Roman numerals ("3.IX.1937", "15/VIII-37").
# Tesseract reads them with Cyrillic look-alikes (І Х У Ү) or with the digit 1.
_ROMAN_LIKE = {"I": "I", "V": "V", "X": "X", "І": "I", "Х": "X", "У": "V", "Ү": "V", "1": "I", "l": "I", "Ӏ": "I"}
_ROMAN_MONTHS = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
_ROMAN_DATE = re.compile(r"(?<![^\W\d_])([0-9З]{1,2}[./])([IVXІХУҮ1lӀ]{1,4})(?=[./-]|$)")


def _fix_roman_month(m: re.Match) -> str:
    day, month = m.group(1), m.group(2)
    if month.isdigit() and not (set(month) == {"1"} and int(month) > 12):
        return m.group(0)  # "12.11.37" is an Arabic month: leave it ("17.111.43" is not)
    roman = "".join(_ROMAN_LIKE[c] for c in month)
    if roman not in _ROMAN_MONTHS:
        return m.group(0)
    return day.replace("З", "3") + roman


# A month split off its day by a stray space: "3 .ІХ.1945", "ІХ." (two or more
# numeral letters and a dot, so a lone initial like "Х." is left alone).
_ROMAN_TOKEN = re.compile(r"^(\.?)([IVXІХУҮ]{2,4})(\.(?:\d{2,4})?)$")


def _fix_roman_token(m: re.Match) -> str:
    roman = "".join(_ROMAN_LIKE[c] for c in m.group(2))
    return m.group(1) + roman + m.group(3) if roman in _ROMAN_MONTHS else m.group(0)


_NUMERO_LOOKALIKES = {"Ж", "Ne", "No", "N", "Н"}  # how "№" comes out when the model misses it


def fix_numero(words: list[dict]) -> None:
    """A lone "Ж"/"No" before a number is the numero sign ("Дело № 24871"): no Russian
    or Kazakh word is spelled so, and archival records are full of numbers."""
    for word, following in zip(words, words[1:]):
        if word["text"] in _NUMERO_LOOKALIKES and following["text"][:1].isdigit():
            word["text"] = "№"


def correct_word(text: str) -> str:
    """Fix what a Cyrillic model predictably misreads in typewritten records."""
    text = _ROMAN_DATE.sub(_fix_roman_month, text)
    text = _ROMAN_TOKEN.sub(_fix_roman_token, text)
    return _ZERO_IN_WORD.sub(_fix_zero, text)


# The letter О read as the digit 0 inside a Cyrillic word ("0С0", "Н0ВЫЙ"):
# a run of Cyrillic letters and zeros with no other digit.
_ZERO_IN_WORD = re.compile(r"(?<![\w])(?=[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі0]*[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі])"
                           r"(?=[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]*0)[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі0]+(?![\w])")


def _fix_zero(m: re.Match) -> str:
    word = m.group(0)
    letters = [c for c in word if c != "0"]
    upper = all(c.isupper() for c in letters)
    return word.replace("0", "О" if upper else "о")


# --------------------------------------------------------------------------------------------------
# Layout: lines, form rows, paragraphs
# --------------------------------------------------------------------------------------------------
@dataclass
class _Line:
    key: tuple
    words: list  # word rows
    x0: int = 0
    y0: int = 0
    x1: int = 0
    y1: int = 0

    def __post_init__(self):
        self.x0 = min(w["bbox"][0] for w in self.words)
        self.y0 = min(w["bbox"][1] for w in self.words)
        self.x1 = max(w["bbox"][2] for w in self.words)
        self.y1 = max(w["bbox"][3] for w in self.words)

    @property
    def height(self) -> int:
        return max(1, self.y1 - self.y0)


def _v_overlap(a: _Line, b: _Line) -> float:
    inter = min(a.y1, b.y1) - max(a.y0, b.y0)
    return inter / min(a.height, b.height)


def _side_by_side(lines: list[_Line]) -> int:
    """How many lines have another line beside them (same height band, disjoint in x)."""
    count = 0
    for a in lines:
        for b in lines:
            if a is b:
                continue
            if _v_overlap(a, b) >= 0.5 and (a.x1 <= b.x0 or b.x1 <= a.x0):
                count += 1
                break
    return count


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Group lines into visual rows (top to bottom), each row left to right."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0 + ln.y1) / 2):
        if rows:
            row = rows[-1]
            band = _Line(key=(), words=[w for ln in row for w in ln.words])
            if _v_overlap(band, line) >= 0.5 and all(line.x1 <= o.x0 or o.x1 <= line.x0 for o in row):
                row.append(line)
                continue
        rows.append([line])
    return [sorted(r, key=lambda ln: ln.x0) for r in rows]


def _layout(words: list[dict]) -> list[list[list[list[dict]]]]:
    """Paragraphs -> lines -> cells -> words.

    Tesseract's order (block, paragraph, line) is kept for running text.  When
    text sits side by side (form cards: a label and its value, two columns of
    fields), tesseract often reads one column down and then the other, which
    tears the form's rows apart; there the page is rebuilt row by row, the
    cells of a row left to right (joined by a TAB in the text).  Typewritten
    archival pages are single-column, so side-by-side text is taken to be form
    cells, not columns of prose.
    """
    lines: dict[tuple, list[dict]] = {}
    for w in words:
        lines.setdefault(w["key"], []).append(w)
    line_objs = [_Line(k, ws) for k, ws in lines.items()]
    if not line_objs:
        return []
    if _side_by_side(line_objs) >= 2:
        rows = _rows(line_objs)
        heights = sorted(ln.height for ln in line_objs)
        med = heights[len(heights) // 2]
        paragraphs: list[list[list[list[dict]]]] = []
        prev_bottom = None
        for row in rows:
            top = min(ln.y0 for ln in row)
            cells = [ln.words for ln in row]
            if prev_bottom is None or top - prev_bottom > 1.5 * med:
                paragraphs.append([])
            paragraphs[-1].append(cells)
            prev_bottom = max(ln.y1 for ln in row)
        return paragraphs
    paragraphs = []
    current = None
    for ln in line_objs:  # dicts keep tesseract's order
        par = ln.key[:2]
        if par != current:
            paragraphs.append([])
            current = par
        paragraphs[-1].append([ln.words])
    return paragraphs


def _assemble(paragraphs) -> tuple[str, list[Word]]:
    parts: list[str] = []
    out: list[Word] = []
    pos = 0

    def emit(s: str) -> None:
        nonlocal pos
        parts.append(s)
        pos += len(s)

    for p_i, par in enumerate(paragraphs):
        if p_i:
            emit("\n\n")
        for l_i, cells in enumerate(par):
            if l_i:
                emit("\n")
            for c_i, cell in enumerate(cells):
                if c_i:
                    emit("\t")
                for w_i, w in enumerate(cell):
                    if w_i:
                        emit(" ")
                    text = w["text"]
                    out.append(Word(text=text, start=pos, end=pos + len(text), bbox=w["bbox"], confidence=w["conf"]))
                    emit(text)
    return "".join(parts), out


RUSSIAN_MAX_KK_SHARE = 0.01  # Kazakh-only letters / all letters; Kazakh text has ~10-15 %


def _read(pixels: bytes, dpi: int, *, kazakh: bool, ukrainian: bool, timeout: float) -> list[dict]:
    words = _parse_tsv(_run_tesseract(pixels, MODEL, dpi, PSM, _whitelist(kazakh, ukrainian), timeout))
    for w in words:
        w["text"] = correct_word(w["text"])
    fix_numero(words)
    return words


def _latin_whitelist() -> str:
    letters = _LATIN + "äöüßąćęłńóśźżéèàç"
    return "".join(dict.fromkeys(letters + letters.upper() + _DIGITS + _PUNCT))


def _read_latin(pixels: bytes, model: str, dpi: int, timeout: float) -> list[dict]:
    """The page's words read with Latin-script `model` ("deu", "deu+pol+eng", the "eng" probe)."""
    return _parse_tsv(_run_tesseract(pixels, model, dpi, PSM, _latin_whitelist(), timeout))


def _mean_confidence(words: list[dict]) -> float:
    return sum(w["conf"] for w in words) / len(words) if words else 0.0


@lru_cache(maxsize=1)
def installed_models() -> frozenset[str]:
    """The tesseract language models on this machine (asked once per process)."""
    try:
        proc = subprocess.run([_tesseract_cmd(), "--list-langs"], capture_output=True, env=_env(), timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    lines = proc.stdout.decode("utf-8", "replace").splitlines()[1:]
    return frozenset(line.strip() for line in lines if line.strip())


def latin_model(languages: tuple[str, ...]) -> Optional[str]:
    """The tesseract -l value for the Latin-script candidate languages that have a model here."""
    models = [LATIN_MODELS[c] for c in languages if c in LATIN_MODELS and LATIN_MODELS[c] in installed_models()]
    return "+".join(dict.fromkeys(models)) or None


def _latin_script_reading(pixels: bytes, dpi: int, cyrillic: list[dict], timeout: float):
    """(model, words) when the page is in a Latin script though no Latin-script language is a
    candidate, else None: a letter in German must not come out as Cyrillic debris, which the
    language tags and the NER would then take for Russian or Kazakh. The probe's reading must be
    confident in itself and beat the Cyrillic one; the page is then read with every Latin-script
    model installed, so that its umlauts and Polish letters come out right."""
    if SCRIPT_PROBE_MODEL not in installed_models():
        return None
    probe = _read_latin(pixels, SCRIPT_PROBE_MODEL, dpi, timeout)
    confidence = _mean_confidence(probe)
    if confidence < LATIN_RETRY_CONFIDENCE or confidence <= _mean_confidence(cyrillic) + LATIN_MARGIN:
        return None
    model = latin_model(tuple(LATIN_MODELS))
    if model == SCRIPT_PROBE_MODEL:
        return model, probe
    return model, _read_latin(pixels, model, dpi, timeout)


def _looks_russian(words: list[dict]) -> bool:
    """Some Kazakh-only letters, but too few for any Kazakh text on the page."""
    letters = kk = 0
    for w in words:
        for c in w["text"]:
            if c.isalpha():
                letters += 1
                kk += c in KAZAKH_ONLY
    return kk > 0 and kk <= RUSSIAN_MAX_KK_SHARE * letters


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------
def _as_bitmap(image: Image.Image) -> Image.Image:
    """A greyscale image holding only black and white as a 1-bit image (no dithering: nothing
    to dither); any other image as it is."""
    if image.mode != "L":
        return image
    histogram = image.histogram()
    if any(histogram[1:255]):
        return image
    return image.convert("1", dither=Image.Dither.NONE)


def ocr_page(
    image: Image.Image,
    dpi: Optional[int],
    lang: str = "auto",
    *,
    extra_languages: tuple[str, ...] = (),
    timeout: float = TIMEOUT_S,
) -> OcrResult:
    """OCR one page image.

    `lang` is the user's choice: "auto" (Russian and/or Kazakh), "ru" or "kk".
    `extra_languages` are further candidate languages (e.g. de, uk, pl): with
    "auto", Ukrainian letters are allowed when uk is one, and a page the
    Cyrillic model reads poorly is read again with the Latin-script models of
    de/pl/en, keeping the more confident reading. With none of those, such a
    page is still read in Latin letters when a probe shows it is in a Latin
    script (`_latin_script_reading`); its language tags then say "und".
    `dpi` is the image's real resolution (tesseract guesses badly without it;
    300 is assumed when unknown).  Word boxes are in pixels of `image`.
    An image over the pixel budget is refused (ImageTooLarge); one too small
    to hold a line of text reads as empty.
    """
    if lang not in ("auto", "ru", "kk"):
        raise OcrError(f"unknown OCR language '{lang}'.", hint="Use auto, ru or kk.")
    dpi = int(dpi) if dpi else 300
    if image.width * image.height > MAX_PAGE_PIXELS:
        raise ImageTooLarge(
            f"the page image is {image.width}x{image.height} pixels, over the limit of "
            f"{MAX_PAGE_PIXELS / 1e6:.0f} megapixels a page.",
            hint="Rescan the page at 300-400 DPI, or split it into parts.",
        )
    if min(image.size) < MIN_PAGE_SIDE:  # no line of text fits; tesseract refuses under 3 px
        return OcrResult(text="", width=image.width, height=image.height, dpi=dpi)
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    # Uncompressed PBM/PGM/PPM: the same pixels as a PNG, but no deflate here and no inflate in
    # tesseract (~40 ms a page); the DPI goes on the command line. A cleaned page is black and
    # white already: sent as 1-bit PBM, tesseract skips its own thresholding and reads the page
    # ~15 % faster, with the same words, boxes and confidences (tests/test_ocr.py).
    _as_bitmap(image).save(buf, format="PPM")
    pixels = buf.getvalue()
    ukrainian = lang == "auto" and "uk" in extra_languages
    words = _read(pixels, dpi, kazakh=lang != "ru", ukrainian=ukrainian, timeout=timeout)
    model = MODEL
    if lang == "auto" and _mean_confidence(words) < LATIN_RETRY_CONFIDENCE:
        latin = latin_model(extra_languages)
        if latin:  # Latin-script languages are expected: their models read the page again
            other = _read_latin(pixels, latin, dpi, timeout)
            if _mean_confidence(other) > _mean_confidence(words) + LATIN_MARGIN:
                words, model = other, latin
        else:
            found = _latin_script_reading(pixels, dpi, words, timeout)
            if found:
                model, words = found
    if model == MODEL and lang == "auto" and _looks_russian(words):
        # A Russian page read with the Kazakh letters allowed gains a few false
        # ones (ө for е/о, қ for к on blurred glyphs); reading it again without
        # them fixes those words.  Pages with real Kazakh text, even one
        # Kazakh paragraph in a Russian protocol, are far above the threshold.
        words = _read(pixels, dpi, kazakh=False, ukrainian=ukrainian, timeout=timeout)
    text, out = _assemble(_layout(words))
    conf = sum(w.confidence for w in out) / len(out) if out else None
    return OcrResult(text=text, words=out, confidence=conf, model=model, width=image.width, height=image.height, dpi=dpi)
