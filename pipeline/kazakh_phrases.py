"""Kazakh organ names as whole noun phrases, read from the words' endings.

There is no Kazakh parser here, but a Kazakh noun phrase marks its own structure: a genitive
possessor before a possessive head ("Қазақ КСР прокуратурасының", "облысының ... архиві"), bare
nouns and adjectives before a head ("Ақмола лагері", "Ішкі істер халық комиссариаты", "облыстық
атқару комитеті"), and the postpositions "жанындағы" (attached to), "жөніндегі" (concerning),
"бойынша" (for) that tie a body to another ("КСРО ІІХК жанындағы Ерекше кеңес"). The news-trained
model cuts such names ("КСР прокуратурасы" without "Қазақ", PLACE "Ақмола облысының" before
"мемлекеттік архиві"), so the `testimony_kk_phrases` component grows each ORG, each PLACE that
stands before an organ word, and each organ word with a proper name before it, over those links.

It never crosses a verb, a punctuation mark (a word's hyphen and the "(б)" of "ВКП(б)" are part of
the word), a paragraph or form-cell break, a number or date, or a person's name: a name ending in
-ов/-ев/-ин/-ұлы/-қызы or a given name never starts a body ("Әлімжанов облыстық атқару комитеті").
A Kazakh body's name starts with a capital letter or an abbreviation; a phrase with none is left
as the model had it. A region before a district ("Ақмола облысы Атбасар ауданы") stays two PLACEs,
as the annotation conventions have it, unless an organ word ends the phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.names import BACK_VOWELS, FRONT_VOWELS, GIVEN_NAMES, PATR_TURKIC, SURNAME_END, VOWELS
from pipeline.normalize import KK_PLACES, kk_strip_case

# Organ nouns in the nominative, without a possessive ending.
ORGAN_NOUNS = (
    "комиссариат", "халкомат", "прокуратура", "кеңес", "комитет", "сот", "трибунал", "алқа", "төралқа",
    "президиум", "коллегия", "комиссия", "үштік", "басқарма", "бөлім", "бөлімше", "министрлік", "түрме",
    "лагерь", "лагер", "архив", "мұрағат", "атком", "райком", "обком", "горком", "партком", "ревком",
)
# Abbreviated bodies that end a name like an organ noun ("Қазақ КСР ІІХК").
ORGAN_ABBREVIATIONS = frozenset({"ііхк", "нквд", "ұқк", "мқк", "огпу", "гпу", "мвд", "мгб", "кгб", "вкп(б)", "кп(б)"})
GENITIVE = frozenset({"ның", "нің", "дың", "дің", "тың", "тің"})
LINKS = frozenset({"жанындағы", "жөніндегі", "бойынша"})  # postpositions inside a body's name
AND = "және"
# Words that are never part of a body's name: pronouns, particles, conjunctions, adverbs of time,
# postpositions of the sentence ("туралы": about; "ретінде": as).
FUNCTION_WORDS = frozenset("""
ол оны оның оған онда одан олар оларды олардың оларға біз бізді біздің бізге мен мені менің маған сен
сені сенің саған сіз сізді сіздің сізге бұл бұны бұның осы сол соның оған өзі өзінің өз барлық
бен пен да де та те ғана тек ал бірақ әрі немесе яғни сондай сонда кейін кейіннен бұрын дейін соң
содан сосын енді әлі тағы туралы үшін арқылы сияқты ретінде кезінде кезде бірге қарай дейінгі
жыл жылы жылғы жылдың туған №
""".split())
# Names of states and peoples that begin bodies' names at the start of a sentence ("Қазақ КСР ...").
STATE_WORDS = frozenset({"қазақ", "қазақстан", "кеңес", "ксро", "ресей", "орыс"})
_SENTENCE_END = frozenset(".!?:;")
_VERB_END = re.compile(r"(?:ған|ген|қан|кен|ғанда|генде|атын|етін|йтын|йтін|мақ|мек|[аеәыіоұүу]п|"
                       r"[аәеыіоөұүуюяйлрмнң](?:ды|ді)|[^аәеыіоөұүуюя](?:ты|ті))$")
_BRACKET_TAIL = re.compile(r"^\(\w{1,3}\)$")


@dataclass
class Word:
    """A word of the doc: its tokens, its text, whether a break lies before it, and (read from its
    ending on first use: most words of a page are never looked at) its stem, case and kind."""

    start: int  # first token
    end: int  # after its last token
    text: str
    broken: bool  # a paragraph, form cell or form line lies between it and the word before
    label: str = ""  # the label of the doc entity it is in ("" if none)
    _read: Optional[tuple[str, str, bool, str]] = None

    @property
    def low(self) -> str:
        return self.text.lower()

    def _reading(self) -> tuple[str, str, bool, str]:
        if self._read is None:
            stem, case = _split_case(self.text)
            stem = stem.lower()
            head = stem in HEAD_FORMS or stem in ORGAN_ABBREVIATIONS
            self._read = (stem, case, head, "")  # what `kind` reads
            self._read = (stem, case, head, kind(self))
        return self._read

    @property
    def stem(self) -> str:
        """Lower case, without its case ending."""
        return self._reading()[0]

    @property
    def case(self) -> str:
        return self._reading()[1]

    @property
    def head(self) -> bool:
        """An organ word (`is_organ_head`)."""
        return self._reading()[2]

    @property
    def kind(self) -> str:
        """What it can be in a name (`kind`)."""
        return self._reading()[3]


def possessive_forms(noun: str) -> set[str]:
    """ "комитет" -> {"комитет", "комитеті"}; "лагерь" -> "лагері"; "үштік" -> "үштігі"."""
    forms = {noun}
    last_vowel = next((c for c in reversed(noun) if c in VOWELS), "а")
    endings = ("ы",) if last_vowel in BACK_VOWELS else ("і",) if last_vowel in FRONT_VOWELS else ("ы", "і")
    if noun[-1] in VOWELS:
        forms.update(noun + "с" + e for e in endings)
    else:
        stem = noun.rstrip("ь")
        stem = stem[:-1] + {"к": "г", "қ": "ғ", "п": "б"}.get(stem[-1], stem[-1])
        forms.update(stem + e for e in endings)
    return forms


HEAD_FORMS = frozenset(form for noun in ORGAN_NOUNS for form in possessive_forms(noun))
# The first letters of every organ word: a word without them is read no further.
_ORGAN_START = re.compile("|".join(sorted({re.escape(w[:3]) for w in HEAD_FORMS | ORGAN_ABBREVIATIONS})))


def _split_case(word: str) -> tuple[str, str]:
    """(stem, case ending) by the project's one table of Kazakh case endings (`kk_strip_case`)."""
    stem = kk_strip_case(word)
    return stem, word[len(stem):].lstrip("-'’`").lower()


