"""Russian PERSON / PLACE / ORG entities: Slovnet NER (Natasha's news model) as a spaCy component.

``build_russian_nlp()`` gives ``spacy.blank("ru")`` plus the ``slovnet_ner`` component, which runs
Slovnet's CNN-CRF tagger on ``doc.text`` and writes ``doc.ents`` (PER -> PERSON, LOC -> PLACE,
ORG -> ORG) expanded to spaCy tokens. The weights are the ones the ``natasha`` package ships
(``natasha/data/model/slovnet_ner_news_v1.tar`` with the Navec embeddings
``natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar``). They are found with
``importlib.util.find_spec`` and loaded with ``slovnet``/``navec`` directly, so ``natasha`` itself
is never imported: it imports pymorphy2, which fails on Python 3.11 (``inspect.getargspec``).

The model was trained on news (Nerus); archive text breaks it in known ways. Two layers around it,
both on by default (``normalize``, ``postprocess``); pymorphy3 (``use_morph``) makes them much
better and is expected to be installed -- without it they fall back to suffix tests and do less.

* before tagging, on a copy of the text of the same length (spans map back 1:1, ``doc.text`` is
  never changed): Latin look-alikes inside Cyrillic words -> Cyrillic (OCR ``Ковaлева``);
  ``ё`` -> ``е`` (the news embeddings hardly saw ``ё``: ``Гражданка Ковалёва`` became one PER);
  lines typed in CAPITALS and paragraphs entirely in lower case are true-cased: words with a
  Name / Surn / Patr / Geox / Orgn reading in pymorphy3 and words it does not know -> ``Xxx``,
  Abbr -> ``XXX``, the rest lower case, sentence starts capitalised, ``Г.``/``ПОС.`` -> ``г.``/
  ``пос.`` but ``Н. Е.`` stays, an adjective before ОБЛАСТИ/РАЙОНА... is a name; a CAPS surname in
  mixed text (``обвиняемый ИВАНОВ Петр``) -> ``Иванов``.
* after tagging (token rules on razdel tokens): a title word or a sentence-initial dictionary
  noun is cut from the front of a PERSON / PLACE (``Гражданка``, ``Кладовщик``, ``Город``) and a
  lone sentence-initial dictionary word is no PERSON; an untagged first name + patronymic becomes
  a PERSON; PERSON pieces are joined and a surname in front is taken in (``Абдурахмановой`` +
  ``Натальи Петровны``, also when the model called the surname a PLACE) -- only when pymorphy3
  finds a common case and gender (``пресс-секретарь Путина Дмитрий Песков`` stays two);
  initials join their surname (``Тухачевской Н. Е.``) or make a PERSON with one (``Петров
  И. С.``, ``И. С. Петров``); the capitalised word after ``г. с. д. пос. ст. аул ...`` is a PLACE
  (not after a year: ``1937 г. Иванов``); a PLACE headed by an institution word (``Особым
  совещанием``) and a one-word ``Нарком...``/``...лаг`` (``Карлаг``) are ORGs.

``bench/factrueval.py`` measures both layers on factRuEval-2016 and on invented archive sentences.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import re
from bisect import bisect_left
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans, minibatch

from pipeline.names import (
    GIVEN_NAMES, LATIN_LOOKALIKES, LOOKALIKE_TO_CYRILLIC, PATRONYMIC_END, ROLE_WORDS, SURNAME_END, TITLES,
)

NER_FILE = Path("model") / "slovnet_ner_news_v1.tar"
NAVEC_FILE = Path("emb") / "navec_news_v1_1B_250K_300d_100q.tar"
LABELS = {"PER": "PERSON", "LOC": "PLACE", "ORG": "ORG"}

MAX_CHUNK_CHARS = 20000  # longer texts are tagged in paragraph groups (a huge paragraph: sentence groups)

CharSpan = Tuple[int, int, str]  # start, end, label (PERSON / PLACE / ORG)
CACHE_SIZE = 200_000  # per-word morphology caches are cleared when they grow past this


# --------------------------------------------------------------------------- model files


def natasha_data_dir() -> Path:
    """``natasha/data`` of the installed package, found without importing natasha."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the natasha package (which ships the Slovnet NER weights) is not installed")
    for location in spec.submodule_search_locations:
        data = Path(location) / "data"
        if (data / NER_FILE).is_file() and (data / NAVEC_FILE).is_file():
            return data
    raise FileNotFoundError(f"no {NER_FILE} / {NAVEC_FILE} under {list(spec.submodule_search_locations)}")


def load_slovnet(ner_path: Optional[str] = None, navec_path: Optional[str] = None, batch_size: int = 8):
    """Slovnet NER with Navec embeddings injected (paths default to natasha's package data)."""
    from slovnet import NER

    if not ner_path or not navec_path:
        data = natasha_data_dir()
        ner_path = ner_path or str(data / NER_FILE)
        navec_path = navec_path or str(data / NAVEC_FILE)
    ner = NER.load(str(ner_path), batch_size=batch_size)
    ner.navec(load_navec_vectors(navec_path))
    return ner


