"""Russian phrase structure: Slovnet morphology and syntax as spaCy components, and the noun
phrases of ORG and PLACE names built from them.

News-trained NER cuts the names of Soviet bodies and districts into pieces: "Военная коллегия" and
"Верховного суда СССР" as two bodies, "прокуратура" left out of "прокуратура Акмолинской области"
(whose region then stands as a PLACE), "ВКП(б)" cut at its bracket, "Балхашский район" apart from
"Карагандинской области". A dependency parse says where such a name ends: it is the noun phrase of
its head, the head with its adjectives, flat parts and genitive (or "при ...") dependents.

* ``slovnet_syntax`` runs Natasha's ``slovnet_morph_news_v1`` and ``slovnet_syntax_news_v1`` (paths
  by config, as ``slovnet_ner``'s; the Navec vectors and the 250K-word vocabulary are taken from
  the pipeline's ``slovnet_ner`` when it has one, so a worker holds them once) on the sentences
  where an organ or administrative head word has a capitalised word or an abbreviation within
  three words -- the others are never parsed, which keeps the pipeline's speed
  (``bench/parse_speed.py``). It writes ``doc._.syntax`` (one ``Word`` per parsed word, with its
  character offsets) and, where a word is exactly one spaCy token, that token's ``pos_`` and ``morph``.
* ``testimony_phrases`` lets an ORG or PLACE span cover its noun phrase. The parser gives the
  boundary only; whether there is an entity at all is decided as before: the span starts from an
  entity the NER (or the organ rules) found, or from an organ/administrative head word
  (``коллегия``, ``совещание``, ``суд``, ``прокуратура``, ``райком``, ``район``, ``область``...)
  that has a proper name among its dependents. A phrase headed by an organ word is an ORG and
  swallows the places inside it (flat entities, as the annotation conventions say); a district or
  region word with its own name heads a PLACE.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch

from pipeline.russian import NAVEC_FILE, load_navec_vectors, natasha_data_dir, one_blas_thread

MORPH_FILE = Path("model") / "slovnet_morph_news_v1.tar"
SYNTAX_FILE = Path("model") / "slovnet_syntax_news_v1.tar"

# Head nouns of bodies (ORG) and of administrative units (PLACE), in every case form.
ORGAN_HEAD = re.compile(
    r"^(?:коллеги|совещани|суд(?:а|у|ом|е|ы|ов|ам|ами|ах)?$|прокуратур|президиум|райком|горком|обком|крайком"
    r"|губком|окружком|цк$|[оу]?нквд$|огпу$|[оу]?гпу$|[у]?мвд$|[у]?мгб$|кгб$|трибунал|комиссариат|наркомат"
    r"|совет(?:а|у|ом|е|ы|ов|ами|ах)?$|исполком|райисполком|облисполком|горисполком|тройк|управлени|министерств"
    r"|комитет|(?:рай|гор|обл)?отдел(?:а|у|ом|е|ы|ов)?$|отделени|коллегии"
    r"|лагер[ьяюеи]|лагпункт|тюрьм|тюрем|колони[яиюей]|изолятор|итл$)"  # camps and prisons are bodies too
)
ADMIN_HEAD = re.compile(r"^(?:район|област|обл$|р-н|кра(?:й|я|ю|ем|е)$|округ(?:а|у|ом|е)?$|губерни|уезд|волост)")
_REGION_ABBR = re.compile(r"^(?:обл|р-н|окр|губ)$")  # "Семипалатинской обл.": an abbreviation has no case
_CANDIDATE = re.compile(
    r"коллеги|совещани|\bсуд|прокуратур|президиум|райком|горком|обком|крайком|\bцк\b"
    r"|нквд|огпу|мвд|мгб|трибунал|комиссариат|\bсовет|исполком|тройк|управлени|комитет|отдел|район|област"
    r"|\bкра[йяюе]|округ|губерни|уезд|волост|\bобл\b|р-н|лагер|лагпункт|тюрьм|тюрем|колони|изолятор|\bитл\b"
)
# ВКП(б), КП(б) (one word, not cut at the bracket); words with inner hyphens; numbers; any other mark
_TOKEN = re.compile(r"[^\W_]+\(\w{1,3}\)|[^\W_]+(?:-[^\W_]+)*|\S")
_PROPER = re.compile(r"^(?:[А-ЯЁA-Z][а-яёa-z-]+|[А-ЯЁA-Z]{2,}(?:\(\w{1,3}\))?|[А-ЯЁ]+\(\w{1,3}\))$")
_ADJ_END = re.compile(r"(?:ый|ий|ой|ая|яя|ое|ее|ого|его|ому|ему|ым|им|ом|ем|ую|юю|ей|ых|их|ыми|ими)$")
_ABBR = re.compile(r"^[А-ЯЁA-Z]{2,}(?:\(\w{1,3}\))?$")
_SHORT_ABBR = re.compile(r"^[А-ЯЁA-Z]{2,5}(?:\(\w{1,3}\))?$")  # not a heading word: СПРАВКА, СПИСОК
NOUNS = ("NOUN", "PROPN")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
MAX_SENTENCE_WORDS = 120  # a longer "sentence" is a form or a list: parsed in pieces of this size

if not Doc.has_extension("syntax"):
    Doc.set_extension("syntax", default=None)


@dataclass
class Word:
    """One parsed word: character offsets in the doc, Slovnet's POS and features, its head."""

    start: int
    end: int
    text: str
    pos: str = ""
    feats: Dict[str, str] = field(default_factory=dict)
    head: int = -1  # index into the same sentence's words, -1 for the root
    rel: str = ""