def is_organ_head(word: str) -> bool:
    """An organ noun or abbreviation in any case: "прокуратурасының", "кеңестің", "ІІХК-ға"."""
    stem = _split_case(word)[0].lower()
    return stem in HEAD_FORMS or stem in ORGAN_ABBREVIATIONS


def is_person_word(word: str) -> bool:
    """A surname (-ов, -ева, -ин ... in any case), a patronymic (-ұлы, -қызы) or a given name."""
    if not word[:1].isupper() or word.isupper():
        return False
    stem = _split_case(word)[0].lower()
    return bool(SURNAME_END.search(stem) or PATR_TURKIC.search(stem)) or stem in GIVEN_NAMES


def _possessive(low: str) -> bool:
    """Ends like a 3rd-person possessive ("қоры", "мүшесі"): a noun modified by the one before."""
    return low.endswith(("сы", "сі")) or (len(low) > 3 and low[-1] in "ыі" and low[-2] not in VOWELS
                                         and not _VERB_END.search(low))


# Kinds of words: never in a name; a postposition; "және"; a genitive; another case; a nominative.
STOP, LINK, CONJ, GEN, OBLIQUE, MOD = "stop", "link", "and", "gen", "oblique", "mod"


def kind(word: Word) -> str:
    """What a word can be in a body's name (see the kinds above); `Word.head` says if it is its head."""
    text, low = word.text, word.low
    if word.label == "DATE" or word.label == "PERSON" and not word.head:  # the model's PERSON "ІІХК"
        return STOP
    if not any(ch.isalpha() for ch in text) or any(ch.isdigit() for ch in text) or low in FUNCTION_WORDS:
        return STOP
    if low in LINKS:
        return LINK
    if low == AND:
        return CONJ
    if "(" in text:
        return MOD  # ВКП(б)
    if is_person_word(text):
        return STOP
    if word.case:
        return GEN if word.case in GENITIVE else OBLIQUE
    if not text[:1].isupper() and _VERB_END.search(low) and not word.head:
        return STOP
    return MOD


# --- the words of a doc ----------------------------------------------------------------------------
_PARAGRAPH = re.compile(r"\n[ \r\f\v]*\n")


def _broken(text: str, gap_start: int, gap_end: int) -> bool:
    """A paragraph break, a form cell (TAB), or a line break between two lines of a form."""
    gap = text[gap_start:gap_end]
    if "\t" in gap or _PARAGRAPH.search(gap):
        return True
    if "\n" not in gap:
        return False
    line_start = text.rfind("\n", 0, gap_start) + 1
    line_end = text.find("\n", gap_end)
    return "\t" in text[line_start : len(text) if line_end < 0 else line_end]