def load_navec_vectors(path):
    """The Navec embeddings as Slovnet uses them: their id and quantised vectors.

    `Navec.load` also builds Navec's 250k-word vocabulary and the norms and product table
    its `sim` needs: 0.5 s of every worker's start-up, and Slovnet uses none of it (it maps
    words to vector ids with its own vocabulary)."""
    from navec import Navec
    from navec.meta import Meta
    from navec.navec import META, PQ_
    from navec.pq import PQ
    from navec.tar import Tar

    class VectorsOnly(PQ):
        def precompute(self):  # norms and the product table, for Navec.sim only
            pass

    with Tar(str(path)) as tar:
        meta = Meta.from_file(tar.load(META))
        Meta.check_protocol(meta.protocol)
        return Navec(meta, None, VectorsOnly.from_file(tar.load(PQ_)))


def load_morph():
    """pymorphy3 analyser, or None when pymorphy3 is not installed (true-casing then uses suffixes)."""
    try:
        import pymorphy3  # noqa: F401
    except ImportError:
        return None
    from pipeline.normalize import CachedMorph

    return CachedMorph()


# --------------------------------------------------------------------------- BLAS threads

_BLAS_THREADS = None  # [(set, get)] of the OpenBLAS libraries numpy uses, found on first use


def _openblas_controls() -> list:
    """set/get-num-threads functions of the OpenBLAS libraries loaded in this process (Linux;
    elsewhere none: then nothing is limited)."""
    global _BLAS_THREADS
    if _BLAS_THREADS is not None:
        return _BLAS_THREADS
    controls = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
            setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                controls.append((setter, getter))
                break
    _BLAS_THREADS = controls
    return controls


@contextlib.contextmanager
def one_blas_thread():
    """Slovnet's matrices are small (a page: ~100 x 990 by 990 x 256): OpenBLAS's threads cost more
    to wake and join than they save -- 60 ms a page instead of 9 on a busy 2-core machine -- and
    worker processes already use the cores. Same results: factRuEval scores and pipeline outputs unchanged."""
    controls = _openblas_controls()
    before = [getter() for _, getter in controls]
    for setter, _ in controls:
        setter(1)
    try:
        yield
    finally:
        for (setter, _), n in zip(controls, before):
            setter(n)


# --------------------------------------------------------------------------- text chunks


_PARA_SPLIT = re.compile(r"\n[ \t\r\f\v]*\n")


def _chunks(text: str) -> Iterator[Tuple[int, int]]:
    """(start, end) pieces of at most MAX_CHUNK_CHARS: the whole text when it is short enough (as
    Natasha tags it; the CNN sees across paragraph ends), else groups of whole paragraphs."""
    if len(text) <= MAX_CHUNK_CHARS:
        if text.strip():
            yield 0, len(text)
        return
    paras = []
    start = 0
    for m in _PARA_SPLIT.finditer(text):
        paras.append((start, m.start()))
        start = m.end()
    paras.append((start, len(text)))
    group = None
    for s, e in paras:
        if not text[s:e].strip():
            continue
        if e - s > MAX_CHUNK_CHARS:
            if group:
                yield group
                group = None
            yield from _sentence_chunks(text, s, e)
        elif group is None:
            group = (s, e)
        elif e - group[0] > MAX_CHUNK_CHARS:
            yield group
            group = (s, e)
        else:
            group = (group[0], e)
    if group:
        yield group


def _sentence_chunks(text: str, start: int, end: int) -> Iterator[Tuple[int, int]]:
    from razdel import sentenize

    chunk_start = chunk_end = None
    for sent in sentenize(text[start:end]):
        s, e = start + sent.start, start + sent.stop
        if chunk_start is None:
            chunk_start, chunk_end = s, e
        elif e - chunk_start > MAX_CHUNK_CHARS:
            yield chunk_start, chunk_end
            chunk_start, chunk_end = s, e
        else:
            chunk_end = e
    if chunk_start is not None:
        yield chunk_start, chunk_end


# --------------------------------------------------------------------------- normalisation

# dotted abbreviations of archive forms (г. Житомир, пос. Осакаровка, 1901 г.р.)
DOT_ABBR = {
    "гор", "пос", "дер", "сел", "ст", "хут", "обл", "ул", "пер", "гр", "тов", "им", "см", "стр", "св", "род",
    "рожд", "гражд", "тт", "уп", "нач", "зам", "ком", "гг", "вв", "тыс", "руб", "коп",
}
# one-letter abbreviations (г. с. д. п. х.) -- unless a surname follows, then they are initials
ONE_LETTER_ABBR = set("гсдпхвтр")
DOTTED_PAIRS = {("т", "д"), ("т", "п"), ("т", "е"), ("т", "к"), ("н", "э"), ("г", "р"), ("г", "г"), ("с", "г")}
_LATIN_HOMO = set(LATIN_LOOKALIKES)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_CYR = re.compile(r"[а-яёА-ЯЁ]")
_LAT = re.compile(r"[a-zA-Z]")
_VOWELS = set("аеёиоуыэюяАЕЁИОУЫЭЮЯ")

NAME_TAGS = ("Name", "Surn", "Patr", "Geox", "Orgn", "Trad")


def _fix_homoglyphs(text: str) -> str:
    """Latin look-alikes inside mostly-Cyrillic words -> Cyrillic (same length)."""
    if not _LAT.search(text):  # most pages: no Latin letter, no word to look at
        return text

    def repl(m: re.Match) -> str:
        w = m.group(0)
        cyr = len(_CYR.findall(w))
        lat = len(_LAT.findall(w))
        if cyr and lat and cyr >= lat and all(ch in _LATIN_HOMO for ch in _LAT.findall(w)):
            return w.translate(LOOKALIKE_TO_CYRILLIC)
        return w

    return _WORD.sub(repl, text)


