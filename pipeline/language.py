"""Per-paragraph language tags for Russian / Kazakh archive pages, and the other languages
of these archives (German, Ukrainian, Polish, Belarusian papers of deported families).

The core is langdetect's n-gram model, but with private DetectorFactories per tagger
that hold only candidate languages: with all 55 stock profiles short Russian
lines come back as mk or bg, and langdetect has no Kazakh profile at all (ours is in
models/langdetect/kk, see scripts/build_kk_profile.py). A few cheap letter cues cover
what the model cannot see: OCR look-alikes, all-caps headings, text in a language that
is not a candidate (-> "und" rather than a forced ru/kk), Ukrainian and Belarusian
letters. Belarusian has no langdetect profile: it is told by its letters alone (ў; і
with ы/э and no и). Ukrainian is offered to langdetect only when the text shows a
Ukrainian cue, so a Russian or Kazakh text without one is judged exactly as by a
ru+kk tagger (same factory, same draws).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram
from langdetect.utils.unicode_block import unicode_block

from .model import LanguageSpan

CORE_CANDIDATES = ("ru", "kk")  # the archives' own languages (the default before issue 14)
# Papers of deported Volga Germans, Ukrainians, Poles, and Belarusian texts: tagged by default,
# at no cost to ru/kk (bench/langid.py); their paragraphs get dates (pipeline.dates_other).
DEFAULT_CANDIDATES = CORE_CANDIDATES + ("de", "uk", "pl", "be")
EXTRA_CANDIDATES = ("en",)  # a candidate on request only
LETTER_LANGUAGES = {"be": "cyr"}  # no langdetect profile: told by letters alone (script)
DEFAULT_PROFILE_DIR = Path(__file__).resolve().parent.parent / "models" / "langdetect"
UND = "und"

MIN_LETTERS = 4  # fewer letters than this: no guess at all ("№ 17", a date)
SHORT_LETTERS = 16  # a paragraph shorter than this only keeps its own guess when it is sure
SHORT_CONF = 0.95
LINE_LETTERS = 40  # letters a second language needs within one block before the block is split into lines

# Below this share of known in-word 3-grams a "ru"/"kk" text is not really that language. The
# stock ru profile keeps only ~1,900 3-grams, ours for kk ~4,300, hence different floors
# (held-out sentences of 5+ words: ru >= 0.33, kk >= 0.6; Cyrillic OCR of German: 0.08-0.35).
MIN_COVERAGE = {"ru": 0.2, "kk": 0.45}

KK_ONLY = set("әғқңөұүһӘҒҚҢӨҰҮҺ")  # not in Russian or Ukrainian (і is shared by kk and uk)
UK_LETTERS = set("іїєґ")  # lower case; і is Kazakh and Belarusian too, hence the other cues below
UK_ONLY = set("їєґ")  # in none of ru, kk, be
BE_ONLY = set("ў")  # in none of ru, kk, uk
RU_KK_ONLY = set("ыэъёЫЭЪЁ")  # Russian/Kazakh letters Ukrainian lacks
BE_LACKS = set("ищъ")  # Russian/Ukrainian/Kazakh letters Belarusian lacks (it writes і, шч, ')
_BE_MARKS = re.compile(r"дз|ць|ь|э")
_APOSTROPHE_WORD = re.compile(r"[^\W\d_][’'ʼ][^\W\d_]")  # Ukrainian/Belarusian "сім'я", "аб'ява"

# Latin (and IPA) look-alikes OCR puts into Cyrillic words.
_HOMO = str.maketrans(
    "AaBCcEeHKkMOoPpTXxyiIəƏɵƟh",
    "АаВСсЕеНКкМОоРрТХхуіІәӘөӨһ",
)
_HOMO_SET = set("AaBCcEeHKkMOoPpTXxyiIəƏɵƟh")
_HOMO_WORD = str.maketrans("AaBCcEeHKkMOoPpTXxy", "АаВСсЕеНКкМОоРрТХху")
_ROMAN = re.compile(r"[IVXLCDM]+|[ivxlcdm]+")
UK_WORDS = {"що", "з", "із", "зі", "від", "він", "вона", "вони", "це", "й"}  # not Russian or Kazakh words
_WORD = re.compile(r"[^\W\d_]+")
_GLUED = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
_PUNCT = ".,;:!?()[]«»\"'—–-"
_PARA_SEP = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def _is_cyr(ch: str) -> bool:
    return "\u0400" <= ch <= "\u052f"


def _is_latin(ch: str) -> bool:
    return ch.isalpha() and ch.isascii() or "\u00c0" <= ch <= "\u024f"


def _script_of(ch: str) -> str:
    return "cyr" if _is_cyr(ch) else "latin" if _is_latin(ch) else "other"


def _main_script(weighted: Iterable[tuple[str, int]]) -> str:
    """"latin", "cyr" or "other": the script of most of the (letter, weight) pairs."""
    counts = {"latin": 0, "cyr": 0, "other": 0}
    for ch, w in weighted:
        counts[_script_of(ch)] += w
    return max(counts, key=counts.get)


def _letters_script(letters: Sequence[str]) -> str:
    """`_main_script` of letters of weight 1, counted with map() (it runs on every paragraph and line)."""
    seen = Counter(map(_char_script, letters))
    counts = {"latin": seen["latin"], "cyr": seen["cyr"], "other": seen["other"]}
    return max(counts, key=counts.get)


_char_script = lru_cache(maxsize=None)(_script_of)  # a pure function of one character


def _garbled(text: str) -> bool:
    """A third of the words glue digits to letters ("5сһместег Алпа11а"): OCR garbage, no vote."""
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return bool(words) and sum(bool(_GLUED.search(w)) for w in words) * 3 >= len(words)


def letter_count(text: str) -> int:
    return sum(map(str.isalpha, text))


def normalize_for_detection(text: str) -> str:
    """Undo OCR homoglyphs in Cyrillic words and lower-case all-caps words.

    langdetect skips every all-caps word (NGram.capitalword) so a heading such as
    "ПРОТОКОЛ ДОПРОСА" would give it nothing, and it drops Latin letters from mostly
    Cyrillic text, which breaks a word like "Kaзақ" (Latin K) into useless pieces.
    """
    text = unicodedata.normalize("NFC", text)
    letters = [ch for ch in text if ch.isalpha()]
    cyr_text = sum(map(_is_cyr, letters)) > len(letters) / 2

    def fix(m: re.Match) -> str:
        w = m.group()
        if any(map(_is_cyr, w)):
            w = w.translate(_HOMO)
        elif cyr_text and all(ch in _HOMO_SET for ch in w) and not _ROMAN.fullmatch(w):
            w = w.translate(_HOMO_WORD)  # "CCCP"; but not "XXII" or "I" -> "І"
        return w.lower() if len(w) > 1 and w.isupper() else w

    return _WORD.sub(fix, text)


@lru_cache(maxsize=None)  # a pure function of one character: bounded by the characters seen
def _ld_char(ch: str) -> str:
    return NGram.normalize(ch)


@lru_cache(maxsize=None)
def _ld_non_latin(ch: str) -> bool:
    return ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional"


class _LDTable(dict):
    """str.translate table of `_ld_char`, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _ld_char(chr(code))
        return value


