"""Entity surfaces -> the output contract's canonical `normalized` form.

PERSON: nominative, surname first, then given name and patronymic (or the initials as
written). PLACE: nominative without the settlement type word ("г. Москвы" -> "Москва"),
regions keep theirs ("Акмолинской обл." -> "Акмолинская область"). ORG: nominative head
phrase, abbreviations as written. Spelling is kept (no ru<->kk transliteration).

Russian goes through pymorphy3, but a name is decided *jointly*: every word proposes
(case, gender) readings and the pair most words agree on wins, so "Ахметова Бибигуль"
stays feminine (the given name is) and "Рыскулова Турара" becomes masculine genitive.
Kazakh given names, OOV surnames and patronymics get suffix rules instead of pymorphy's
guesses. Kazakh is agglutinative: one case suffix on the last word of the phrase, removed
by a table checked against the stem's last sound and vowel harmony, with a small lexicon
of names/toponyms that merely end like a suffix ("Қарағанды", "Қызылорда").
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, Optional

import numpy as np
import pymorphy3

from pipeline.model import Entity
from pipeline.name_context import CASE_ALIAS, Cue, read_cue
from pipeline.names import (  # noqa: F401  (KK_*, TITLES, is_patronymic: re-exported for entities)
    BACK_VOWELS, FRONT_VOWELS, GIVEN_NAMES, INITIAL, KK_FEMALE, KK_MALE, PATR_FEMN, PATR_MASC, PATR_TURKIC, SURN_FIXED,
    PATRONYMIC_END, SPACED_DASH, SURN_OV, SURN_SKY, SURNAME_END, TITLES, VOWELS, gender_of_parts, is_patronymic,
)

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
GENDERS = ("masc", "femn")
# Tie-break between equally supported readings; e.g. a lone "Кузнецову" is masculine
# dative rather than feminine accusative (both exist; archival texts use the dative more).
CASE_PRIOR = {"nomn": 0.3, "gent": 0.2, "datv": 0.15, "accs": 0.12, "ablt": 0.1, "loct": 0.05}
CUE_WEIGHT = 1.0  # a case the context's grammar asks for, against ~1.0 per word that reads so

RU_PREPOSITIONS = {"в", "во", "на", "из", "изо", "до", "под", "у", "около", "близ", "к"}
RU_SETTLEMENT_ABBR = {"г", "гор", "пос", "п", "с", "д", "дер", "ст", "ст-ца", "х", "пгт", "рп", "р.п", "м", "кишл"}
RU_SETTLEMENT_LEMMAS = {
    "город", "посёлок", "поселок", "село", "деревня", "станция", "станица", "хутор", "аул",
    "кишлак", "местечко", "слобода",
}
RU_REGION_ABBR = {  # abbreviation -> nominative type word it stands for
    "обл": "область", "р-н": "район", "р-на": "район", "р-не": "район", "р-ну": "район",
    "р-ном": "район", "губ": "губерния", "у": "уезд", "вол": "волость", "окр": "округ", "кр": "край",
}
NOMINATIVE_FIXES = {"лагери": "лагеря"}  # pymorphy's plural is the "political camps" sense

KK_SETTLEMENT = {
    "қаласы", "қала", "қ", "ауылы", "ауыл", "кенті", "поселкесі", "поселкасы", "селосы",
    "станциясы", "стансасы", "деревнясы", "г", "гор", "пос", "с", "ст", "д",
}
KK_REGION_ABBR = {"обл": "облысы", "ауд": "ауданы"}

# Kazakh region words, whose nominative is their possessive form ("Зайсан ауданы"): any case of them
# ("ауданында", "ауданындағы", "облысының") names the region in that form.
KK_REGION_WORDS = {"аудан": "ауданы", "облыс": "облысы", "губерния": "губерниясы", "уезд": "уезі",
                   "болыс": "болысы", "округ": "округі", "өлке": "өлкесі"}


def _kk_region_word(word: str) -> Optional[str]:
    """ "ауданындағы" -> "ауданы", "облысының" -> "облысы"; None for any other word."""
    low = word.lower()
    for stem, nominative in KK_REGION_WORDS.items():
        if low.startswith(stem) and len(low) - len(stem) <= 7:
            return _match_case(nominative, word)
    return None


# Kazakh toponyms that merely end like a case suffix (they guard the suffix stripper).
KK_PLACES = set("""
алматы астана қарағанды караганды семей ақмола акмола қызылорда кзыл-орда сарыарқа қазақстан
магадан дагестан қарқаралы жаркент мәскеу омбы тараз торғай қостанай павлодар атырау орал ақтөбе
шымкент ташкент балқаш жезқазған өскемен ақсу долинка спасск
""".split())
KK_GUARD = KK_MALE | KK_FEMALE | KK_PLACES

_NASAL = set("мнң")

# Kazakh case suffixes: (suffix, stems it may follow). V: ends in a vowel, C: in a
# consonant (у/и/ю count as both), N: in м/н/ң, P: a 3rd-person possessive (-сы/-сі, C+ы/і).
_KK_SUFFIXES = sorted([
    ("ның", "VN"), ("нің", "VN"), ("дың", "C"), ("дің", "C"), ("тың", "C"), ("тің", "C"),
    ("ны", "V"), ("ні", "V"), ("ды", "C"), ("ді", "C"), ("ты", "C"), ("ті", "C"),
    ("ға", "VC"), ("ге", "VC"), ("қа", "C"), ("ке", "C"), ("на", "P"), ("не", "P"),
    ("да", "VC"), ("де", "VC"), ("та", "C"), ("те", "C"), ("нда", "P"), ("нде", "P"),
    ("дан", "VC"), ("ден", "VC"), ("тан", "C"), ("тен", "C"), ("нан", "NP"), ("нен", "NP"),
    ("мен", "*"), ("бен", "*"), ("пен", "*"), ("н", "P"),
], key=lambda s: -len(s[0]))
_KK_SUFFIX_SET = {s for s, _ in _KK_SUFFIXES} | {"а", "е", "у", "ом", "ы", "ой"}  # + Russian "АЛЖИР-е"
_ABBR_RU_ENDING = re.compile(r"^([А-ЯЁ][А-ЯЁ0-9]+)(а|у|ом|е|ы|ой|ю|ем|ов|ам|ами|ах)$")



def _match_case(new: str, orig: str) -> str:
    """Give `new` the capitalisation of `orig`, hyphen part by hyphen part."""
    if "ё" not in orig.lower():
        new = new.replace("ё", "е")
    if len(orig) > 1 and orig.isupper():
        return new.upper()
    oparts, nparts = orig.split("-"), new.lower().split("-")
    if len(oparts) != len(nparts):
        oparts = [orig] * len(nparts)
    return "-".join(n[:1].upper() + n[1:] if o[:1].isupper() else n for o, n in zip(oparts, nparts))


def _add(hyps: dict, cases: Iterable[str], genders: Iterable[str], nom: str, weight: float) -> None:
    for c in cases:
        for g in genders:
            if weight > hyps.get((c, g), (0.0, ""))[0]:
                hyps[(c, g)] = (weight, nom)


def _table(hyps: dict, stem: str, ending: str, table: dict, weight: float) -> None:
    for cases, gender, nom_ending in table.get(ending, ()):
        _add(hyps, cases, [gender], stem + nom_ending, weight)


# ending -> [(cases, gender, nominative ending)]
_OV_TABLE = {
    "": [(["nomn"], "masc", "")],
    "а": [(["gent", "accs"], "masc", ""), (["nomn"], "femn", "а")],
    "у": [(["datv"], "masc", ""), (["accs"], "femn", "а")],
    "ым": [(["ablt"], "masc", "")],
    "е": [(["loct"], "masc", "")],
    "ой": [(["gent", "datv", "ablt", "loct"], "femn", "а")],
}
_SKY_TABLE = {
    "ий": [(["nomn"], "masc", "ий")], "ого": [(["gent", "accs"], "masc", "ий")],
    "ому": [(["datv"], "masc", "ий")], "им": [(["ablt"], "masc", "ий")], "ом": [(["loct"], "masc", "ий")],
    "ая": [(["nomn"], "femn", "ая")], "ой": [(["gent", "datv", "ablt", "loct"], "femn", "ая")],
    "ую": [(["accs"], "femn", "ая")],
}
_PATR_M_TABLE = {"": [(["nomn"], "masc", "")], "а": [(["gent", "accs"], "masc", "")],
                 "у": [(["datv"], "masc", "")], "ем": [(["ablt"], "masc", "")], "ом": [(["ablt"], "masc", "")],
                 "е": [(["loct"], "masc", "")]}
_PATR_F_TABLE = {"а": [(["nomn"], "femn", "а")], "ы": [(["gent"], "femn", "а")],
                 "е": [(["datv", "loct"], "femn", "а")], "у": [(["accs"], "femn", "а")], "ой": [(["ablt"], "femn", "а")]}
# A consonant-final masculine stem (foreign surname, Kazakh given name) declined.
_CONS_TABLE = {"а": [(["gent", "accs"], "masc", "")], "у": [(["datv"], "masc", "")],
               "ом": [(["ablt"], "masc", "")], "ем": [(["ablt"], "masc", "")], "е": [(["loct"], "masc", "")]}
# A soft masculine stem declined ("Белоконю" -> "Белоконь", "Марселем" -> "Марсель").
_SOFT_TABLE = {"ю": [(["datv"], "masc", "ь")], "ем": [(["ablt"], "masc", "ь")]}
# A surname of the -а declension, either gender ("Сироте", "Воеводы" -> "Сирота", "Воевода").
_A_STEM_TABLE = {e: [(c, g, "а") for c, _, _ in v for g in GENDERS] for e, v in {
    "ы": [(["gent"], None, None)], "и": [(["gent"], None, None)], "е": [(["datv", "loct"], None, None)],
    "у": [(["accs"], None, None)]}.items()}
# A feminine -а given name declined ("Гульсары" -> "Гульсара").
_FEM_A_TABLE = {"а": [(["nomn"], "femn", "а")], "ы": [(["gent"], "femn", "а")], "и": [(["gent"], "femn", "а")],
                "е": [(["datv", "loct"], "femn", "а")], "у": [(["accs"], "femn", "а")], "ой": [(["ablt"], "femn", "а")]}


# Russian pet-name suffixes in any case ("Ниночка", "Ниночкой", "Танюша", "Васенька").
_PET_NAME = re.compile(r"(?:очк|ечк|еньк|оньк|юш|уш|ул|ус|юс)(?:а|и|е|у|ой|ою)$")


def _cons_final(w: str) -> bool:
    return bool(w) and w[-1] not in VOWELS and w[-1] not in "ьй"


def split_initials(surface: str) -> list[str]:
    """Tokens of a name span; "Н.Е.Тухачевская" -> ["Н.", "Е.", "Тухачевская"]; titles dropped."""
    text = re.sub(r"(?<=\.)(?=\S)", " ", surface.replace(",", " "))
    return [t for t in text.split() if not _title(t)]


def _title(token: str) -> bool:
    """An address word ("гр-ка", "тов.", "азамат"); a capitalised one that is also a given name
    ("Азамат Ержанов") is the name."""
    low = token.lower().rstrip(".")
    return low in TITLES and not (token[:1].isupper() and low in GIVEN_NAMES and not token.endswith("."))


_KK_RU_SURNAME_CASE = re.compile(
    r"\w{2,}(ов|ев|ёв|ин)(тың|тің|дың|дің|тан|тен|дан|ден|қа|ке|ға|ге|та|те|да|де|ты|ті|ды|ді|пен|мен|бен)$"
)


def kk_strip_case(word: str, min_stem: int = 3) -> str:
    """Remove one Kazakh case suffix from a word ("облысында" -> "облысы", "Семейде" -> "Семей")."""
    for sep in ("-", "'", "’", "`"):
        head, found, tail = word.rpartition(sep)
        if found and head and tail.lower() in _KK_SUFFIX_SET:
            return head
    lw = word.lower()
    if lw in KK_GUARD or len(lw) < 4:
        return word
    if m := _KK_RU_SURNAME_CASE.search(lw):
        # A Russian-style surname takes either voicing and either harmony:
        # "Сүлейменовтен" as well as "Сүлейменовтан", "Рысқұловтың".
        return word[: m.start(2)]
    for suf, conds in _KK_SUFFIXES:
        stem = lw[: -len(suf)]
        if not lw.endswith(suf) or len(stem) < min_stem:
            continue
        if len(stem) == 3 and len(suf) == 2 and (stem[-1] in VOWELS or stem[-1] == "й") and word[:1].isupper():
            continue  # a CVCV name is a nominative ("Саида", "Едіге"), not "Сай" + locative
        if suf == "н" and (word[:1].isupper() or len(stem) < 4):
            continue  # bare accusative -н only on common nouns ("облысын"); "Байтұрсын" is a name
        if _kk_stem_ok(stem, conds) and _harmony_ok(stem, suf):
            return word[: len(stem)]
    return word


def _kk_stem_ok(stem: str, conds: str) -> bool:
    last = stem[-1]
    either = last in "уию"
    ok = {
        "*": True,
        "V": last in VOWELS,
        "C": last not in VOWELS or either,
        "N": last in _NASAL,
        "P": stem[-1] in "ыі" and len(stem) > 2 and stem[-2] not in VOWELS,
    }
    return any(ok[c] for c in conds)


def _harmony_ok(stem: str, suf: str) -> bool:
    sv = [c for c in suf if c in VOWELS]
    if not sv or suf in ("мен", "бен", "пен"):
        return True
    if re.search("(ев|ёв|ева|ёва)$", stem):
        return True  # "Жұмабаевтың": the Russian surname suffix does not set the harmony
    for n, c in enumerate(reversed(stem)):
        if c in "иуюё":
            # "Майлиннің" but "Мұхиттың": и/у/ю go either way after a back vowel; ё only in loans
            # ("Пётрдың"); after a front vowel only a front suffix follows ("Рәбиға" is no "Рәби" + -ға)
            earlier = [v for v in stem[: len(stem) - n - 1] if v in BACK_VOWELS | FRONT_VOWELS]
            # (the front vowels only Kazakh words have: е and э stand in Russian and other loans too)
            return not (earlier and earlier[-1] in "әөүі" and sv[0] in BACK_VOWELS)
        if c in BACK_VOWELS:
            return sv[0] in BACK_VOWELS
        if c in FRONT_VOWELS:
            return sv[0] in FRONT_VOWELS
    return True


class CachedMorph:
    """A pymorphy3 analyser that remembers its answers.

    The same surnames and place names recur on every page of a case file, and a
    dictionary look-up walks a DAWG letter by letter: caching `parse` and
    `word_is_known` took a third off the Russian NER time. Callers must not
    mutate the parse lists they get back.
    """

    def __init__(self, morph: Optional[pymorphy3.MorphAnalyzer] = None, size: int = 200_000):
        self.analyzer = morph or pymorphy3.MorphAnalyzer(lang="ru")
        self.parse = functools.lru_cache(maxsize=size)(self.analyzer.parse)
        self.word_is_known = functools.lru_cache(maxsize=size)(self.analyzer.word_is_known)

    def __getattr__(self, name: str):
        return getattr(self.analyzer, name)


class WordCounts:
    """How often a word form occurs in Navec's news vocabulary (natasha's data, 250K forms), loaded on
    first use (~0.3 s).

    pymorphy3 has no word frequencies: when two dictionary lexemes read a form equally ("лагере":
    the common "лагерь" and the rare "лагер"), the lemma whose forms the news text uses more wins.
    The counts are kept as two sorted arrays keyed by the words' hashes (3 MB), not as a dict of
    250K strings (74 MB in every worker); a hash collision can only reorder a tie.
    """

    def __init__(self):
        self._keys = None
        self._counts = None

    def __call__(self, word: str) -> int:
        if self._keys is None:
            self._keys, self._counts = self._load()
        if not len(self._keys):
            return 0
        key = hash(word)
        at = int(np.searchsorted(self._keys, key))
        return int(self._counts[at]) if at < len(self._keys) and self._keys[at] == key else 0

    @staticmethod
    def _load() -> tuple:
        import importlib.util
        from pathlib import Path

        try:
            from navec.tar import Tar
            from navec.vocab import Vocab

            spec = importlib.util.find_spec("natasha")
            path = Path(spec.submodule_search_locations[0]) / "data" / "emb" / "navec_news_v1_1B_250K_300d_100q.tar"
            with Tar(str(path)) as tar:
                vocab = Vocab.from_file(tar.load("vocab.bin"))
        except (ImportError, OSError, AttributeError, KeyError):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)  # no frequencies: pymorphy's order
        keys = np.fromiter((hash(word) for word in vocab.words), dtype=np.int64, count=len(vocab.words))
        counts = np.asarray(vocab.counts, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        return keys[order], counts[order]


def _assemble(words: list[str], roles: list[str], inits: list[str], surface: str) -> dict:
    surname, given, patr = (" ".join(w for w, r in zip(words, roles) if r == role) or None
                            for role in ("surn", "name", "patr"))
    if inits:
        given, patr = inits[0], (" ".join(inits[1:]) or None)
    full = " ".join(p for p in (surname, given, patr) if p) or surface.strip()
    return {"full": full, "surname": surname, "given": given, "patronymic": patr}


class Normalizer:
    """Holds one pymorphy3 analyser (loading it costs ~0.3 s) and normalises surfaces."""

    def __init__(self, morph=None):
        self.morph = morph if isinstance(morph, CachedMorph) else CachedMorph(morph)
        self.counts = WordCounts()

    # ------------------------------------------------------------------ persons
    def person(self, surface: str, lang: str, context: Optional[str] = None) -> dict:
        """Parts of the name in the nominative and its gender ("masc"/"femn"/None); `context`, a
        sentence the name stands in, lends its case and gender cues (see name_context)."""
        dash = SPACED_DASH.search(surface)  # read "Сейфуллиной – Ахметовой" as one hyphenated word
        toks = split_initials(SPACED_DASH.sub("-", surface, count=1) if dash else surface)
        inits = [t for t in toks if INITIAL.match(t)]
        words = [t.strip(".,;:«»\"()-") for t in toks if not INITIAL.match(t)]
        words = [w for w in words if w]
        if lang == "kk" and words:
            words[-1] = kk_strip_case(words[-1])
        roles = self._roles(words, bool(inits))
        gender = None
        if lang != "kk":
            cue = read_cue(self.morph, context, surface) if context else Cue()
            words, gender = self._ru_nominative(words, roles, cue)
        name = _assemble(words, roles, inits, surface)
        if dash and name["surname"] and "-" in name["surname"]:  # the text's own dash, as written
            joined = name["surname"].replace("-", dash.group(1), 1)
            name["full"] = name["full"].replace(name["surname"], joined, 1)
            name["surname"] = joined
        found = gender_of_parts(name["surname"], name["given"], name["patronymic"])
        name["gender"] = {"f": "femn", "m": "masc"}.get(found) or gender
        return name

    def parts(self, normalized: str) -> dict:
        """Split a name that is already normalised (nominative, surname first) into its parts,
        without touching its case: "Мәлике" must not lose a "dative" -ке a second time."""
        toks = split_initials(normalized)
        inits = [t for t in toks if INITIAL.match(t)]
        words = [w for w in (t.strip(".,;:«»\"()-") for t in toks if not INITIAL.match(t)) if w]
        return _assemble(words, self._roles(words, bool(inits)), inits, normalized)

    def _known_tags(self, word: str) -> set:
        lw = word.lower()
        if not self.morph.word_is_known(lw):
            return set()
        # singular readings only: "Абаев" is also the genitive plural of the name "Абай"
        return {g for p in self.morph.parse(lw) for g in ("Surn", "Name") if g in p.tag and "plur" not in p.tag}

    def _surname_score(self, word: str) -> int:
        lw = word.lower().split("-")[0]
        return 2 * bool(SURNAME_END.search(lw)) + ("Surn" in self._known_tags(lw))

    def _name_score(self, word: str) -> int:
        lw = word.lower()
        return 2 * (lw in KK_MALE or lw in KK_FEMALE or "Name" in self._known_tags(lw))

    def _roles(self, words: list[str], has_initials: bool) -> list[str]:
        """Which word is the surname, given name, patronymic (by position, tags and suffixes)."""
        n = len(words)
        if has_initials or n == 0:
            return ["surn"] * n
        patr = [i for i in range(1, n) if is_patronymic(words[i])]
        if patr:
            # "Ида Марковна Гуревич": a surname in -вич looks like a patronymic too; the patronymic
            # is the one that follows a given name
            p = max(patr, key=lambda i: (self._name_score(words[i - 1]) > 0, i))
            roles = ["surn"] * n
            roles[p] = "patr"
            if p == n - 1 and n == 2:
                w = words[0]
                looks_surname = self._surname_score(w) >= 2 and not self._name_score(w)
                roles[0] = "surn" if looks_surname else "name"
            else:
                roles[p - 1] = "name"
            return roles
        if n == 1 and PATRONYMIC_END.search(words[0]):
            return ["patr"]  # "Ивановичу", "Петровне" alone
        if n == 1:
            known = self._known_tags(words[0])
            if _PET_NAME.search(words[0].lower()) or known == {"Name"}:
                return ["name"]  # "Ниночка", "Танюша": a pet form; "Ева": a dictionary name, no surname
            return ["name" if self._name_score(words[0]) > self._surname_score(words[0]) else "surn"]
        a, b = words[0], words[1]
        swap = self._name_score(a) - self._surname_score(a) > self._name_score(b) - self._surname_score(b)
        roles = ["name"] * n
        roles[1 if swap and n == 2 else 0] = "surn"
        return roles

    def _ru_nominative(self, words: list[str], roles: list[str], cue: Cue) -> tuple[list[str], Optional[str]]:
        """Put the name into the nominative with one (case, gender) shared by all its words; the
        gender comes back when the words (or the context) prefer it clearly."""
        per_word = [[self._ru_hyps(part, role) for part in w.split("-")] for w, role in zip(words, roles)]

        def support(cg):
            total = 0.0
            for parts in per_word:
                total += sum(h.get(cg, (0.0, ""))[0] for h in parts) / len(parts)
            if total and cue.cases:  # the context counts only for readings the words have
                total += CUE_WEIGHT * (cue.cases.get(cg[0], 0.0) + 0.5 * (cue.gender == cg[1]))
            return total + CASE_PRIOR[cg[0]]

        best = max(((c, g) for c in CASES for g in GENDERS), key=support)
        other = max(support((c, g)) for c in CASES for g in GENDERS if g != best[1])
        out = []
        for w, parts in zip(words, per_word):
            noms = [self._reading(h, best, p) for h, p in zip(parts, w.split("-"))]
            out.append(_match_case("-".join(noms), w))
        return out, (best[1] if support(best) - other > 0.25 else None)

    @staticmethod
    def _reading(hyps: dict, cg: tuple, word: str) -> str:
        """The nominative under the chosen (case, gender); a word that has no such reading
        (the text is ungrammatical or OCR broke it) takes its own best one of that gender."""
        if cg in hyps:
            return hyps[cg][1]
        same = [v for k, v in hyps.items() if k[1] == cg[1]]
        return max(same)[1] if same else word

    def _ru_hyps(self, word: str, role: str) -> dict:
        """(case, gender) -> (weight, nominative) readings of one name word."""
        lw, hyps = word.lower(), {}
        if role == "patr":
            if m := PATR_MASC.match(lw):
                _table(hyps, m.group(1), m.group(2), _PATR_M_TABLE, 1.0)
            elif m := PATR_FEMN.match(lw):
                _table(hyps, m.group(1), m.group(2), _PATR_F_TABLE, 1.0)
            elif PATR_TURKIC.search(lw):
                _add(hyps, CASES, ["femn" if re.search("[кқ]ызы$", lw) else "masc"], lw, 1.0)
            return hyps
        if role == "name":
            # A lexicon Kazakh name fixes the gender; pymorphy's guesses for these are noise.
            rules: dict = {}
            self._given_rules(lw, rules)
            lex = {k: (1.0, nom) for k, (_, nom) in rules.items()
                   if nom in (KK_MALE if k[1] == "masc" else KK_FEMALE)}
            if lw in KK_FEMALE and lw[-1] not in "ая":  # "Зауре", "Бибигуль" do not decline
                _add(lex, CASES, ["femn"], lw, 1.0)
            if lex:
                return lex
        tag = "Surn" if role == "surn" else "Name"
        weight = 1.0 if self.morph.word_is_known(lw) else 0.6
        for p in self.morph.parse(lw):
            if tag not in p.tag or "plur" in p.tag:
                continue
            case = CASE_ALIAS.get(p.tag.case, p.tag.case)
            genders = [p.tag.gender] if p.tag.gender in GENDERS else GENDERS  # None = ms-f
            infl = None if "Fixd" in p.tag else p.inflect({"nomn"})
            nom = infl.word if infl else lw
            # an indeclinable reading loses ties: "Анне" is Анна's dative before it is "Анне"; a soft-sign
            # feminine name (3rd declension) wins them: "Рахилью" is Рахиль's instrumental before it is
            # the accusative of a rare "Рахилья" (names in -ья that the dictionary lists twice)
            third = role == "name" and nom.endswith("ь") and p.tag.gender == "femn" and lw.endswith(("ью", "и"))
            _add(hyps, [case], genders, nom, weight - 0.05 * ("Fixd" in p.tag) + 0.05 * third)
        if role == "surn":
            self._surname_rules(lw, hyps)
        elif not any(nom == lw and cg[0] == "nomn" for cg, (_, nom) in hyps.items()) or weight < 1.0:
            self._given_rules(lw, hyps)  # a dictionary name in the nominative is one: the rules would
            # read "Вера" as the genitive of a "Вер"
        return hyps

    @staticmethod
    def _surname_rules(lw: str, hyps: dict) -> None:
        if m := SURN_OV.match(lw):
            _table(hyps, m.group(1), m.group(2), _OV_TABLE, 0.5)
        elif m := SURN_SKY.match(lw):
            _table(hyps, m.group(1), m.group(2), _SKY_TABLE, 0.5)
        elif SURN_FIXED.search(lw):
            # a consonant + е/и/у/ю is more often a case ending ("Сироте", "Бруевичу") than an
            # indeclinable surname ("Дюпре")
            declined = lw[-1] in "еиую" and _cons_final(lw[:-1])
            _add(hyps, CASES, GENDERS, lw, 0.3 if declined else 0.5)
            if declined:
                Normalizer._declined_rules(lw, hyps, 0.4)
                _table(hyps, lw[:-1], lw[-1], _A_STEM_TABLE, 0.35)  # "Сироте" -> "Сирота", his or hers
        else:
            if _cons_final(lw) or lw.endswith("ь"):
                _add(hyps, ["nomn"], ["masc"], lw, 0.5)
                _add(hyps, CASES, ["femn"], lw, 0.5)  # foreign women's surnames do not decline
            Normalizer._declined_rules(lw, hyps, 0.4)

    @staticmethod
    def _declined_rules(lw: str, hyps: dict, weight: float) -> None:
        """A masculine consonant stem declined, hard ("Гольдберга", "Лазаревичем") or soft
        ("Белоконю", "Марселем")."""
        for end in ("ом", "ем", "а", "у", "е"):
            if lw.endswith(end) and _cons_final(lw[: -len(end)]):
                _table(hyps, lw[: -len(end)], end, _CONS_TABLE, weight)
        for end in ("ю", "ем"):
            stem = lw[: -len(end)]
            if lw.endswith(end) and len(stem) >= 3 and _cons_final(stem) and stem[-1] not in "жшчщц":
                _table(hyps, stem, end, _SOFT_TABLE, weight - 0.05)

    @staticmethod
    def _given_rules(lw: str, hyps: dict) -> None:
        """Unknown given names (mostly Kazakh): masculine consonant stems decline ("Есболом"),
        feminine consonant stems do not ("Бибигуль"), feminine -а stems do."""
        if _cons_final(lw):
            _add(hyps, ["nomn"], ["masc"], lw, 0.5)
            _add(hyps, CASES, ["femn"], lw, 0.4)
            Normalizer._declined_rules(lw, hyps, 0.5)
            return
        for end in ("ом", "ем", "ой", "а", "у", "е", "ы", "и"):
            stem = lw[: -len(end)]
            if lw.endswith(end) and _cons_final(stem):
                _table(hyps, stem, end, _CONS_TABLE, 0.5)
                _table(hyps, stem, end, _FEM_A_TABLE, 0.45)
                break
        Normalizer._declined_rules(lw, hyps, 0.45)

    # ------------------------------------------------------------------ places / orgs
    def place(self, surface: str, lang: str) -> str:
        parts = [p.strip() for p in surface.split(",") if p.strip()]
        return ", ".join(self._place_part(p, lang) for p in parts) or surface.strip()

    def org(self, surface: str, lang: str) -> str:
        toks = surface.split()
        if not toks:
            return surface.strip()
        if lang == "kk":
            toks[-1] = kk_strip_case(toks[-1])
            return " ".join(toks)
        return " ".join(self._ru_head_nominative(toks, prefer_geo=False))

    def _place_part(self, text: str, lang: str) -> str:
        toks = re.sub(r"(?<=\.)(?=[^\s.\-])", " ", text).split()
        if lang == "kk":
            if toks:
                toks[-1] = _kk_region_word(toks[-1]) or kk_strip_case(toks[-1])
            toks = [KK_REGION_ABBR.get(t.lower().rstrip("."), t) for t in toks]
            kept = [t for t in toks if t.lower().rstrip(".") not in KK_SETTLEMENT]
            return " ".join(kept or toks)
        while len(toks) > 1 and toks[0].lower() in RU_PREPOSITIONS:
            toks = toks[1:]
        kept = [t for t in toks if not self._is_settlement_word(t)]
        return " ".join(self._ru_head_nominative(kept or toks, prefer_geo=True))

    def _is_settlement_word(self, tok: str) -> bool:
        low = tok.lower()
        if low.rstrip(".") in RU_SETTLEMENT_ABBR and (tok.endswith(".") or len(low) <= 3) and low[:1].islower():
            return True
        return low.isalpha() and low[:1] == tok[:1] and any(
            p.normal_form in RU_SETTLEMENT_LEMMAS for p in self.morph.parse(low)[:2] if p.tag.POS == "NOUN"
        )

    def _is_adj(self, tok: str, nxt: str) -> bool:
        """An adjective of the head phrase: it agrees with the next word
        ("Семипалатинском уезде" is not the town Семипалатинск + "уезде")."""
        if tok.isupper() or not re.search("[а-яё]", tok) or tok.lower().rstrip(".") in RU_REGION_ABBR:
            return False
        adjs = [q for q in self.morph.parse(tok.lower()) if q.tag.POS in ("ADJF", "PRTF")]
        if not adjs and _SK_ADJECTIVE.match(tok.lower()) and tok[:1].isupper():
            # a place adjective the dictionary knows only as the town ("Каркаралинском райкоме")
            return any(p.tag.POS == "NOUN" for p in self.morph.parse(nxt.lower()))
        if nxt.lower().rstrip(".") in RU_REGION_ABBR:
            return bool(adjs)  # "Акмолинской обл.": the abbreviation has no case to agree with
        if nxt.isupper() or not re.search("[а-яё]", nxt):
            return self.morph.parse(tok.lower())[0].tag.POS in ("ADJF", "PRTF")
        nexts = [p.tag for p in self.morph.parse(nxt.lower()) if p.tag.POS in ("NOUN", "ADJF", "PRTF")]
        return any(self._agrees(q.tag, n) for q in adjs for n in nexts)

    def _ru_head_nominative(self, toks: list[str], prefer_geo: bool) -> list[str]:
        """Leading adjectives + head noun to the nominative; dependents stay as written."""
        i = 0
        while i < len(toks) - 1 and self._is_adj(toks[i], toks[i + 1]):
            i += 1
        adjs, head, rest = toks[:i], toks[i], self._dependents_in_full(toks[i + 1 :])
        abbr = RU_REGION_ABBR.get(head.lower().rstrip("."))
        if abbr and (head.endswith(".") or "-" in head):
            parse = self.morph.parse(abbr)[0]
            return self._agree(adjs, parse.tag) + [abbr] + rest
        if m := _ABBR_RU_ENDING.match(head):  # "АЛЖИРе" -> "АЛЖИР"
            head = m.group(1)
        if head.isupper() or not re.search("[а-яё]", head):
            return self._agree(adjs, None) + [head] + rest
        parse = self._pick_head(head, adjs, prefer_geo)
        nom = self._neuter_place(head.lower()) if prefer_geo and not adjs else None
        if nom is None and prefer_geo and not self.morph.word_is_known(head.lower()):
            nom = self._oov_place(head.lower())
        if nom is None and parse is not None:
            infl = parse.inflect({"nomn"}) if "Fixd" not in parse.tag else None
            nom = infl.word if infl else head.lower()
        nom = NOMINATIVE_FIXES.get(nom, nom)
        new_head = _match_case(nom, head) if nom else head
        return self._agree(adjs, parse.tag if parse else None) + [new_head] + rest

    def _dependents_in_full(self, rest: list[str]) -> list[str]:
        """A dependent region written short takes its word in the genitive ("Аягузский район
        Семипалатинской обл." -> "... Семипалатинской области"): dependents after the head are genitive."""
        out = []
        for n, tok in enumerate(rest):
            full = RU_REGION_ABBR.get(tok.lower().rstrip("."))
            if full and n > 0 and (tok.endswith(".") or "-" in tok) and re.search("[а-яё]", rest[n - 1]):
                parse = self.morph.parse(full)[0]
                genitive = parse.inflect({"gent"})
                tok = genitive.word if genitive else tok
            out.append(tok)
        return out

    def _pick_head(self, head: str, adjs: list[str], prefer_geo: bool):
        best, best_score = None, float("-inf")
        parses = self.morph.parse(head.lower())
        nouns = [p for p in parses if p.tag.POS == "NOUN"]
        if not nouns and not head.lower().endswith(("ого", "его", "ому", "ему", "ом", "ем", "ым", "им", "ой", "ей")):
            return None  # an indeclinable name ("Ковно", "Алма-Ата") that looks like an adverb
        if not nouns:  # an adjectival toponym ("Верного"): towns are masculine (город)
            nouns = sorted(parses, key=lambda p: p.tag.gender != "masc")[:1]
        for p in nouns:
            s = p.score + 0.5 * (prefer_geo and "Geox" in p.tag) + 0.1 * ("inan" in p.tag)
            s -= 0.5 * any(t in p.tag for t in ("Name", "Surn", "Patr"))
            for a in adjs:
                s += max((q.score for q in self.morph.parse(a.lower()) if self._agrees(q.tag, p.tag)), default=-1.0)
            tie = best is not None and abs(s - best_score) < 1e-6 and p.normal_form != best.normal_form \
                and not {"Geox", "Name", "Surn"} & (p.tag.grammemes | best.tag.grammemes)  # common nouns only
            if s > best_score + 1e-6 or (tie and self.counts(p.normal_form) > self.counts(best.normal_form)):
                best, best_score = p, max(s, best_score)
        return best

    def _neuter_place(self, lw: str) -> Optional[str]:
        """ "в Быкове", "в Томилине" -> "Быково", "Томилино": a settlement in -ово/-ево/-ино/-ыно.

        Its oblique forms are those of the masculine -ов/-ин town ("Иванове" is Иваново's and Иванов's
        locative alike). Where pymorphy3 knows the place (a Geox reading: "Киров", "Пушкин", "Кратово")
        its gender decides and this is not asked. Where it knows the form only as a surname or not at all,
        we choose the neuter: villages and suburbs so named far outnumber masculine towns, and a town
        named after a person is in the dictionary. Known wrong: an unlisted masculine one ("в Молотове"
        -> "Молотово").
        """
        stems = [re.match(r"^(.{2,}(?:ов|ев|ёв|ин|ын))(е|а|у|ом)$", part) for part in lw.split("-")]
        if not all(stems):  # "Орехове-Зуеве": each part declines
            return None
        if self.morph.word_is_known(lw) and any(  # an OOV word's Geox tags are guesses ("Томилиня")
                "Geox" in p.tag or p.tag.POS != "NOUN" and p.score > 0.5 for p in self.morph.parse(lw)):
            return None
        return "-".join(m.group(1) + "о" for m in stems)

    @staticmethod
    def _agrees(adj, noun) -> bool:
        if adj.POS not in ("ADJF", "PRTF") or adj.case != noun.case or adj.number != noun.number:
            return False
        return noun.number == "plur" or noun.gender is None or adj.gender == noun.gender

    def _agree(self, adjs: list[str], noun_tag) -> list[str]:
        """Adjectives in the nominative, agreeing with the head (or keeping their own gender)."""
        out = []
        for a in adjs:
            parses = [q for q in self.morph.parse(a.lower()) if q.tag.POS in ("ADJF", "PRTF")]
            agreeing = [q for q in parses if noun_tag is None or self._agrees(q.tag, noun_tag)] or parses
            if not agreeing:
                out.append(_sk_nominative(a, noun_tag))
                continue
            q = agreeing[0]
            want = {"nomn", q.tag.number or "sing"}
            if q.tag.number != "plur" and q.tag.gender:
                want.add(q.tag.gender)
            infl = q.inflect(want)
            out.append(_match_case(infl.word, a) if infl else a)
        return out

    @staticmethod
    def _oov_place(lw: str) -> Optional[str]:
        """Unknown toponyms: "-ихе"/"-ке" are feminine -а names far more often than masculine."""
        m = re.match(r"^(.+[кгхц])(е|и|у|ой)$", lw)
        return m.group(1) + "а" if m else None


# The endings of a -ский / -цкий adjective in any case, gender and number.
_SK_ADJECTIVE = re.compile(r"^(.+[сц]к)(ий|ого|ому|им|ом|ая|ой|ую|ое|ие|их|ими)$")
_SK_NOMINATIVE = {"masc": "ий", "femn": "ая", "neut": "ое", "plur": "ие"}


def _sk_nominative(word: str, noun_tag) -> str:
    """The nominative of a -ский adjective agreeing with its head noun's gender and number
    ("Каркаралинском" + райком -> "Каркаралинский"); the word as written when it is not one."""
    m = _SK_ADJECTIVE.match(word.lower())
    if not m or noun_tag is None:
        return word
    key = "plur" if noun_tag.number == "plur" else noun_tag.gender
    ending = _SK_NOMINATIVE.get(key)
    return _match_case(m.group(1) + ending, word) if ending else word


@functools.lru_cache(maxsize=1)
def default_normalizer() -> Normalizer:
    """One shared Normalizer, built on first use (not at import) for the module-level helpers."""
    return Normalizer()


def normalize_person(surface: str, lang: str, normalizer: Optional[Normalizer] = None) -> dict:
    return (normalizer or default_normalizer()).person(surface, lang)


def normalize_place(surface: str, lang: str, normalizer: Optional[Normalizer] = None) -> str:
    return (normalizer or default_normalizer()).place(surface, lang)


def normalize_org(surface: str, lang: str, normalizer: Optional[Normalizer] = None) -> str:
    return (normalizer or default_normalizer()).org(surface, lang)


def harmonize_names(entities: list[Entity]) -> None:
    """Give "Ковалёву А. И." the surname form of "Ковалёвой Анны Ивановны" in the same document.

    A surname with initials alone is ambiguous ("Ковалёву": his dative or her
    accusative); a full name of the same family with matching initials is not.
    Here, not in entities, so that the batch's writer can call it without importing spaCy.
    """
    full = [e.normalized.split() for e in entities if e.label == "PERSON" and e.normalized]
    full = [w for w in full if len(w) >= 2 and not w[1].endswith(".")]
    for entity in entities:
        if entity.label != "PERSON" or not entity.normalized:
            continue
        words = entity.normalized.split()
        initials = [w[0] for w in words[1:] if len(w) == 2 and w.endswith(".")]
        if not initials or len(initials) != len(words) - 1:
            continue
        for other in full:
            same_family = other[0][:-2] and words[0][: len(other[0]) - 2] == other[0][:-2]
            if same_family and [w[0] for w in other[1 : 1 + len(initials)]] == initials and other[0] != words[0]:
                entity.normalized = " ".join([other[0], *words[1:]])
                break