def _letters_words(line: str) -> List[str]:
    return [w for w in _WORD.findall(line) if len(w) >= 2]


class TrueCaser:
    """Case restoration for CAPS lines / lower-case paragraphs before tagging (same length out)."""

    def __init__(self, morph=None):
        self.morph = morph
        self._cache: dict = {}

    def kind(self, word: str) -> str:
        """'name' (Xxx), 'abbr' (XXX) or 'common' (xxx) for a word seen in any case."""
        key = word.lower()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = "common"
        if self.morph is not None:
            parses = self.morph.parse(key)
            top = parses[0] if parses else None
            known = self.morph.word_is_known(key)
            if top is not None and "Abbr" in top.tag and len(key) <= 8:
                result = "abbr"
            elif top is not None and any(t in top.tag for t in NAME_TAGS):
                result = "name"
            elif not known and len(key) >= 3 and any(ch in _VOWELS for ch in key):
                # not in the dictionary: in archive text mostly names (Kazakh ones above all)
                result = "name"
            elif not known and len(key) >= 2:
                result = "abbr"
        else:
            if not any(ch in _VOWELS for ch in key) and len(key) >= 2:
                result = "abbr"
            elif SURNAME_END.search(key) or PATRONYMIC_END.search(key):
                result = "name"
        if len(self._cache) > CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = result
        return result

    def word(self, word: str, sentence_start: bool) -> str:
        parts = word.split("-")
        kinds = [self.kind(p) for p in parts]
        if len(parts) > 1 and "name" in kinds:  # Алма-Ата, Кзыл-Орда
            kinds = ["abbr" if k == "abbr" else "name" for k in kinds]
        out = []
        for i, (p, k) in enumerate(zip(parts, kinds)):
            if k == "abbr":
                out.append(p.upper())
            elif k == "name" or (sentence_start and i == 0):
                out.append(p[:1].upper() + p[1:].lower())
            else:
                out.append(p.lower())
        return "-".join(out)

    def given_name(self, word: str) -> bool:
        """a first name or patronymic in some reading (pymorphy3), or by its ending"""
        low = word.lower()
        if PATRONYMIC_END.search(low):
            return True
        if self.morph is None:
            return False
        return any(("Name" in p.tag or "Patr" in p.tag) and p.score >= 0.1 for p in self.morph.parse(low))

    def _one_letter(self, text: str, n: int, wordlist: List[re.Match]) -> str:
        """``Г.`` / ``С.`` ... (wordlist[n]) followed by a dot: initial (upper) or abbreviation (lower)?"""
        m = wordlist[n]
        low = m.group(0).lower()
        nxt = wordlist[n + 1].group(0) if n + 1 < len(wordlist) else ""
        prv = wordlist[n - 1].group(0) if n else ""
        if (low, nxt.lower()) in DOTTED_PAIRS or (prv.lower(), low) in DOTTED_PAIRS:
            return low
        if len(nxt) == 1 or (len(prv) == 1 and text[wordlist[n - 1].end(): wordlist[n - 1].end() + 1] == "."):
            return m.group(0).upper()  # "Н. Е." -- two initials
        if low not in ONE_LETTER_ABBR:
            return m.group(0).upper()
        surname = bool(SURNAME_END.search(nxt.lower()))
        if self.morph is not None and nxt:
            top = self.morph.parse(nxt.lower())[0]
            surname = "Surn" in top.tag or (surname and "Geox" not in top.tag)
        return m.group(0).upper() if surname else low

    def recase(self, text: str) -> str:
        """All words of ``text`` re-cased (Normalizer decides where). Dotted abbreviations (``г.``,
        ``пос.``, ``г.р.``) are lower case and their dot ends no sentence, other single letters with
        a dot are initials; an adjective before ОБЛАСТИ / РАЙОНА ... is a place name; a surname-like
        word next to a first name / patronymic is a name even when it is a dictionary word too
        (КАЛИЕВ ЕРБОЛ: "калиев" is also a genitive of "калий")."""
        out = list(text)
        sentence_start = True
        skip_dot = -1
        matches = list(re.finditer(r"[^\W\d_]+(?:-[^\W\d_]+)*|[.!?]", text))
        wordlist = [x for x in matches if x.group(0) not in ".!?"]
        words = []  # (match, new form)
        for m in matches:
            tok = m.group(0)
            if tok in ".!?":
                if m.start() != skip_dot:
                    sentence_start = True
                continue
            dotted = text[m.end(): m.end() + 1] == "."
            low = tok.lower()
            if dotted and low in DOT_ABBR:
                new = low
                skip_dot = m.end()
            elif len(tok) == 1:
                if dotted:
                    new = self._one_letter(text, len(words), wordlist)
                    skip_dot = m.end()
                else:
                    new = tok.upper() if sentence_start else low
            else:
                new = self.word(tok, sentence_start)
            words.append([m, new])
            sentence_start = False
        for n, (m, new) in enumerate(words):
            if not new.islower() or len(new) < 3:
                continue
            nxt = words[n + 1][0].group(0) if n + 1 < len(words) else ""
            prev = words[n - 1][0].group(0) if n else ""
            if nxt.lower() in _REGION_LOWER and re.search(r"(?:ск|цк)\w{2,3}$", new):
                words[n][1] = new[:1].upper() + new[1:]
            elif SURNAME_END.search(new) and any(len(w) > 2 and self.given_name(w) for w in (prev, nxt)):
                words[n][1] = new[:1].upper() + new[1:]
        for m, new in words:
            if len(new) == len(m.group(0)):  # str.upper/lower can change the length outside Cyrillic
                out[m.start(): m.end()] = list(new)
        return "".join(out)