def _glued(prev, token, word: str) -> bool:
    """ "Шерубай" "-" "Нұра", "ВКП" "(" "б" ")": parts of one word, with no space between."""
    if prev.whitespace_:
        return False
    return (token.text == "-" or prev.text == "-" or prev.text == "(" or (token.text == "(" and word.isupper())
            or (token.text == ")" and "(" in word and ")" not in word))


def doc_words(doc: Doc) -> list[Word]:
    """The words of a doc, each with the label of the entity it is in; "ВКП(б)" and a word cut at a
    hyphen with no space around it are one word."""
    labels = {i: ent.label_ for ent in doc.ents for i in range(ent.start, ent.end)}
    text = doc.text
    words: list[Word] = []
    for token in doc:
        if token.is_space:
            continue
        if words and _glued(doc[words[-1].end - 1], token, words[-1].text):
            words[-1].end, words[-1].text = token.i + 1, words[-1].text + token.text
            continue
        prev_end = doc[words[-1].end - 1].idx + len(doc[words[-1].end - 1]) if words else 0
        words.append(Word(token.i, token.i + 1, token.text, bool(words) and _broken(text, prev_end, token.idx),
                          labels.get(token.i, "")))
    return words


# --- growing a phrase ------------------------------------------------------------------------------
RIGHT_WORDS, LEFT_WORDS, COMPLEMENT_WORDS = 8, 10, 6  # how far a name may reach


def _capital(word: Word) -> bool:
    return word.text[:1].isupper()


def _sentence_start(words: list[Word], i: int) -> bool:
    return i == 0 or words[i].broken or words[i - 1].text[-1:] in _SENTENCE_END or words[i - 1].text in "—–-"


def _may_start(words: list[Word], i: int) -> bool:
    """A capitalised word may begin a body's name, but the first word of a sentence only when it is
    an abbreviation, a heading in capitals, a known place or state, or the model's ORG or PLACE."""
    word = words[i]
    if not _capital(word) or not _sentence_start(words, i):
        return _capital(word)
    return word.text.isupper() or word.label in ("ORG", "PLACE") or word.stem in KK_PLACES or word.stem in STATE_WORDS


def _bare_head(word: Word) -> bool:
    return word.stem in ORGAN_NOUNS


def _closes(words: list[Word], j: int) -> bool:
    """The noun a genitive possesses, if it is no organ ("сотының үкімі": the court's verdict), ends
    the name; a type word after a proper name ("Қазақстан Республикасы", "Ақмола облысы") does not."""
    word = words[j]
    if j == 0 or word.head or not _possessive(word.stem):
        return False
    return words[j - 1].kind == GEN


def _ends_name(words: list[Word], j: int) -> bool:
    """An organ word ends a name, except a bare one that modifies the next noun ("мұрағат қоры")."""
    if not words[j].head:
        return False
    if not _bare_head(words[j]) or j + 1 == len(words) or words[j + 1].broken:
        return True
    after = words[j + 1]
    return after.kind not in (MOD, GEN) or not _possessive(after.stem)


def _link_ahead(words: list[Word], j: int) -> bool:
    """ "статистика және арнайы есепке алу жөніндегі": a conjunction or an oblique noun belongs to
    the complement of a postposition that follows."""
    for k in range(j + 1, min(len(words), j + 1 + COMPLEMENT_WORDS)):
        if words[k].broken:
            return False
        kk = words[k].kind
        if kk == LINK:
            return True
        if kk not in (MOD, OBLIQUE, CONJ):
            return False
    return False


def grow_right(words: list[Word], end: int) -> int:
    """The end of the name that goes on after words[:end] to an organ word, or `end`."""
    if words[end - 1].kind not in (GEN, MOD, LINK) or _closes(words, end - 1):
        return end
    best = end
    for j in range(end, min(len(words), end + RIGHT_WORDS)):
        word = words[j]
        k = word.kind
        if word.broken or k == STOP:
            break
        if k == OBLIQUE:
            if word.head:
                best = j + 1
            elif _link_ahead(words, j):
                continue
            break
        if k == CONJ and not _link_ahead(words, j):
            break
        if _ends_name(words, j):
            best = j + 1
        if _closes(words, j):
            break
    return best


