"""Entities: PERSON, DATE, PLACE and ORG per language span, with normalised values.

One spaCy pipeline per language, chosen per language span of the page:
Russian is spaCy + Slovnet (Natasha's NER model, `pipeline.russian`), Kazakh is
the spaCy NER trained here on KazNERD (`models/kk_ner`). Both get the same
components after their NER:

- `testimony_cleanup`: repairs of what news-trained models get wrong on
  archival pages (form labels taken for names, names cut in two, initials left out;
  `pipeline.cleanup`);
- `testimony_organs`: rules for organs of repression and camps (`pipeline.organs`);
- `testimony_dates`: the rule-based date finder (`pipeline.dates`), which knows
  what Soviet documents write ("15.VIII.1937", "1937 жылғы 15 тамызда") and so
  replaces whatever DATE spans a statistical model proposes, and a list row's birth
  year (`pipeline.forms`);
- Russian only: the parse and the noun phrases it grows (`pipeline.syntax`), then the
  span bounds once more (`pipeline.final_bounds`); Kazakh only: organ names grown by
  their case endings (`pipeline.kazakh_phrases`);
- `testimony_normalize`: the contract's `normalized` value for every entity
  (`pipeline.entity_normalizer`, with `pipeline.normalize` for names, places and organisations).

After the components, `EntityExtractor` gives dates their year from context
(`pipeline.date_context`).

Pipelines are built once per worker (`EntityExtractor`), never per document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

# the modules that register the components build_pipeline adds
from pipeline import boundaries, cleanup, dates, dates_other, entity_normalizer, final_bounds, forms, organs, syntax  # noqa: F401
from pipeline.errors import TestimonyError
from pipeline.model import Entity, LanguageSpan, Page
from pipeline.names import UPPER as _UP
from pipeline.normalize import CachedMorph, Normalizer, kk_strip_case


MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
KK_MODEL = MODELS_DIR / "kk_ner"
LABELS = ("PERSON", "DATE", "PLACE", "ORG")
# How far a statistical label is trusted before OCR quality is taken into account.
MODEL_CONFIDENCE = {"ru": 0.85, "kk": 0.85}

if not Span.has_extension("normalized"):
    Span.set_extension("normalized", default=None)
if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)


@Language.component("testimony_dates")
def add_rule_dates(doc: Doc) -> Doc:
    """Dates found by rules replace model DATE spans; other labels keep their spans."""
    kept = [ent for ent in doc.ents if ent.label_ != "DATE"]
    found = []
    for match in dates.find_dates(boundaries.doc_text(doc)):
        span = doc.char_span(match.start, match.end, label="DATE", alignment_mode="expand")
        if span is None or any(span.start < ent.end and ent.start < span.end for ent in kept):
            continue
        span._.normalized = match.normalized
        span._.confidence = match.confidence
        found.append(span)
    for start, end, year in forms.birth_years_in_rows(doc, kept):  # "3 Орлова Мария Петровна 1903 ..."
        span = doc.char_span(start, end, label="DATE")
        if span is not None and not any(span.start < e.end and e.start < span.end for e in kept + found):
            span._.normalized, span._.confidence = year, 0.6
            found.append(span)
    doc.ents = filter_spans(kept + found)
    return doc


def build_pipeline(lang: str, morph: Optional[CachedMorph] = None) -> Language:
    """The spaCy pipeline for one language: its NER, then repairs, rules and normalisation.

    One pymorphy3 analyser serves every component (and, through `morph`, the
    other language's pipeline): each costs ~0.3 s and 15 MB to load, and a shared
    one shares its cache of look-ups.
    """
    if lang == "ru":
        from pipeline.russian import build_russian_nlp

        nlp = build_russian_nlp()
        morph = morph or nlp.get_pipe("slovnet_ner").morph
    elif lang == "kk":
        import pipeline.kazakh  # noqa: F401  (registers the "kk" language class)
        import pipeline.kazakh_phrases  # noqa: F401  (registers testimony_kk_phrases)

        if not (KK_MODEL / "meta.json").exists():
            raise TestimonyError(
                f"the Kazakh NER model is missing from {KK_MODEL}.",
                hint="It ships with the project; restore it with git, or retrain it (training/kk_ner/README).",
            )
        nlp = spacy.load(KK_MODEL)
        pipeline.kazakh.fold_embedding_projection(nlp)  # same entities, ~1.5x the words/s
    else:
        raise ValueError(f"no entity pipeline for language {lang!r}")
    nlp.add_pipe("testimony_cleanup")
    nlp.add_pipe("testimony_organs", config={"lang": lang})
    nlp.add_pipe("testimony_dates")
    if lang == "kk":  # organ names grown over their noun phrase by case endings (pipeline.kazakh_phrases)
        nlp.add_pipe("testimony_kk_phrases")
    if lang == "ru":  # organ and district names grown to their noun phrase (pipeline.syntax)
        nlp.add_pipe("slovnet_syntax")
        nlp.add_pipe("testimony_phrases")
        nlp.add_pipe("testimony_final_bounds")  # line breaks and "г." once more, after the parse
    nlp.add_pipe("testimony_normalize", config={"lang": lang})
    morph = morph or CachedMorph()
    normalizer = Normalizer(morph)
    nlp.get_pipe("testimony_cleanup").morph = morph
    nlp.get_pipe("testimony_cleanup").counts = normalizer.counts
    nlp.get_pipe("testimony_normalize").normalizer = normalizer
    return nlp


class EntityExtractor:
    """Finds the entities of a page, span by span, each with its own language's pipeline."""

    def __init__(self, languages: tuple[str, ...] = ("ru", "kk")):
        self.languages = languages
        self._pipelines: dict[str, Language] = {}
        self._morph: Optional[CachedMorph] = None

    def pipeline(self, lang: str) -> Language:
        if lang not in self._pipelines:
            nlp = build_pipeline(lang, self._morph)
            self._morph = nlp.get_pipe("testimony_cleanup").morph
            self._pipelines[lang] = nlp
        return self._pipelines[lang]

    def extract(self, page: Page) -> list[Entity]:
        return self.extract_pages([page])[0]

    def extract_pages(self, pages: list[Page]) -> list[list[Entity]]:
        """The entities of each page. The pages' spans of one language go through their
        pipeline together, so consecutive pages of a document cost one model call, not one each.
        Dates without a year then take the one their context gives (`pipeline.date_context`)."""
        from pipeline import date_context  # imported here: this method is the pass's only caller

        found = [self._entities(page, docs) for page, docs in zip(pages, self._docs(pages))]
        return date_context.with_years(pages, found, _ocr_evidence)

    def _entities(self, page: Page, docs: list[tuple[LanguageSpan, Doc]]) -> list[Entity]:
        entities: list[Entity] = []
        for span, doc in docs:
            for ent in doc.ents:
                if ent.label_ not in LABELS:
                    continue
                start, end = _trim(page.text, span.start + ent.start_char, span.start + ent.end_char)
                if start >= end:
                    continue
                label, normalized = ent.label_, ent._.normalized
                if span.lang == "kk" and label in ("ORG", "PLACE"):
                    label, end, normalized = self._kazakh_place(page.text, start, end, label, normalized)
                base = ent._.confidence if ent._.confidence is not None else MODEL_CONFIDENCE[span.lang]
                ocr_conf, bbox = _ocr_evidence(page, start, end)
                entities.append(
                    Entity(
                        label=label,
                        text=page.text[start:end],
                        start=start,
                        end=end,
                        lang=span.lang,
                        normalized=normalized,
                        confidence=round(base * (0.5 + 0.5 * ocr_conf), 4),
                        bbox=bbox,
                    )
                )
        entities.extend(_other_language_dates(page))
        entities.extend(self._echoes(page, entities))
        return entities

    def _docs(self, pages: list[Page]) -> list[list[tuple[LanguageSpan, Doc]]]:
        """For each page, (language span, spaCy doc) of every span with a model, in page order.

        The spans of one language go through their pipeline together (`nlp.pipe`):
        a page alternating Russian and Kazakh paragraphs makes many short texts, and
        one call per text spent more time in the models' per-call overhead than in them.
        """
        wanted = [
            (n, sp) for n, page in enumerate(pages) for sp in page.language_spans
            if sp.lang in self.languages and page.text[sp.start : sp.end].strip()  # "und", German: no model
        ]
        docs: dict[int, Doc] = {}
        for lang in dict.fromkeys(sp.lang for _, sp in wanted):
            mine = [k for k, (_, sp) in enumerate(wanted) if sp.lang == lang]
            nlp = self.pipeline(lang)
            made = []
            for k in mine:
                page, span = pages[wanted[k][0]], wanted[k][1]
                doc = nlp.make_doc(page.text[span.start : span.end])
                doc.user_data[cleanup.OCR_TEXT] = page.method != "text-layer"  # mend only what OCR read
                made.append(doc)
            docs.update(zip(mine, nlp.pipe(made)))
        out: list[list[tuple[LanguageSpan, Doc]]] = [[] for _ in pages]
        for k, (n, sp) in enumerate(wanted):
            out[n].append((sp, docs[k]))
        return out

    def _kazakh_place(self, text: str, start: int, end: int, label: str, normalized: Optional[str]):
        """ "Жаркент қаласында": a town, whatever the model said; "Атбасар ауданында": a district,
        and districts and regions keep their type word ("Атбасар ауданы")."""
        follow = _KK_PLACE_TYPE.match(text, end)
        if not follow:
            type_word = re.search(r"\s(уез|аудан|облыс)\w*$", text[start:end], re.I)
            if type_word and label == "ORG":  # "Қарқаралы уезінде" tagged whole, as a body
                normalizer = self.pipeline("kk").get_pipe("testimony_normalize")
                return "PLACE", end, normalizer.cached("PLACE", text[start:end])
            return label, end, normalized
        if follow.group(1).lower().startswith(("аудан", "облыс", "уез", "губерния")):
            end = follow.end()
        normalizer = self.pipeline("kk").get_pipe("testimony_normalize")
        return "PLACE", end, normalizer.cached("PLACE", text[start:end])

    def _echoes(self, page: Page, entities: list[Entity]) -> list[Entity]:
        """ "Әзиза апа да тұтқындалды" after "Әзиза Түбекқызы Рысқұлова": a given name or surname of
        somebody named in full on the page, standing alone where the model did not tag it."""
        known: dict[str, str] = {}
        for entity in entities:
            if entity.label != "PERSON" or not entity.normalized or len(entity.normalized.split()) < 2:
                continue
            normalizer = self.pipeline(entity.lang).get_pipe("testimony_normalize")
            parts = normalizer.normalizer.parts(entity.normalized)
            for part in (parts["given"], parts["surname"]):
                if part and len(part) >= 4 and not part.endswith("."):
                    known[part.lower()] = entity.lang
        if not known:
            return []
        taken = sorted((e.start, e.end) for e in entities)
        echoes = []
        for match in _CAPITALISED.finditer(page.text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken):
                continue
            lang = next((sp.lang for sp in page.language_spans if sp.start <= start < sp.end), None)
            if lang not in self.languages:
                continue
            word = match.group()
            stem = kk_strip_case(word) if lang == "kk" else word
            if stem.lower() not in known and word.lower() not in known:
                continue
            normalizer = self.pipeline(lang).get_pipe("testimony_normalize")
            ocr_conf, bbox = _ocr_evidence(page, start, end)
            echoes.append(Entity(label="PERSON", text=word, start=start, end=end, lang=lang,
                                 normalized=normalizer.cached("PERSON", word),
                                 confidence=round(0.7 * (0.5 + 0.5 * ocr_conf), 4), bbox=bbox))
        return echoes


_CAPITALISED = re.compile(rf"(?<![\w-])[{_UP}][a-zа-яёәғқңөұүһі]+(?:-[{_UP}]?[a-zа-яёәғқңөұүһі]+)?(?![\w-])")
_KK_PLACE_TYPE = re.compile(r"\s{1,4}((?:қала|ауыл|село|кент|аудан|облыс|уез|губерния)(?:сы|ы|і)?\w*)", re.I)
_LEADING = set("-–—,.;:!?«»\"'()[]/*•")
_TRAILING = set("-–—,;:!?«»\"'([/*•")  # a final "." stays: "г.", "Н. Е."


def _other_language_dates(page: Page) -> list[Entity]:
    """German, Polish, Ukrainian and Belarusian paragraphs have no NER model here, but their
    dates are found by rule (`pipeline.dates_other`): numbers and month names are enough."""
    found = []
    for span in page.language_spans:
        if span.lang not in dates_other.LANGUAGES:
            continue
        for match in dates_other.find_dates(page.text[span.start:span.end], span.lang):
            start, end = span.start + match.start, span.start + match.end
            ocr_conf, bbox = _ocr_evidence(page, start, end)
            found.append(Entity(label="DATE", text=match.text, start=start, end=end, lang=span.lang,
                                normalized=match.normalized,
                                confidence=round(match.confidence * (0.5 + 0.5 * ocr_conf), 4), bbox=bbox))
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span off the punctuation and spaces that token alignment dragged in ("-УГБ", "Ева,")."""
    while start < end and (text[start] in _LEADING or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _TRAILING or text[end - 1].isspace()):
        end -= 1
    if end - start > 1 and text[end - 1] == ")" and "(" not in text[start:end]:
        end -= 1
    return start, end


def _ocr_evidence(page: Page, start: int, end: int) -> tuple[float, Optional[list[int]]]:
    """Mean confidence and union box of the OCR words under [start, end); (1.0, None) for text layers."""
    words = [w for w in page.words if w.start < end and start < w.end]
    if not words:
        return 1.0, None
    x0 = min(w.bbox[0] for w in words)
    y0 = min(w.bbox[1] for w in words)
    x1 = max(w.bbox[2] for w in words)
    y1 = max(w.bbox[3] for w in words)
    return sum(w.confidence for w in words) / len(words), [x0, y0, x1, y1]