def _is_caps_word(w: str) -> bool:
    return len(w) >= 2 and w.isupper()


class Normalizer:
    """The text the model sees: same length as the input, so spans map back unchanged."""

    def __init__(self, morph=None, recase: bool = True):
        self.truecaser = TrueCaser(morph)
        # suffix guesses alone make CAPS / lower-case text worse for places (factRuEval upper-cased:
        # PLACE F1 0.73 -> 0.28), so without pymorphy3 the case is left as it is
        self.do_recase = recase and morph is not None

    def __call__(self, text: str) -> str:
        new = _fix_homoglyphs(text)
        new = new.replace("ё", "е").replace("Ё", "Е")
        if self.do_recase:
            new = self._recase(new)
        return new if len(new) == len(text) else text  # offsets must map 1:1

    def _recase(self, text: str) -> str:
        out = []
        for para in re.split(r"(\n[ \t\r\f\v]*\n)", text):
            words = _letters_words(para)
            if len(words) >= 4 and not any(ch.isupper() for ch in para) and any(ch.isalpha() for ch in para):
                out.append(self.truecaser.recase(para))  # lower-case typewriter / OCR paragraph
                continue
            lines = []
            for line in para.split("\n"):
                words = _letters_words(line)
                caps = [w for w in words if _is_caps_word(w)]
                long_caps = [w for w in caps if len(w) >= 5]
                if words and len(caps) >= 2 and len(caps) >= 0.7 * len(words) and long_caps:
                    lines.append(self.truecaser.recase(line))
                else:
                    lines.append(self._recase_caps_names(line))
            out.append("\n".join(lines))
        return "".join(out)

    def _recase_caps_names(self, line: str) -> str:
        """``обвиняемый ИВАНОВ Петр`` -> ``обвиняемый Иванов Петр`` (only name-like caps words)."""

        def repl(m: re.Match) -> str:
            w = m.group(0)
            if len(w) >= 3 and w.isupper() and self.truecaser.kind(w) == "name" and SURNAME_END.search(w):
                return w[0] + w[1:].lower()
            return w

        return _WORD.sub(repl, line)


# --------------------------------------------------------------------------- post-processing

TITLE_WORDS = (TITLES | ROLE_WORDS) - GIVEN_NAMES  # "Азамат" is a name before it is "citizen"
PLACE_ABBR = {"г", "гор", "с", "сел", "дер", "д", "пос", "ст", "аул", "х", "хут"}
REGION_NOUNS = {
    "область", "области", "областью", "район", "района", "районе", "району", "уезд", "уезда", "уезде",
    "край", "края", "крае", "губерния", "губернии", "округ", "округа", "округе", "волость", "волости",
    "республика", "республики", "республике", "ССР", "АССР",
}
# a LOC span with one of these heads in its first two words is an organisation ("Особым совещанием")
ORG_HEADS = (
    "совещани", "коллеги", "трибунал", "суд", "тройк", "комисси", "комитет", "управлени", "отдел",
    "прокуратур", "наркомат", "лагер", "колхоз", "совхоз", "артел", "завод", "фабрик", "институт",
    "университет", "техникум", "редакци", "трест", "комбинат", "министерств", "военкомат", "исполком",
)
# ... and a one-word LOC / PERSON span that is one of these compounds is too ("Наркомпросе", "Карлаг")
ORG_WORD = re.compile(
    r"^(?:нарком\w*|\w*исполком\w*|\w*(?:рай|об|гор)ком\w*|военкомат\w*|сельсовет\w*|прокуратур\w*"
    r"|\w+лаг(?:а|у|е|ом)?)$",
    re.I,
)
_REGION_LOWER = {w.lower() for w in REGION_NOUNS}
_INITIAL = re.compile(r"^[А-ЯЁ]$")
_CAP_WORD = re.compile(r"^[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?$")
_SENT_END = {".", "!", "?", "…", ":", ";", "—", "–", "-", "«", '"', "„", "("}
_EDGE_PUNCT = {",", ";", ":", "(", "—", "–", "-"}
WILDCARD = frozenset({"*"})
# a person's name is surname + name (+ patronymic), name + patronymic (+ surname) ...
JOINS = (("Surn", "Name"), ("Name", "Patr"), ("Patr", "Surn"), ("Name", "Surn"))


class _Tok:
    __slots__ = ("start", "end", "text")

    def __init__(self, start: int, end: int, text: str):
        self.start, self.end, self.text = start, end, text

    @property
    def stop(self) -> int:  # the name slovnet's bio_spans reads
        return self.end


def _tokens(text: str, memo: Optional[dict] = None) -> List[_Tok]:
    """razdel's tokens of `text`. With `memo` (piece -> its tokens), each piece (`_pieces`) is
    tokenised once: a document repeats most of its words, and razdel is a third of the NER's time."""
    from razdel import tokenize

    if memo is None:
        return [_Tok(t.start, t.stop, t.text) for t in tokenize(text)]
    out: List[_Tok] = []
    for start, stop in _pieces(text):
        piece = text[start:stop]
        found = memo.get(piece)
        if found is None:
            if len(memo) >= _TOKEN_MEMO_MAX:
                memo.clear()
            found = memo[piece] = [(t.start, t.stop, t.text) for t in tokenize(piece)]
        out.extend(_Tok(start + a, start + b, word) for a, b, word in found)
    return out


