"""Names that OCR broke, mended by the dictionary.

A typewritten name on a worn card comes out of OCR as "Гуревич С фья Львовна",
"Гаврилова Пра. ковья икитична", "Осипова Клавдия !'етровна": a letter lost, split off or
read as a mark. The news model then tags no person there, or half of one. Between a
surname and a patronymic ending, the words can only be a given name and a patronymic, and
pymorphy3's dictionary lists both kinds (its `Name` and `Patr` marks): the one dictionary
word within one edit of the damaged letters is what the typist wrote. The entity keeps the
text as OCR read it; only its normalised value is mended, and only where exactly one word
fits.
"""

from __future__ import annotations

import re
from typing import Optional

from spacy.tokens import Doc, Span

from pipeline.boundaries import doc_text
from pipeline.names import SURNAME_END, edit_distance

_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_NOT_LETTER = re.compile(r"[^а-яё]")
# surname, then up to three pieces of a given name, then a word with a patronymic's ending, on one line
_BROKEN_NAME = re.compile(
    r"(?<![\w-])(?P<surname>[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)[ \t]+"
    r"(?P<given>[^\s\d]{1,12}(?:[ \t][^\s\d]{1,12}){0,2}?)[ \t]+"
    r"(?P<patronymic>[^\s\d]{0,3}[а-яё]*(?:вна|ична|инична|вич|ич))(?=[\s,.;:)]|$)")