def grow_left(words: list[Word], start: int, end: int) -> int:
    """The first word of the name words[start:end] ends, or `start`."""
    first = start
    link = next((i for i in range(start, end) if words[i].kind == LINK), None)
    complement = 0 if link is None else COMPLEMENT_WORDS - (link - start)
    for i in range(start - 1, max(-1, start - 1 - LEFT_WORDS), -1):
        word = words[i]
        k = word.kind
        if words[i + 1].broken or k == STOP or _closes(words, i):
            break
        if k == LINK:
            complement = COMPLEMENT_WORDS
        elif k in (OBLIQUE, CONJ):
            if complement <= 0 or word.head:
                break  # "Бутырка түрмесінен | Қарлагтың ...": another phrase
        complement = 0 if k == GEN else complement - 1
        if _capital(word):
            if not _may_start(words, i):
                break
            first = i
    return first


# --- the component ---------------------------------------------------------------------------------
@dataclass
class Phrase:
    start: int  # word indices
    end: int
    label: str


def _phrases(words: list[Word], ents: list[Span], at: dict[int, int]) -> list[Phrase]:
    """Every grown ORG or PLACE: from the model's spans and from organ words with a name before them."""
    found = []
    for ent in ents:
        if ent.label_ not in ("ORG", "PLACE") or ent.start not in at or ent.end - 1 not in at:
            continue
        start, end = at[ent.start], at[ent.end - 1] + 1
        if any(word.kind == STOP for word in words[start:end]):
            continue  # "АҚТАУ ТУРАЛЫ" (about rehabilitation): no name to grow
        new_end = grow_right(words, end)
        organ = words[new_end - 1].head
        if ent.label_ == "PLACE" and not organ:
            continue  # a place stays a place ("Ақмола облысы | Атбасар ауданы")
        new_start = grow_left(words, start, new_end)
        if (new_start, new_end) != (start, end) or ent.label_ == "PLACE":
            found.append(Phrase(new_start, new_end, "ORG"))
    for i, word in enumerate(words):
        if word.label or not _ORGAN_START.match(word.low) or not word.head or word.kind == STOP:
            continue
        end = grow_right(words, i + 1)
        start = grow_left(words, i, end)
        if start < i and _ends_name(words, end - 1):
            found.append(Phrase(start, end, "ORG"))
    return found


def _without_person(words: list[Word], ent: Span, at: dict[int, int]) -> tuple[Optional[Span], Optional[Span]]:
    """ "Әлімжанов облыстық атқару комитеті": (the ORG without the name, the name as a PERSON); the
    ORG is None if what is left does not begin with a capital."""
    doc = ent.doc
    first = last = at.get(ent.start)
    if first is None or ent.label_ != "ORG":
        return ent, None
    while last < len(words) and words[last].end <= ent.end and is_person_word(words[last].text):
        last += 1
    if last == first:
        return ent, None
    person = Span(doc, words[first].start, words[last - 1].end, label="PERSON")
    if last < len(words) and words[last].end <= ent.end and _capital(words[last]):
        return Span(doc, words[last].start, ent.end, label="ORG"), person
    return None, person


def _with_name_before(words: list[Word], person: Span, at: dict[int, int], ents: list[Span]) -> Span:
    """ "Қасым | Әлімжанов": the name split off an ORG joins the given name right before it, tagged
    (then taken out of `ents`) or not."""
    first = at[person.start]
    if first == 0 or words[first].broken:
        return person
    before = words[first - 1]
    if ents and ents[-1].label_ == "PERSON" and ents[-1].end == before.end:
        return Span(person.doc, ents.pop().start, person.end, label="PERSON")
    if not before.label and is_person_word(before.text):
        return Span(person.doc, before.start, person.end, label="PERSON")
    return person


class KazakhPhrases:
    """Grows Kazakh ORG spans (and PLACEs that begin an organ's name) over their whole noun phrase."""

    def __call__(self, doc: Doc) -> Doc:
        words = doc_words(doc)
        if not words:
            return doc
        at = {t: i for i, w in enumerate(words) for t in range(w.start, w.end)}
        ents: list[Span] = []
        for ent in doc.ents:
            kept, person = _without_person(words, ent, at)
            if person is not None:
                person = _with_name_before(words, person, at, ents)
            ents += [span for span in (person, kept) if span is not None]
        if ents != list(doc.ents):
            doc.ents = ents
            words = doc_words(doc)
        grown = []
        for phrase in sorted(_phrases(words, ents, at), key=lambda p: p.start - p.end):
            if all(phrase.end <= p.start or p.end <= phrase.start for p in grown):
                grown.append(phrase)
        if not grown:
            return doc
        spans = [Span(doc, words[p.start].start, words[p.end - 1].end, label=p.label) for p in grown]
        kept = [e for e in doc.ents if all(e.end <= s.start or s.end <= e.start for s in spans)]
        doc.ents = sorted(kept + spans, key=lambda span: span.start)
        return doc


@Language.factory("testimony_kk_phrases")
def make_kazakh_phrases(nlp: Language, name: str) -> KazakhPhrases:
    return KazakhPhrases()