# razdel joins two atoms only where no space parts them, and its rules look one atom further
# than the two only across one of these (Rule2112: "cho-|to", "1|.5", "1/|2"): a run of words is
# tokenised alone when no word at its edges starts or ends with one
_RULE2112_MARKS = frozenset("‑–—−-_.,/\\")
_TOKEN_MEMO_MAX = 50_000  # pieces a SlovnetNER keeps (~0.4 KB each: ~20 MB at most)
_NON_SPACE = re.compile(r"\S+")


def _pieces(text: str) -> Iterator[Tuple[int, int]]:
    """(start, stop) of runs of words that razdel tokenises the same alone as in `text`: a run
    ends at a space unless the word before it ends, or the word after it starts, with a mark of
    `_RULE2112_MARKS` (then razdel's rule at that word's edge reads the atom beyond the space)."""
    start = stop = -1
    for m in _NON_SPACE.finditer(text):
        if start < 0:
            start = m.start()
        elif text[stop - 1] not in _RULE2112_MARKS and text[m.start()] not in _RULE2112_MARKS:
            yield start, stop
            start = m.start()
        stop = m.end()
    if start >= 0:
        yield start, stop


class PostProcessor:
    """Span repairs on the normalised text (see the module docstring); spans are (start, end, label).

    Person pieces are joined only when the words can be parts of one name in one grammatical case
    and gender (pymorphy3): ``Абдурахмановой Натальи`` (gent, femn) joins, ``пресс-секретарь
    Путина Дмитрий Песков`` (gent vs nomn) does not. Without pymorphy3 suffix tests stand in.
    """

    def __init__(self, morph=None):
        self.morph = morph
        self._forms_cache: dict = {}

    # ---- morphology
    def _forms(self, word: str, role: str):
        """(case, gender) pairs in which ``word`` can be a ``role`` (Surn / Name / Patr) part of a
        name; None when it cannot be one. Unknown words (Kazakh names ...) count with the forms
        pymorphy3 guesses for them. Without pymorphy3: WILDCARD or None from suffixes."""
        key = (word.lower(), role)
        if key in self._forms_cache:
            return self._forms_cache[key]
        low = key[0]
        result = None
        if self.morph is None:
            if role == "Patr":
                ok = bool(PATRONYMIC_END.search(low))
            elif role == "Surn":
                ok = bool(SURNAME_END.search(low))
            else:
                ok = False  # no dictionary, no way to tell a first name
            result = WILDCARD if ok else None
        else:
            parses = self.morph.parse(low)
            chosen = [p for p in parses if role in p.tag]
            if not chosen and not self.morph.word_is_known(low):
                chosen = [p for p in parses if p.tag.POS == "NOUN"]
            forms = set()
            for p in chosen:
                gender = p.tag.gender
                genders = (gender,) if gender in ("masc", "femn") else ("masc", "femn")
                for g in genders:
                    forms.add((p.tag.case, g))
            result = frozenset(forms) or None
        if len(self._forms_cache) > CACHE_SIZE:
            self._forms_cache.clear()
        self._forms_cache[key] = result
        return result

    def _joins(self, left: str, right: str, pairs=JOINS) -> bool:
        if self.morph is None:  # without a dictionary only "Имя Отчество" (by the patronymic's ending)
            return ("Name", "Patr") in pairs and bool(PATRONYMIC_END.search(right.lower()))
        for lrole, rrole in pairs:
            a, b = self._forms(left, lrole), self._forms(right, rrole)
            if a is not None and b is not None and (a is WILDCARD or b is WILDCARD or a & b):
                return True
        return False

    def _surname_like(self, word: str) -> bool:
        if not _CAP_WORD.match(word) or word.lower() in TITLE_WORDS:
            return False
        if self.morph is not None:
            low = word.lower()
            if any("Surn" in p.tag and p.score >= 0.05 for p in self.morph.parse(low)):
                return True
            if self.morph.word_is_known(low):
                return False  # a known word that is never a surname (Дело, Жена ...)
        return bool(SURNAME_END.search(word.lower()))

    def _common_noun(self, word: str) -> bool:
        """a dictionary noun that is never a name (Кладовщик, Город, Музыканты) -- pymorphy3 only."""
        low = word.lower()
        if low in TITLE_WORDS:
            return True
        if self.morph is None or not self.morph.word_is_known(low):
            return False
        parses = self.morph.parse(low)
        if any(t in p.tag for p in parses for t in NAME_TAGS + ("Abbr",)):
            return False
        return parses[0].tag.POS == "NOUN"

    def _not_a_name(self, word: str) -> bool:
        """a dictionary word with no name / surname / place reading at all -- pymorphy3 only"""
        low = word.lower()
        if low in TITLE_WORDS:
            return True
        if self.morph is None or not self.morph.word_is_known(low):
            return False
        return not any(t in p.tag for p in self.morph.parse(low) for t in NAME_TAGS + ("Abbr",))

    def _strict_patronymic(self, word: str) -> bool:
        low = word.lower()
        if PATRONYMIC_END.search(low):
            return True
        return self.morph is not None and any("Patr" in p.tag for p in self.morph.parse(low))

    def _person_name(self, word: str) -> bool:
        """first name / patronymic (then "с. Петрова" is not a village) -- pymorphy3 only"""
        if self.morph is None:
            return False
        top = self.morph.parse(word.lower())[0]
        return "Name" in top.tag or "Patr" in top.tag

    # ---- the repairs
    def __call__(self, text: str, spans: Sequence[CharSpan], toks: Optional[List[_Tok]] = None) -> List[CharSpan]:
        toks = _tokens(text) if toks is None else toks
        if not toks:
            return []
        n_toks = len(toks)
        starts = {t.start: i for i, t in enumerate(toks)}
        ends = {t.end: i for i, t in enumerate(toks)}
        items: List[list] = []  # [first token, last token + 1, label]; label None = dropped
        owner: List[Optional[list]] = [None] * n_toks  # the item covering each token

        def add(i: int, j: int, label: str) -> list:
            it = [i, j, label]
            items.append(it)
            for k in range(i, j):
                owner[k] = it
            return it

        def resize(it: list, i: int, j: int) -> None:
            for k in range(it[0], it[1]):
                if owner[k] is it:
                    owner[k] = None
            it[0], it[1] = i, j
            for k in range(i, j):
                owner[k] = it

        def drop(it: list) -> None:
            resize(it, it[0], it[0])
            it[2] = None

        def spaced(a: int) -> bool:
            """token a and a + 1 are separated by whitespace (one line break at most)"""
            if a < 0 or a + 1 >= n_toks:
                return False
            gap = text[toks[a].end: toks[a + 1].start]
            return gap != "" and gap.strip() == "" and gap.count("\n") <= 1

        def sentence_initial(k: int) -> bool:
            if k == 0 or "\n" in text[toks[k - 1].end: toks[k].start]:
                return True
            prev = toks[k - 1].text
            if prev == "." and k >= 2:  # "г. Пак" / "Н. Е. Иванова": the dot of an abbreviation
                word = toks[k - 2].text
                return not (len(word) == 1 or word.lower() in DOT_ABBR)
            return prev in _SENT_END

        def is_initial(k: int) -> bool:
            return (
                0 <= k < n_toks - 1
                and _INITIAL.match(toks[k].text) is not None
                and toks[k + 1].text == "."
                and toks[k].end == toks[k + 1].start
            )

        def initials_run(k: int) -> int:
            """tokens in an "И." / "И. О." / "И.О." run starting at k (0 if none)"""
            n = 0
            while n < 4 and is_initial(k + n):
                if n and text[toks[k + n - 1].end: toks[k + n].start].strip():
                    break
                n += 2
            return n

        def name_word(k: int) -> bool:
            return 0 <= k < n_toks and _CAP_WORD.match(toks[k].text) is not None

        def free(k: int) -> bool:
            return 0 <= k < n_toks and owner[k] is None

        for s, e, label in spans:
            if s in starts and e in ends:
                i, j = starts[s], ends[e] + 1
                while j > i + 1 and toks[j - 1].text in _EDGE_PUNCT:  # "Джордж Эрмин (" -> "Джордж Эрмин"
                    j -= 1
                while i < j - 1 and toks[i].text in _EDGE_PUNCT:
                    i += 1
                add(i, j, label)
        items.sort(key=lambda it: (it[0], it[1]))

        # 1. a title word or a sentence-initial common noun is no part of a PERSON / PLACE
        #    ("Гражданка Ковалева", "Кладовщик Тимофеенко", "Город Пикалево"); a lone sentence-initial
        #    dictionary word is no PERSON ("Допрошенная ...", "Канцлер считает")
        for it in items:
            i, j, label = it
            if (label in ("PERSON", "PLACE") and j - i >= 2 and name_word(i + 1)) or (
                label == "PERSON" and j - i >= 3 and toks[i + 1].text == "." and name_word(i + 2)
            ):
                word = toks[i].text
                if word.lower().rstrip(".") in TITLE_WORDS or (sentence_initial(i) and self._common_noun(word)):
                    resize(it, i + 2 if toks[i + 1].text == "." else i + 1, j)
            elif label == "PERSON" and j - i == 1 and sentence_initial(i) and self._not_a_name(toks[i].text):
                drop(it)

        # 1b. first name + patronymic nobody tagged ("Бригадир Лукьяненко Ольга Степановна")
        for k in range(n_toks - 1):
            if free(k) and free(k + 1) and name_word(k) and name_word(k + 1) and spaced(k) \
                    and self._strict_patronymic(toks[k + 1].text) \
                    and self._joins(toks[k].text, toks[k + 1].text, pairs=(("Name", "Patr"),)):
                add(k, k + 2, "PERSON")

        # 2. PERSON pieces: join, take in a surname in front, attach initials (left to right; a
        #    span grows until no rule applies)
        for it in sorted(items, key=lambda it: (it[0], it[1])):
            while it[2] == "PERSON" and self._grow(it, toks, owner, resize, drop, spaced, initials_run,
                                                    name_word, free):
                pass

        # 3. surname + two initials nobody tagged: "Петров И. С.", "И. С. Петров", "И.С. Петров"
        k = 0
        while k < n_toks:
            run = initials_run(k) if free(k) else 0
            if run >= 4 and all(free(x) for x in range(k, k + run)):
                after = k + run
                if free(after) and spaced(after - 1) and name_word(after) and not self._common_noun(toks[after].text):
                    add(k, after + 1, "PERSON")
                    k = after + 1
                    continue
                if free(k - 1) and spaced(k - 1) and name_word(k - 1) \
                        and not self._common_noun(toks[k - 1].text) and not sentence_initial(k - 1):
                    add(k - 1, after, "PERSON")
                k = after
                continue
            k += max(run, 1)

        # 4. PLACE after a settlement abbreviation: "г. Житомира", "с. Михайловка", "аул Караой"
        for k in range(n_toks - 1):
            word = toks[k].text.lower()
            if word not in PLACE_ABBR or (word != "аул" and toks[k].text != word):
                continue
            nxt = k + 1
            if word != "аул":
                if toks[nxt].text != "." or nxt + 1 >= n_toks:
                    continue
                nxt += 1
            prev = toks[k - 1].text if k > 0 else ""
            if any(ch.isdigit() for ch in prev) or prev.lower() in _NUMBER_WORDS or prev in {"/", "-"}:
                continue  # "1937 г." is a year
            if prev == "." and k > 1 and toks[k - 2].text.lower() in {"т", "и"}:
                continue  # "и т. д."
            if not name_word(nxt) or self._person_name(toks[nxt].text):
                continue
            if free(nxt):
                add(nxt, nxt + 1, "PLACE")
            elif owner[nxt][2] == "PERSON" and owner[nxt][0] == nxt:
                owner[nxt][2] = "PLACE"

        # 5. institutions tagged as places (or as people): "Особым совещанием", "Наркомпросе", "Карлаг"
        for it in items:
            i, j, label = it
            if label is None or label == "ORG":
                continue
            if j - i == 1 and ORG_WORD.match(toks[i].text):
                it[2] = "ORG"
            elif label == "PLACE" and j - i >= 2 and any(
                toks[k].text.lower().startswith(h) for k in range(i, min(j, i + 2)) for h in ORG_HEADS
            ):
                it[2] = "ORG"

        out = [(toks[i].start, toks[j - 1].end, label) for i, j, label in items if label and j > i]
        return _drop_overlaps(out)

    def _grow(self, it, toks, owner, resize, drop, spaced, initials_run, name_word, free) -> bool:
        """one step of step 2 for the PERSON ``it``; True when it changed"""
        i, j, _ = it
        n_toks = len(toks)
        # "Ковалева" + "Анна Ивановна", "Федора" + "Ивановича Шаляпина"
        nxt = owner[j] if j < n_toks else None
        if nxt is not None and nxt is not it and nxt[2] == "PERSON" and nxt[0] == j and spaced(j - 1) \
                and name_word(j - 1) and name_word(j) and (
                    self._joins(toks[j - 1].text, toks[j].text)
                    or (self.morph is None and j - i == 1 and nxt[1] - nxt[0] == 2  # Surname + Name Patronymic
                        and SURNAME_END.search(toks[i].text) is not None
                        and PATRONYMIC_END.search(toks[nxt[1] - 1].text.lower()) is not None)):
            end = nxt[1]
            drop(nxt)
            resize(it, i, end)
            return True
        # "Мессерер" + "Р. М."
        run = initials_run(j) if free(j) else 0
        if run and spaced(j - 1) and name_word(j - 1):
            resize(it, i, j + run)
            return True
        if all(_INITIAL.match(toks[k].text) or toks[k].text == "." for k in range(i, j)):
            # initials alone: "Тухачевской" + "Н. Е.", "Н. Е." + "Тухачевская"
            if free(i - 1) and spaced(i - 1) and name_word(i - 1) and not self._common_noun(toks[i - 1].text):
                resize(it, i - 1, j)
                return True
            if free(j) and spaced(j - 1) and name_word(j):
                resize(it, i, j + 1)
                return True
        # surname first, untagged or a one-word PLACE / ORG: "Абдурахмановой" + "Натальи Петровны"
        prev = owner[i - 1] if i > 0 else None
        lone = prev is not None and prev is not it and prev[1] - prev[0] == 1 and prev[2] != "PERSON"
        if i > 0 and (prev is None or lone) and spaced(i - 1) and name_word(i) \
                and self._surname_like(toks[i - 1].text) \
                and (self._joins(toks[i - 1].text, toks[i].text, pairs=(("Surn", "Name"),))
                     or (self.morph is None and j - i == 2 and name_word(i + 1)
                         and PATRONYMIC_END.search(toks[i + 1].text.lower()) is not None)):
            if lone:
                drop(prev)
            resize(it, i - 1, j)
            return True
        return False