def _edits(word: str) -> set:
    """Every string one deletion, substitution or insertion of a letter away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    return out


def _the_one_fit(fits: set, counts) -> Optional[str]:
    """The one word of `fits`; of several, the one `counts` (a word's frequency in news text,
    `normalize.WordCounts`) finds ten times as common as any other; else None."""
    if len(fits) == 1:
        return next(iter(fits))
    if counts is None or not fits:
        return None
    ranked = sorted(sorted(fits), key=counts, reverse=True)
    return ranked[0] if counts(ranked[0]) >= 10 * max(counts(ranked[1]), 1) else None


def dictionary_word(morph, damaged: str, mark: str, counts=None) -> Optional[str]:
    """The one dictionary word with `mark` ("Name", "Patr") that the damaged letters read as (the
    letters themselves, or one edit from them); None when none fits or several fit alike. Where
    several fit, `counts` (a word's frequency in news text, `normalize.WordCounts`) picks one that
    is ten times as common as any other ("петровна", not a rare "етаровна")."""
    letters = _NOT_LETTER.sub("", damaged.lower())
    if len(letters) < 4:
        return None  # "Ан а": too few letters left to tell one name from thirty

    def marked(word: str) -> bool:
        return morph.word_is_known(word) and any(mark in p.tag for p in morph.parse(word))

    if marked(letters):
        return letters
    return _the_one_fit({w for w in _edits(letters) if len(w) >= 4 and marked(w)}, counts)


def _surname(morph, word: str) -> bool:
    low = word.lower()
    return bool(SURNAME_END.search(low)) or any("Surn" in p.tag for p in morph.parse(low))


def broken_names(morph, doc: Doc, counts=None) -> list[tuple[Span, str]]:
    """(span, mended name) for each surname + damaged given name + patronymic on a line of `doc`
    that the dictionary mends; a name with nothing damaged is left to the model."""
    out = []
    for m in _BROKEN_NAME.finditer(doc_text(doc)):
        given, patronymic = m.group("given"), m.group("patronymic")
        if given.isalpha() and patronymic.isalpha() and given[:1].isupper() and patronymic[:1].isupper():
            continue  # nothing damaged
        if not _surname(morph, m.group("surname")):
            continue
        name = dictionary_word(morph, given, "Name", counts)
        patr = dictionary_word(morph, patronymic, "Patr", counts)
        span = doc.char_span(m.start(), m.end(), label="PERSON", alignment_mode="expand")
        if name and patr and span is not None:
            out.append((span, f"{m.group('surname')} {name.capitalize()} {patr.capitalize()}"))
    return out


def with_mended_names(morph, doc: Doc, ents: list, counts=None) -> tuple[list, dict]:
    """`ents` with each mended name in place of the entities it overlaps (unless it would cut an
    entity that is not a person), and {(start, end): mended text} for the normaliser."""
    mended: dict = {}
    for span, text in broken_names(morph, doc, counts):
        overlapping = [e for e in ents if e.start < span.end and span.start < e.end]
        if any(e.label_ != "PERSON" and not (span.start <= e.start and e.end <= span.end) for e in overlapping):
            continue
        ents = sorted([e for e in ents if e not in overlapping] + [span], key=lambda e: e.start)
        mended[(span.start_char, span.end_char)] = text
    return ents, mended


def mended_place(morph, text: str, counts=None) -> Optional[str]:
    """A town's name OCR broke, as the dictionary's place one edit away: "Акмолгнск" -> "Акмолинск",
    "Днепро етровске" -> "Днепропетровске" (a letter lost to a space); None when the text is a known
    word already, or no place (or several alike) is one edit away."""
    words = text.split()
    if not 1 <= len(words) <= 2 or not all(w.isalpha() for w in words):
        return None
    letters = "".join(words).lower()
    if len(letters) < 5 or not re.fullmatch("[а-яё]+", letters) or morph.word_is_known(letters):
        return None
    if len(words) == 2 and all(morph.word_is_known(w.lower()) for w in words):
        return None  # two words of their own, not one broken

    def place(word: str) -> bool:
        return morph.word_is_known(word) and all("Geox" in p.tag for p in morph.parse(word))

    fit = _the_one_fit({w for w in _edits(letters) if place(w)}, counts)
    return fit.capitalize() if fit else None


def with_mended_places(morph, ents: list, mended: dict, counts=None) -> list:
    """PLACE (or ORG) entities of one or two words, and one-word PERSONs with no surname's ending,
    that read as a town's name OCR broke become PLACEs with the mended name for the normaliser (in
    `mended`); a PERSON that opens with a common word OCR broke is dropped."""
    out = []
    for ent in ents:
        words = [t.text for t in ent if not t.is_space]
        if ent.label_ == "PERSON" and len(words) <= 3 and misread_common_word(morph, ent.text.split()[0], counts):
            continue  # "Начальни", "Освобождене--3": a word OCR broke, no name
        person = ent.label_ == "PERSON" and len(ent) == 1 and not SURNAME_END.search(ent.text.lower())
        fixed = mended_place(morph, ent.text, counts) if ent.label_ in ("PLACE", "ORG") or person else None
        if fixed:
            ent = Span(ent.doc, ent.start, ent.end, label="PLACE")
            mended[(ent.start_char, ent.end_char)] = fixed
        out.append(ent)
    return out


def mended_camp(text: str, camps: tuple) -> Optional[str]:
    """A camp's name OCR misread by one letter inside an ORG ("отделение Карпага" -> "Карлага"): each
    word whose first letters are one edit from a camp's name (of five letters or more) takes it, its
    case ending kept. None when no word changes."""
    words = text.split(" ")
    changed = False
    for i, word in enumerate(words):
        for camp in camps:
            n = len(camp)
            head = word[:n]
            if n >= 5 and head.lower() != camp.lower() and head[:1].lower() == camp[:1].lower() \
                    and edit_distance(head.lower(), camp.lower(), 1) == 1 and word[n:].isalpha() | (word[n:] == ""):
                words[i] = (camp if head[:1].isupper() else camp.lower()) + word[n:]
                changed = True
                break
    return " ".join(words) if changed else None


_EDGE_JUNK = re.compile(r"[\W\d_]+$")


def misread_common_word(morph, word: str, counts) -> bool:
    """A word the dictionary does not know that is one letter from a common word and from no name:
    "Начальни" (начальник), "Освобождене--3" (освобождена) are OCR's, not a person's name."""
    letters = _EDGE_JUNK.sub("", word).lower()
    if counts is None or len(letters) < 6 or not re.fullmatch("[а-яё]+", letters) or morph.word_is_known(letters):
        return False
    if SURNAME_END.search(letters):
        return False  # "Гурская" is one letter from "курская", and a surname all the same
    near = [w for w in _edits(letters) if morph.word_is_known(w)]
    if any(t in p.tag for w in near for p in morph.parse(w) for t in ("Name", "Surn", "Patr", "Geox", "Orgn")):
        return False
    return any(counts(w) >= 500 for w in near)