_LD_TABLE = _LDTable()
_WORD_GRAMS_MAX = 20_000  # words whose n-grams a tagger keeps per factory (~1 KB each: ~20 MB at most)


def _word_ngrams(chars: str, known: dict) -> list:
    """The known n-grams langdetect's NGram gives for `chars` (one word, maybe with the space after
    it; characters already normalised), starting from its fresh buffer: the loop of
    `langdetect.utils.ngram.NGram.add_char`/`get`, operation for operation."""
    result = []
    grams, capital = " ", False  # NGram's buffer and its capitalword flag
    for ch in chars:
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
            if ch == " ":
                continue
        elif len(grams) >= NGram.N_GRAM:
            grams = grams[1:]
        grams += ch
        if ch.isupper():
            if last.isupper():
                capital = True
        else:
            capital = False
        if capital:
            continue
        for n in range(1, NGram.N_GRAM + 1):
            if len(grams) < n:
                break
            w = grams[-n:]
            if w != " " and w in known:
                result.append(w)
    return result


class _QuickDetector(Detector):
    """langdetect's Detector with the same results, draw for draw, at about twice the speed.

    Its n-gram extraction normalises every character through a 300-entry table
    lookup and its sampling loop makes two method calls per draw; on a page of
    short lines that was most of the language tagging time. This subclass
    memoises the per-character work (and each word's n-grams) and inlines the loop, keeping every
    arithmetic operation and every call on the random generator in the same
    order (tests/test_language.py compares it with the stock Detector).
    """

    def __init__(self, factory: DetectorFactory, word_grams: Optional[dict] = None):
        super().__init__(factory)
        # n-grams of a word, by (word, followed by a space): shared by the detectors of one
        # factory (`LanguageTagger`), since a page repeats most of its words
        self.word_grams = {} if word_grams is None else word_grams

    def cleaning_text(self) -> None:
        latin = non_latin = 0
        for ch in self.text:
            if "A" <= ch <= "z":
                latin += 1
            elif _ld_non_latin(ch):
                non_latin += 1
        if latin * 2 < non_latin:
            self.text = "".join(ch for ch in self.text if ch < "A" or "z" < ch)

    def _extract_ngrams(self) -> list:
        """langdetect's n-grams, word by word: its buffer starts afresh after every space, so a
        word's n-grams (with the one ending in the space after it) depend on that word alone."""
        known, memo = self.word_lang_prob_map, self.word_grams
        result: list = []
        words = self.text.translate(_LD_TABLE).split(" ")
        last = len(words) - 1
        for k, word in enumerate(words):
            if word:
                key = (word, k < last)
                grams = memo.get(key)
                if grams is None:
                    if len(memo) >= _WORD_GRAMS_MAX:
                        memo.clear()
                    grams = memo[key] = _word_ngrams(word + " " if k < last else word, known)
                result.extend(grams)
        return result

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        known = self.word_lang_prob_map
        rows = [known[w] for w in ngrams]
        size = len(self.langlist)
        langprob = [0.0] * size
        self.random.seed(self.seed)
        choice, gauss = self.random.choice, self.random.gauss
        # random.choice(rows) is rows[_randbelow(len(rows))]: the same draws, one call fewer
        randbelow = getattr(self.random, "_randbelow", None)
        for _ in range(self.n_trial):
            prob = self._init_probability()
            weight = (self.alpha + gauss(0.0, 1.0) * self.ALPHA_WIDTH) / self.BASE_FREQ
            if size == 2 and randbelow is not None:  # ru/kk, the default: two floats, no lists
                prob = self._two_languages(prob, weight, rows, randbelow)
            else:
                i = 0
                while True:
                    row = choice(rows)
                    prob = [p * (weight + q) for p, q in zip(prob, row)]
                    if i % 5 == 0:
                        if self._normalize_prob(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                            break
                    i += 1
            for j in range(size):
                langprob[j] += prob[j] / self.n_trial
        self.langprob = langprob

    def _two_languages(self, prob: list, weight: float, rows: list, randbelow) -> list:
        """One trial of the loop above for two languages, with the same operations in the same
        order (`_normalize_prob`: divide each by their sum, then compare the larger)."""
        p0, p1 = prob
        count, conv, limit = len(rows), self.CONV_THRESHOLD, self.ITERATION_LIMIT
        i = 0
        while True:
            r0, r1 = rows[randbelow(count)]
            p0 *= weight + r0
            p1 *= weight + r1
            if i % 5 == 0:
                total = p0 + p1
                p0, p1 = p0 / total, p1 / total
                if (p1 if p0 < p1 else p0) > conv or i >= limit:
                    break
            i += 1
        return [p0, p1]


def _load_profile_json(code: str, profile_dir: Path) -> str:
    """The project's profile when it has one, else langdetect's own."""
    for folder in (profile_dir, Path(PROFILES_DIRECTORY)):
        path = folder / code
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ValueError(f"no langdetect profile for {code!r} in {profile_dir} or {PROFILES_DIRECTORY}")


@dataclass
class _Cues:
    """Letter and word counts that tell the Cyrillic languages apart where langdetect cannot:
    it has no Belarusian profile, and short Russian and Ukrainian texts share most n-grams."""

    words: int = 0  # words with letters
    kk: int = 0  # Kazakh-only letters
    kk_words: int = 0
    rukk: int = 0  # ы э ъ ё: Russian/Kazakh/Belarusian, never Ukrainian
    uk_words: int = 0  # words with і ї є ґ, or Ukrainian function words
    uk_only: int = 0  # ї є ґ
    i_words: int = 0  # words with і
    be_only: int = 0  # ў
    be_lacks: int = 0  # и щ ъ
    apostrophe: int = 0  # "сім'я", "аб'ява": a letter, an apostrophe, a letter
    be_marks: int = 0  # дз, ць, ь, э: Belarusian spelling that Kazakh words (і and ы too) lack

    @classmethod
    def of(cls, norm: str, letters: list[str]) -> "_Cues":
        words = [w.strip(_PUNCT) for w in norm.lower().split()]
        words = [w for w in words if any(ch.isalpha() for ch in w)]
        low = "".join(letters).lower()  # the sets below hold Cyrillic letters: they lower-case one to one
        return cls(
            words=len(words),
            kk=sum(map(KK_ONLY.__contains__, letters)),
            kk_words=sum(not KK_ONLY.isdisjoint(w) for w in words),
            rukk=sum(map(RU_KK_ONLY.__contains__, letters)),
            uk_words=sum(w in UK_WORDS or not UK_LETTERS.isdisjoint(w) for w in words),
            uk_only=sum(map(UK_ONLY.__contains__, low)),
            i_words=sum("і" in w for w in words),
            be_only=sum(map(BE_ONLY.__contains__, low)),
            be_lacks=sum(map(BE_LACKS.__contains__, low)),
            apostrophe=len(_APOSTROPHE_WORD.findall(norm)),
            be_marks=len(_BE_MARKS.findall(norm.lower())),
        )

    def belarusian(self) -> bool:
        """ў (in no other candidate), or і beside ы/э/ё with no и/щ/ъ (Ukrainian has no ы/э/ё,
        Russian no і, Belarusian no и) and a дз/ць/ь/э (OCR reads ў as у; a Kazakh text that lost its
        own letters has і and ы too, but not those); never with Kazakh- or Ukrainian-only letters."""
        if self.kk or self.uk_only:
            return False
        if self.be_only:
            return True
        return (not self.be_lacks and self.rukk > 0 and self.be_marks > 0 and self.i_words >= 2
                and self.i_words * 6 >= self.words)

    def ukrainian(self, n: int) -> bool:
        """Surely Ukrainian: words with і ї є ґ or its function words, no Kazakh letters, hardly
        any ы э ъ ё; a word share, not a letter count, so that OCR's stray "і" does not make
        Russian "uk"."""
        return (self.kk <= n // 100 and self.rukk <= n // 50 and self.uk_words >= 2
                and self.uk_words * 6 >= self.words)

    def maybe_ukrainian(self, n: int) -> bool:
        """Some Ukrainian cue and hardly any ы э ъ ё (Ukrainian has none): only then is uk
        offered to langdetect beside ru/kk."""
        return (not self.kk and self.rukk <= n // 50
                and (self.uk_words > 0 or self.uk_only > 0 or self.apostrophe > 0))


class LanguageTagger:
    """Detects among `candidates` only; anything else is "und". Deterministic for a given seed."""

    def __init__(self, candidates: Sequence[str] = DEFAULT_CANDIDATES, profile_dir: Path | None = None, seed: int = 0):
        self.candidates = tuple(dict.fromkeys(candidates))
        if len(self.candidates) < 2:
            raise ValueError("langdetect needs at least two candidate languages")
        profile_dir = Path(profile_dir) if profile_dir is not None else DEFAULT_PROFILE_DIR
        self._profiled = tuple(c for c in self.candidates if c not in LETTER_LANGUAGES)
        if not self._profiled:
            raise ValueError("at least one candidate language needs a langdetect profile")
        self._profiles = {c: _load_profile_json(c, profile_dir) for c in self._profiled}
        self._seed = seed
        self._factories: dict[tuple[str, ...], DetectorFactory] = {}
        self._word_grams: dict[tuple[str, ...], dict] = {}  # per factory: `_QuickDetector.word_grams`
        self._factory = self._factory_for(self._profiled)  # every profile: n-gram coverage
        # Script of each candidate, from its profile's 1-grams: Latin-script text cannot be ru/kk.
        self._script = {c: LETTER_LANGUAGES[c] for c in self.candidates if c in LETTER_LANGUAGES}
        for code, js in self._profiles.items():
            freq = json.loads(js)["freq"]
            self._script[code] = _main_script((g, n) for g, n in freq.items() if len(g) == 1 and g.isalpha())

    def _factory_for(self, codes: tuple[str, ...]) -> DetectorFactory:
        """A private factory (never langdetect's global one) holding only `codes`: langdetect's
        draws depend on the languages loaded, so ru/kk text judged between ru and kk alone gets
        the very result a ru+kk tagger gives, whatever else is a candidate."""
        if codes not in self._factories:
            factory = DetectorFactory()  # langdetect refuses a single profile: callers pass two or more
            factory.load_json_profile([self._profiles[c] for c in codes])
            factory.set_seed(self._seed)
            self._factories[codes] = factory
        return self._factories[codes]

    def _probabilities(self, text: str, codes: tuple[str, ...]) -> list[tuple[str, float]]:
        detector = _QuickDetector(self._factory_for(codes), self._word_grams.setdefault(codes, {}))
        detector.append(text)
        try:
            return [(p.lang, p.prob) for p in detector.get_probabilities()]
        except LangDetectException:  # no known n-gram at all
            return []

    def detect(self, text: str) -> tuple[str, float]:
        """(language code or "und", confidence 0..1) for one piece of text.

        "und" with confidence 0 when there is too little text to judge; "und" with a
        high confidence when the text is clearly in a language that is not a candidate.
        """
        norm = normalize_for_detection(text)
        letters = [ch for ch in norm if ch.isalpha()]
        n = len(letters)
        if n < MIN_LETTERS:
            return UND, 0.0
        script = _letters_script(letters)
        allowed = [c for c in self.candidates if self._script[c] == script]
        if not allowed:  # e.g. German text, no Latin-script candidate
            return UND, 0.9
        if script == "cyr":
            cues = _Cues.of(norm, letters)
            if "kk" in allowed and cues.kk_words >= 2 and cues.kk_words * 2 >= cues.words:
                return self._checked(norm, n, "kk", 0.99)  # half the words with Kazakh-only letters
            if cues.belarusian():
                return ("be", 0.99) if "be" in allowed else (UND, 0.9)
            if cues.ukrainian(n):
                if "uk" not in allowed:
                    return UND, 0.9
                allowed = ["uk"]
            elif not cues.maybe_ukrainian(n):
                allowed = [c for c in allowed if c != "uk"] or allowed
        codes = tuple(c for c in allowed if c not in LETTER_LANGUAGES)
        if len(codes) == 1:  # langdetect needs two: the one still has to clear its threshold among all
            probs = [(c, p) for c, p in self._probabilities(norm, self._profiled) if c in codes]
        else:
            probs = self._probabilities(norm, codes) if codes else []
        if not probs:
            return UND, 0.5
        code, p = max(probs, key=lambda cp: cp[1])
        return self._checked(norm, n, code, round(min(1.0, p / sum(p for _, p in probs)), 4))

    def _checked(self, norm: str, n: int, code: str, conf: float) -> tuple[str, float]:
        """"und" for text too unlike `code`, e.g. a German letter read by a Cyrillic OCR model."""
        if n >= 20 and self._coverage(norm, code) < MIN_COVERAGE.get(code, 0.0):
            return UND, 0.6
        return code, conf

    def _coverage(self, norm: str, code: str) -> float:
        """Share of the text's in-word 3-grams that the language's profile knows."""
        i = self._factory.langlist.index(code)
        grams = [w[k:k + 3] for w in _WORD.findall(norm) for k in range(len(w) - 2)]
        known = self._factory.word_lang_prob_map
        return sum(g in known and known[g][i] > 0 for g in grams) / len(grams) if grams else 1.0

    def _split_lines(self, text: str, start: int, end: int, detect=None) -> list[tuple[int, int]]:
        """The lines of a block when some lines are surely in another language than the rest.

        OCR does not always leave a blank line around a stamp, and a form is one line per
        row; a one-line minority needs LINE_LETTERS letters so a Kazakh name alone in a
        Russian paragraph does not split it.
        """
        lines, pos = [], start
        for line in text[start:end].split("\n"):
            if line.strip():
                lines.append((pos, pos + len(line)))
            pos += len(line) + 1
        if len(lines) < 2 or self._uniform(text, lines):
            return [(start, end)]
        detect = detect or self.detect
        letters: dict[str, int] = {}
        for a, b in lines:
            code, conf = detect(text[a:b])
            if conf >= SHORT_CONF and code != UND:
                letters[code] = letters.get(code, 0) + letter_count(text[a:b])
        if len(letters) < 2 or sorted(letters.values())[-2] < LINE_LETTERS:
            return [(start, end)]
        return [(a, lines[k + 1][0] if k + 1 < len(lines) else end) for k, (a, b) in enumerate(lines)]

    def _uniform(self, text: str, lines: list[tuple[int, int]]) -> bool:
        """True when no line can be in another candidate language than the others, judged by
        letters alone: all Cyrillic, no line with a Ukrainian or Belarusian cue (when those are
        candidates), and Kazakh-only letters in none of the lines (Russian) or in every line of
        some length (Kazakh). Saves a langdetect run per line on most pages."""
        if set(self.candidates) - {"ru", "kk", "de", "pl", "uk", "be"}:
            return False
        other_cyr = {"uk", "be"} & set(self.candidates)
        with_kk, without_kk = 0, 0
        for a, b in lines:
            norm = normalize_for_detection(text[a:b])
            letters = [ch for ch in norm if ch.isalpha()]
            if not letters:
                continue
            if _letters_script(letters) != "cyr":
                return False
            if any(ch in KK_ONLY for ch in letters):
                with_kk += 1
                continue
            if other_cyr:
                cues = _Cues.of(norm, letters)
                if cues.maybe_ukrainian(len(letters)) or cues.belarusian():
                    return False
            if len(letters) >= 20:
                without_kk += 1
        return not (with_kk and without_kk)

    def tag(self, text: str) -> list[LanguageSpan]:
        """Spans over the whole text, one language per paragraph (blank-line separated).

        A Russian stamp on a Kazakh page gets its own `ru` span; paragraphs too short to
        judge ("№ 17", a date) take the language of their neighbours. Empty text -> [];
        text with no paragraph that can be judged -> one "und" span over all of it.
        """
        if not text:
            return []
        paras, pos = [], 0  # (start, end) of each paragraph's non-blank content
        for m in _PARA_SEP.finditer(text):
            if text[pos:m.start()].strip():
                paras.append((pos, m.start()))
            pos = m.end()
        if text[pos:].strip():
            paras.append((pos, len(text)))
        if not paras:
            return [LanguageSpan(0, len(text), UND, 0.0)]

        memo: dict[str, tuple[str, float]] = {}  # a line judged while splitting is not judged again

        def detect(piece: str) -> tuple[str, float]:
            key = piece.strip()  # a split line comes back with its line break
            if key not in memo:
                memo[key] = self.detect(piece)
            return memo[key]

        paras = [u for s, e in paras for u in self._split_lines(text, s, e, detect)]
        labels: list[Optional[tuple[str, float]]] = []
        for s, e in paras:
            code, conf = detect(text[s:e])
            n = letter_count(text[s:e])
            # A short Kazakh paragraph nearly always shows a Kazakh-only letter; without one,
            # a short "kk" is more often OCR debris (a scribbled signature) than Kazakh.
            short = n < SHORT_LETTERS and (conf < SHORT_CONF or (code == "kk" and not KK_ONLY & set(text[s:e])))
            unsure = conf == 0.0 or short or _garbled(text[s:e])
            labels.append(None if unsure else (code, conf))
        decided = [i for i, lab in enumerate(labels) if lab is not None]
        if not decided:
            code, conf = self.detect(text)
            labels = [(code, conf)] * len(paras)
        else:
            for i, lab in enumerate(labels):
                if lab is None:  # nearest decided neighbour, the previous one on a tie
                    j = min(decided, key=lambda d: (abs(d - i), d > i))
                    labels[i] = (labels[j][0], round(labels[j][1] * 0.8, 4))

        spans: list[LanguageSpan] = []
        weights: list[int] = []
        for k, ((s, _), (code, conf)) in enumerate(zip(paras, labels)):
            start = 0 if k == 0 else s
            end = paras[k + 1][0] if k + 1 < len(paras) else len(text)
            w = max(1, letter_count(text[start:end]))
            if spans and spans[-1].lang == code:
                last = spans[-1]
                last.confidence = round((last.confidence * weights[-1] + conf * w) / (weights[-1] + w), 4)
                last.end = end
                weights[-1] += w
            else:
                spans.append(LanguageSpan(start, end, code, conf))
                weights.append(w)
        return spans


def document_languages(pages_spans: Iterable[tuple[str, list[LanguageSpan]]]) -> list[str]:
    """Languages of a document, by share of letters, largest first.

    "und" is omitted when any real language was found, and is the only entry when
    spans exist but none has a language; no spans at all -> [].
    """
    letters: dict[str, int] = {}
    for text, spans in pages_spans:
        for sp in spans:
            letters[sp.lang] = letters.get(sp.lang, 0) + letter_count(text[sp.start:sp.end])
    real = sorted((c for c in letters if c != UND), key=lambda c: -letters[c])  # stable: first seen wins ties
    if real:
        return real
    return [UND] if letters else []