_NUMBER_WORDS = {"году", "года", "год", "годов", "годах"}


def _drop_overlaps(spans: Iterable[CharSpan]) -> List[CharSpan]:
    chosen: List[CharSpan] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


# --------------------------------------------------------------------------- the component


class SlovnetNER:
    """Runs Slovnet on ``doc.text`` (paragraph by paragraph) and sets ``doc.ents``."""

    def __init__(
        self,
        nlp: Language,
        name: str = "slovnet_ner",
        ner_path: Optional[str] = None,
        navec_path: Optional[str] = None,
        batch_size: int = 8,
        normalize: bool = True,
        postprocess: bool = True,
        use_morph: bool = True,
    ):
        self.name = name
        self.ner = load_slovnet(ner_path, navec_path, batch_size)
        self.morph = load_morph() if use_morph and (normalize or postprocess) else None
        self.normalizer = Normalizer(self.morph) if normalize else None
        self.postprocessor = PostProcessor(self.morph) if postprocess else None
        self._token_memo: dict = {}  # `_tokens`: razdel's tokens of each piece of text met

    # text in, char spans out: usable without spaCy (the bench uses it too)
    def predict_texts(self, texts: Sequence[str]) -> List[List[CharSpan]]:
        """Entity spans of each text: one razdel tokenisation per text serves Slovnet's chunks
        and the repairs (slovnet's own `NER.map` would tokenise each chunk again and then
        search the text for every word to find its offsets)."""
        from slovnet.bio import bio_spans

        views = [self.normalizer(text) if self.normalizer else text for text in texts]
        tokens = [_tokens(view, self._token_memo) for view in views]
        jobs: List[Tuple[int, List[_Tok]]] = []  # (text index, the tokens of one chunk)
        for n, (view, toks) in enumerate(zip(views, tokens)):
            starts = [t.start for t in toks]
            for s, e in _chunks(view):
                chunk = toks[bisect_left(starts, s) : bisect_left(starts, e)]
                if chunk:
                    jobs.append((n, chunk))
        raw: List[List[CharSpan]] = [[] for _ in texts]
        # Slovnet pads each batch to its longest text: batched by length, a run of pages spends a
        # third less time in the model. A text's tags do not depend on its batch-mates (the padding
        # is zeros and masked), up to float rounding, so the order of the texts is kept in the result.
        words = [[t.text for t in chunk] for _, chunk in jobs]
        by_length = sorted(range(len(words)), key=lambda k: len(words[k]))
        tags: List[List[str]] = [[] for _ in words]
        with one_blas_thread():
            for k, chunk_tags in zip(by_length, self._tag([words[k] for k in by_length])):  # inside: _tag is lazy
                tags[k] = chunk_tags
        for (n, chunk), chunk_tags in zip(jobs, tags):
            for span in bio_spans(chunk, chunk_tags):
                label = LABELS.get(span.type)
                if label:
                    raw[n].append((span.start, span.stop, label))
        if self.postprocessor is None:
            return raw
        return [self.postprocessor(view, spans, toks) for view, spans, toks in zip(views, raw, tokens)]

    def _tag(self, word_lists: List[List[str]]) -> Iterator[List[str]]:
        """Slovnet's BIO tags for each list of words (its NERInfer without the tokenising); the
        encoder cuts the lists into batches of the `batch_size` the model was loaded with."""
        infer = self.ner.infer
        transitions = infer.model.head.crf.transitions.array
        for batch in infer.encoder(word_lists):
            emissions = infer.model(batch.word_id, batch.shape_id, batch.pad_mask)
            yield from infer.decoder(_viterbi(emissions, ~batch.pad_mask, transitions))

    def _set_ents(self, doc: Doc, spans: Sequence[CharSpan]) -> Doc:
        ents = []
        for start, end, label in spans:
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None and len(span):
                ents.append(span)
        doc.ents = filter_spans(ents)
        return doc

    def __call__(self, doc: Doc) -> Doc:
        return self._set_ents(doc, self.predict_texts([doc.text])[0])

    def pipe(self, docs: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            yield from self._process(list(batch))

    def _process(self, docs: List[Doc]) -> Iterator[Doc]:
        for doc, spans in zip(docs, self.predict_texts([d.text for d in docs])):
            yield self._set_ents(doc, spans)


def _viterbi(emissions, mask, transitions) -> list:
    """Slovnet's CRF.decode, the same tag ids for the same input: best path per sequence.

    Slovnet gathers each step's best scores with fancy indexing (np.indices per
    step); `max` gives the very same numbers without it, in a fifth of the time.
    """
    batch_size, seq_len, _ = emissions.shape
    emissions, mask = emissions.swapaxes(1, 0), mask.swapaxes(1, 0)
    history = []
    score = emissions[0]
    for index in range(1, seq_len):
        step = score[:, :, None] + transitions + emissions[index][:, None, :]  # batch x from x to
        history.append(step.argmax(-2))
        score = np.where(mask[index][:, None], step.max(-2), score)
    sizes = mask.sum(0) - 1
    paths = []
    for row in range(batch_size):
        best = score[row].argmax()
        tags = [best]
        for indexes in reversed(history[: sizes[row]]):
            best = indexes[row][best]
            tags.append(best)
        tags.reverse()
        paths.append(np.array(tags))
    return paths


@Language.factory(
    "slovnet_ner",
    default_config={
        "ner_path": None,
        "navec_path": None,
        "batch_size": 8,
        "normalize": True,
        "postprocess": True,
        "use_morph": True,
    },
)
def make_slovnet_ner(
    nlp: Language,
    name: str,
    ner_path: Optional[str],
    navec_path: Optional[str],
    batch_size: int,
    normalize: bool,
    postprocess: bool,
    use_morph: bool,
) -> SlovnetNER:
    return SlovnetNER(nlp, name, ner_path, navec_path, batch_size, normalize, postprocess, use_morph)


def build_russian_nlp(normalize: bool = True, postprocess: bool = True, use_morph: bool = True) -> Language:
    """``spacy.blank("ru")`` + ``slovnet_ner``; the model files are loaded once, by this pipeline."""
    nlp = spacy.blank("ru")
    nlp.add_pipe(
        "slovnet_ner",
        config={"normalize": normalize, "postprocess": postprocess, "use_morph": use_morph},
    )
    return nlp
