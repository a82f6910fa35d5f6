"""File names that are not UTF-8: a printable, reversible name for records and messages.

Scans come from Windows shares and zip files whose names are in CP1251 or
CP866 (Cyrillic) or CP1252 (Latin). Python hands such names over with the
undecodable bytes as lone surrogates ("surrogateescape"): the path still opens
the file, but the name cannot be written as UTF-8 JSON nor printed. So the
path stays as it is for opening the file, and what is shown is decoded with
the most plausible legacy code page, which is recorded: encoding the shown
name with it gives back the bytes of the real name.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Optional

# In order of preference when two read equally well: Cyrillic archives first.
# latin-1 decodes any byte, so a name always gets one.
LEGACY_ENCODINGS = ("cp1251", "cp866", "cp1252", "latin-1")
# Punctuation that ordinary file names hold; any other symbol in a decoded name is suspect.
NAME_PUNCTUATION = set(" -_.,;()[]{}'!#&+~@=%№$^`")
# Punctuation that may stand between two letters of a name.
INNER_PUNCTUATION = set(" -_.'")
# Cyrillic letters of Russian, Kazakh and Ukrainian; other Cyrillic letters (Ђ Љ Ћ Џ ў ...)
# are what a wrong code page typically produces.
_COMMON_CYRILLIC = set(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіїєґ"
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯӘҒҚҢӨҰҮҺІЇЄҐ"
)


def decode_name(raw: bytes) -> tuple[str, Optional[str]]:
    """(printable name, code page) of a name's bytes; the code page is None for UTF-8."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    best: Optional[tuple[int, str, str]] = None
    for rank, encoding in enumerate(LEGACY_ENCODINGS):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = implausibility(text)
        if best is None or score < best[0]:
            best = (score, text, encoding)
    assert best is not None  # latin-1 decodes every byte
    return best[1], best[2]


def source_name(path: Path, root: Optional[Path] = None) -> tuple[str, Optional[str]]:
    """`path` relative to `root` (its own name without one), with forward slashes, decoded by
    `decode_name`: the name records, errors and messages show."""
    relative = Path(os.path.relpath(path, root)) if root is not None else Path(path.name)
    return decode_name(os.fsencode(relative.as_posix()))


def path_text(source: str, encoding: Optional[str]) -> str:
    """The file-system form of a record's `source` (what `source_name` shows, with the code page it
    recorded): the name's real bytes again, as Python's paths hold them, so the file can be found."""
    if not encoding:
        return source
    try:
        return os.fsdecode(source.encode(encoding))
    except (UnicodeEncodeError, LookupError):  # not a name this module wrote: look for it as shown
        return source


def printable(path: Path | str) -> str:
    """A path as text that can always be printed and written as UTF-8 (for messages)."""
    return decode_name(os.fsencode(path))[0]


def implausibility(text: str) -> int:
    """How unlike a real file name `text` is: control characters, box drawing and odd symbols,
    symbols between letters, words mixing Latin and Cyrillic letters, a capital inside a lower-case word, rare Cyrillic
    letters, and Latin words made mostly of accented letters (the marks of a wrong code page)."""
    score = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "C" or category == "Zs" and ch != " " or 0x2500 <= ord(ch) <= 0x25FF:
            score += 4
        elif category[0] in "SP" and ch not in NAME_PUNCTUATION:
            score += 2
        elif "\u0400" <= ch <= "\u04ff" and ch not in _COMMON_CYRILLIC:
            score += 2
    for a, ch, b in zip(text, text[1:], text[2:]):
        if a.isalpha() and b.isalpha() and not ch.isalnum() and ch not in INNER_PUNCTUATION:
            score += 3  # a symbol inside a word: "M№ller" is cp866 read for cp1252's "Müller"
    for word in _words(text):
        score += _word_implausibility(word)
    return score


def _words(text: str) -> list[str]:
    words, current = [], []
    for ch in text:
        if ch.isalpha():
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _word_implausibility(word: str) -> int:
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in word)
    latin = sum(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in word)
    score = 6 if cyrillic and latin else 0
    score += 2 * sum(a.islower() and b.isupper() for a, b in zip(word, word[1:]))
    accented = sum(not ch.isascii() and "LATIN" in unicodedata.name(ch, "") for ch in word)
    score += 2 * max(0, accented - -(-len(word) // 3))
    return score