def split_words(text: str, offset: int = 0) -> List[Word]:
    """The words of a sentence as razdel cuts them (words with their inner hyphens, numbers, each
    punctuation mark apart), with "ВКП(б)" kept whole (the parser sees one word). A regular
    expression: razdel's own tokenizer took a third of the parse step's time."""
    return [Word(offset + m.start(), offset + m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _ner_embeddings(ner):
    """(Navec vectors, word vocabulary) of a loaded ``slovnet_ner``, in the shape Slovnet's
    ``navec()`` and encoders take them; (None, None) if it has none."""
    from types import SimpleNamespace

    try:
        emb, encoder = ner.ner.infer.model.emb.word, ner.ner.infer.encoder
        navec = SimpleNamespace(meta=SimpleNamespace(id=emb.id),
                                pq=SimpleNamespace(indexes=emb.indexes.array, codes=emb.codes.array))
        return navec, encoder.words_vocab
    except AttributeError:
        return None, None


def load_parser(morph_path: str, syntax_path: str, batch_size: int = 8, words_vocab=None):
    """Slovnet's Morph and Syntax (their `load`, but one word vocabulary for both, and for the NER
    when `words_vocab` is its and holds the same words): each model ships the same 250K-word
    vocabulary, ~45 MB of Python strings and their index in memory."""
    from slovnet import Morph, Syntax
    from slovnet.const import REL, SHAPE, TAG, WORD
    from slovnet.exec.encoders import SyntaxEncoder, TagEncoder
    from slovnet.exec.infer import MorphInfer, SyntaxDecoder, SyntaxInfer, TagDecoder
    from slovnet.exec.model import Morph as MorphModel, Syntax as SyntaxModel
    from slovnet.exec.pack import Pack, vocab_name
    from slovnet.vocab import Vocab

    words = {}  # raw vocabulary bytes -> Vocab
    if words_vocab is not None:
        words["\n".join(words_vocab.items).encode("utf-8")] = words_vocab

    def load(path: str, model_class, labels_id):
        with Pack(path) as pack:
            pack.load_meta().check_protocol()
            model = pack.load_model(model_class)
            arrays = dict(pack.load_arrays(model.weights))
            raw = gzip.decompress(pack.read(vocab_name(WORD)))  # the gzip headers differ, the words not
            if raw not in words:
                words[raw] = Vocab(raw.decode("utf-8").splitlines())
            words_vocab = words[raw]
            return model.inject_arrays(arrays), words_vocab, pack.load_vocab(SHAPE), pack.load_vocab(labels_id)

    model, words_vocab, shapes, tags = load(morph_path, MorphModel, TAG)
    morph = Morph(MorphInfer(model, TagEncoder(words_vocab, shapes, batch_size), TagDecoder(tags)), batch_size)
    model, words_vocab, shapes, rels = load(syntax_path, SyntaxModel, REL)
    syntax = Syntax(SyntaxInfer(model, SyntaxEncoder(words_vocab, shapes, batch_size), SyntaxDecoder(rels)),
                    batch_size)
    return morph, syntax


def _parser_form(word: str) -> str:
    """What the news-trained models read: a word typed in capitals that is longer than an
    abbreviation, in title case ("ДОЛИНСКИЙ" is an adjective, "СПРАВКА" a noun; "НКВД" stays)."""
    if len(word) > 5 and word.isupper() and not _SHORT_ABBR.match(word):
        return word[0] + word[1:].lower()
    return word


def _sentences(text: str, low: str, sentenize, every: bool):
    """(start, stop) of the sentences with a head word (all with `every`); only the paragraphs
    with one are split into sentences (razdel's splitter is the slow part on long texts)."""
    start = 0
    for brk in list(_PARAGRAPH.finditer(text)) + [None]:
        stop = brk.start() if brk else len(text)
        if every or _CANDIDATE.search(low, start, stop):
            for sent in sentenize(text[start:stop]):
                if every or _CANDIDATE.search(low, start + sent.start, start + sent.stop):
                    yield start + sent.start, start + sent.stop
        start = brk.end() if brk else stop


def _named_head(words: List[Word]) -> bool:
    """Is there a head word with a name near it ("прокуратура Акмолинской области", "райком ВКП(б)"),
    not only "по решению суда"?"""
    for i, w in enumerate(words):
        low = w.text.lower()
        if ORGAN_HEAD.match(low) or ADMIN_HEAD.match(low):
            near = words[max(1, i - 3) : i] + words[i + 1 : i + 4]  # the sentence's first word: any
            if any(_proper(n) or _SHORT_ABBR.match(n.text) for n in near):
                return True
    return False


class SlovnetSyntax:
    """Slovnet morphology + dependency parse of the sentences that may hold an organ or place name."""

    def __init__(self, nlp: Language, name: str = "slovnet_syntax", morph_path: Optional[str] = None,
                 syntax_path: Optional[str] = None, navec_path: Optional[str] = None, batch_size: int = 8,
                 all_sentences: bool = False):
        data = None if morph_path and syntax_path and navec_path else natasha_data_dir()
        # the NER of the same pipeline already holds the Navec vectors and the word vocabulary (~70 MB)
        ner = nlp.get_pipe("slovnet_ner") if "slovnet_ner" in nlp.pipe_names and not navec_path else None
        navec, words = _ner_embeddings(ner) if ner is not None else (None, None)
        navec = navec or load_navec_vectors(navec_path or str(data / NAVEC_FILE))
        self.name = name
        self.morph, self.syntax = load_parser(morph_path or str(data / MORPH_FILE),
                                              syntax_path or str(data / SYNTAX_FILE), batch_size, words)
        self.morph.navec(navec)
        self.syntax.navec(navec)
        self.all_sentences = all_sentences

    def sentences(self, doc: Doc) -> List[List[Word]]:
        """The word lists to parse: sentences with an organ or district head word that has a name
        (a capitalised word or an abbreviation) within three words. Nothing else can grow, and
        parsing every sentence with a town or a body in it cost half the NER's speed on news."""
        from razdel import sentenize

        text = doc.text
        low = text.lower()
        out: List[List[Word]] = []
        if not self.all_sentences and not _CANDIDATE.search(low):
            return out  # most texts: no sentence splitting at all
        for start, stop in _sentences(text, low, sentenize, self.all_sentences):
            words = split_words(text[start:stop], start)
            if not self.all_sentences and not _named_head(words):
                continue
            for k in range(0, len(words), MAX_SENTENCE_WORDS):
                out.append(words[k : k + MAX_SENTENCE_WORDS])
        return out

    def parse(self, sentences: List[List[Word]]) -> None:
        """Fill pos, feats, head and rel of every word, in place."""
        if not sentences:
            return
        items = [[_parser_form(w.text) for w in words] for words in sentences]
        with one_blas_thread():
            morphs = list(self.morph.map(items))
            trees = list(self.syntax.map(items))
        for words, morph, tree in zip(sentences, morphs, trees):
            for word, tag, node in zip(words, morph.tokens, tree.tokens):
                word.pos, word.feats = tag.pos, dict(tag.feats)
                word.head, word.rel = int(node.head_id) - 1, node.rel

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        """Docs in batches: the sentences of a batch go through the models together (one call of
        each instead of one per short language span)."""
        for batch in minibatch(docs, size=batch_size):
            yield from self._process(list(batch))

    def _process(self, docs: List[Doc]) -> Iterator[Doc]:
        per_doc = [self.sentences(doc) for doc in docs]
        self.parse([words for sentences in per_doc for words in sentences])
        for doc, sentences in zip(docs, per_doc):
            doc._.syntax = sentences
            _annotate_tokens(doc, sentences)
            yield doc


def _annotate_tokens(doc: Doc, sentences: List[List[Word]]) -> None:
    """POS and morphology onto the spaCy tokens that are exactly one parsed word."""
    for words in sentences:
        for word in words:
            span = doc.char_span(word.start, word.end)
            if span is not None and len(span) == 1 and word.pos:
                span[0].pos_ = word.pos
                span[0].set_morph("|".join(f"{k}={v}" for k, v in sorted(word.feats.items())) or None)


@Language.factory(
    "slovnet_syntax",
    default_config={"morph_path": None, "syntax_path": None, "navec_path": None, "batch_size": 8,
                    "all_sentences": False},
)
def make_slovnet_syntax(nlp: Language, name: str, morph_path: Optional[str], syntax_path: Optional[str],
                        navec_path: Optional[str], batch_size: int, all_sentences: bool) -> SlovnetSyntax:
    return SlovnetSyntax(nlp, name, morph_path, syntax_path, navec_path, batch_size, all_sentences)


# --------------------------------------------------------------------------- noun phrases


def _kind(word: Word) -> str:
    """'ORG' for an organ head noun, 'PLACE' for an administrative one, '' otherwise (a word typed in
    capitals counts whatever part of speech the parser gave it: "ЛАГЕРЬ" comes back an adjective)."""
    if word.pos not in NOUNS and not (word.text.isupper() and len(word.text) > 3):
        return ""
    low = word.text.lower()
    if ORGAN_HEAD.match(low):
        return "ORG"
    if ADMIN_HEAD.match(low):
        return "PLACE"
    return ""


def _proper(word: Word) -> bool:
    return bool(_PROPER.match(word.text))


class Phrase:
    """The noun phrase rules over one parsed sentence."""

    def __init__(self, words: List[Word], blocked: Set[int], morph=None):
        self.words = words
        self.blocked = blocked  # words inside PERSON / DATE entities
        self.morph = morph  # pymorphy3 (CachedMorph): a second opinion on the case of a dependent
        self.children: List[List[int]] = [[] for _ in words]
        for i, w in enumerate(words):
            if 0 <= w.head < len(words) and w.head != i:
                self.children[w.head].append(i)

    def _case_words(self, i: int) -> List[str]:
        return [self.words[c].text.lower() for c in self.children[i] if self.words[c].rel == "case"]

    def named(self, i: int) -> bool:
        """An administrative word with its own name: "Балхашский район", not "в районе"."""
        return any(self.words[c].rel in ("amod", "flat", "flat:name", "nmod", "appos") and _proper(self.words[c])
                   and c not in self.blocked for c in self.children[i])

    def attached(self, child: int, parent: int, parent_kind: str) -> bool:
        """Does `child` belong to the name headed by `parent`?"""
        w = self.words[child]
        if child in self.blocked or w.text.isdigit():
            return False
        if w.rel == "amod":  # "военная коллегия", but "в соседнем Балхашском районе" starts at the name
            near = child + 1 == parent and parent_kind == "ORG"
            return child < parent and w.pos in ("ADJ", "PROPN") and (near or _proper(w))
        if w.rel == "appos":  # "ЦК КП(б)": a body's abbreviation right after its head
            return child == parent + 1 and parent_kind in ("ORG", "ORGNAME") and bool(_SHORT_ABBR.match(w.text))
        if w.rel in ("flat", "flat:name", "flat:foreign"):
            return w.pos in NOUNS + ("ADJ",)
        if w.rel != "nmod" or not (w.pos in NOUNS or _ABBR.match(w.text)) or child < parent:
            return False
        cases = self._case_words(child)
        if cases:
            return cases == ["при"] and parent_kind == "ORG" or \
                cases == ["по"] and parent_kind in ("ORG", "ORGNAME") and _kind(w) == "PLACE"  # "ДКНБ по ... области"
        # НКВД, ВКП(б): any case; other words must have a genitive reading in the dictionary too
        genitive = bool(_SHORT_ABBR.match(w.text) or _REGION_ABBR.match(w.text.lower())) \
            or w.feats.get("Case") == "Gen" and self.can_be_genitive(w.text)
        if not genitive or parent_kind not in ("ORG", "PLACE"):
            # a body's own name takes its organ's abbreviation ("Карлаг НКВД") and the named region it
            # serves ("УВД Карагандинской области"); other names nothing
            return genitive and parent_kind == "ORGNAME" and bool(
                _ABBR.match(w.text) or _kind(w) == "PLACE" and self.named(child))
        if _proper(w) or _kind(w):
            return True
        # "горком партии", "наркомат юстиции": a common noun only inside a body, never a person
        return parent_kind == "ORG" and w.feats.get("Animacy") != "Anim" and w.text.islower()

    def can_be_genitive(self, word: str) -> bool:
        """False for a dictionary word with no genitive form: the parser reads "СПРАВКА" under a
        heading in capitals as a genitive dependent of the body's name."""
        low = word.lower()
        if self.morph is None or not self.morph.word_is_known(low):
            return True
        return any(p.tag.case in ("gent", "gen2") for p in self.morph.parse(low))

    def collect(self, head: int, kind: str) -> Set[int]:
        """The head and its dependents that belong to the name, recursively."""
        found, todo = {head}, [(head, kind)]
        while todo:
            i, kind_i = todo.pop()
            for c in self.children[i]:
                if c not in found and self.attached(c, i, kind_i):
                    found.add(c)
                    todo.append((c, _kind(self.words[c]) or kind_i))  # "ЦК" under "Бюро" rules as a body
            if i == head and self.agrees(i - 1, i) and i - 1 not in found:
                found.add(i - 1)
        return found

    def agrees(self, left: int, head: int) -> bool:
        """A proper adjective right before a head noun, in its case, whatever the parser attached it
        to: unknown names ("Каркаралинского райкома") are often hung on the verb."""
        if left < 0 or left in self.blocked or self.words[left].pos not in ("ADJ", "PROPN"):
            return False
        word, case = self.words[left], self.words[head].feats.get("Case")
        return _proper(word) and bool(_ADJ_END.search(word.text)) and word.feats.get("Case") == case is not None

    def span(self, head: int, kind: str, first: Optional[int] = None, last: Optional[int] = None) -> Tuple[int, int]:
        """First and last word of the contiguous run the phrase covers around `head` (and around
        the words first..last, an entity's, which it keeps)."""
        found = self.collect(head, kind)
        first = head if first is None else min(first, head)
        last = head if last is None else max(last, head)
        for j in range(first, last + 1):  # an organ word inside the entity brings its own dependents
            if j != head and _kind(self.words[j]) == "ORG":
                found |= self.collect(j, "ORG")
        while first - 1 in found:
            first -= 1
        while True:
            if last + 1 in found:
                last += 1
                continue
            j = last + 1  # adjectives the parser hung elsewhere before a dependent it took:
            while j < len(self.words) and self.words[j].pos == "ADJ" and j not in self.blocked:
                j += 1  # "район | Хакасской автономной | области"
            if j == last + 1 or j not in found:
                return first, last
            last = j

    def climb(self, head: int, label: str) -> Tuple[int, str]:
        """From an entity's head word up through the organ / district words it depends on:
        "Акмолинской области" -> "прокуратура", "НКВД СССР" -> "совещание при"."""
        seen = {head}
        while True:
            w = self.words[head]
            parent = w.head
            if not 0 <= parent < len(self.words) or parent in self.blocked or parent in seen:
                return head, label  # also a word that heads itself, or a cycle the parser made
            seen.add(parent)
            kind = _kind(self.words[parent])
            if not kind or (kind == "PLACE" and (label == "ORG" or not self.named(parent))):
                return head, label
            if not self.attached(head, parent, kind) or w.rel == "amod":
                return head, label
            head, label = parent, ("ORG" if kind == "ORG" else label)


class PhraseExpander:
    """ORG and PLACE spans grown to their noun phrase over ``doc._.syntax`` (see the module doc)."""

    def __init__(self, nlp: Language, name: str = "testimony_phrases"):
        from pipeline.russian import load_morph

        self.name = name
        # the NER's pymorphy3 analyser when the pipeline has one (one analyser, one cache), else our own
        ner = nlp.get_pipe("slovnet_ner") if "slovnet_ner" in nlp.pipe_names else None
        self.morph = getattr(ner, "morph", None) or load_morph()

    def __call__(self, doc: Doc) -> Doc:
        sentences = doc._.syntax
        if not sentences:
            return doc
        ents = list(doc.ents)
        for words in sentences:
            ents = self._sentence(doc, words, ents)
        doc.ents = filter_spans(ents)
        return doc

    def _sentence(self, doc: Doc, words: List[Word], ents: List[Span]) -> List[Span]:
        lo, hi = words[0].start, words[-1].end
        mine = [e for e in ents if lo <= e.start_char and e.end_char <= hi]
        blocked = {i for i, w in enumerate(words) for e in mine
                   if e.label_ in ("PERSON", "DATE") and w.start < e.end_char and e.start_char < w.end}
        phrase = Phrase(words, blocked, self.morph)
        proposals: List[Tuple[int, int, str]] = []
        for ent in mine:
            if ent.label_ not in ("ORG", "PLACE"):
                continue
            inside = [i for i, w in enumerate(words) if ent.start_char <= w.start and w.end <= ent.end_char]
            if not inside:
                continue
            heads = [i for i in inside if words[i].head not in inside] or inside[-1:]  # a cycle: the last word
            head, label = phrase.climb(heads[-1], ent.label_)
            kind = _kind(words[head]) or ("ORGNAME" if label == "ORG" else "")
            first, last = phrase.span(head, kind, inside[0], inside[-1])
            proposals.append((min(words[first].start, ent.start_char), max(words[last].end, ent.end_char), label))
        for i, w in enumerate(words):
            kind = _kind(w)
            if not kind or i in blocked or any(s <= w.start < e for s, e, _ in proposals) or \
                    any(e.start_char <= w.start < e.end_char for e in mine):
                continue
            head, label = phrase.climb(i, kind)
            kind = _kind(words[head])
            found = phrase.collect(head, kind)
            if kind == "PLACE" and not phrase.named(head) or \
                    not any(j != head and _proper(words[j]) for j in found):
                continue  # "в районе", "по решению суда": no name of its own
            first, last = phrase.span(head, kind)
            proposals.append((words[first].start, words[last].end, label))
        for start, end, label in sorted(proposals, key=lambda p: p[0] - p[1]):  # longest first
            ents = _replace(doc, ents, start, end, label)
        return ents


def _replace(doc: Doc, ents: List[Span], start: int, end: int, label: str) -> List[Span]:
    """`ents` with [start, end) as `label` in place of what it covers; unchanged when it would cut
    another entity or take a person or date in."""
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None:
        return ents
    inside = [e for e in ents if span.start <= e.start and e.end <= span.end]
    crossing = [e for e in ents if e.start < span.end and span.start < e.end and e not in inside]
    if crossing or any(e.label_ in ("PERSON", "DATE") for e in inside):
        return ents
    if len(inside) == 1 and (inside[0].start, inside[0].end, inside[0].label_) == (span.start, span.end, label):
        return ents
    return [e for e in ents if e not in inside] + [span]


@Language.factory("testimony_phrases")
def make_phrase_expander(nlp: Language, name: str) -> PhraseExpander:
    return PhraseExpander(nlp, name)
