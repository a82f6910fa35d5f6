"""The `testimony_final_bounds` component: a span's bounds once more, after the parse.

The parse grows names to their noun phrase and may climb past what the conventions
keep: a form's next line, or the "г." before a town (which the parse would take into
the clause). After it, a place or body still ends at a form's line; a PLACE takes the
abbreviated settlement type before it and the abbreviated region after it; a body named
by abbreviations takes the place adjective before it.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.boundaries import cut_at_line_end, doc_text


# Abbreviated settlement types, which the conventions keep inside a PLACE ("г. Москвы", "с. Малин");
# not after a year ("1937 г. Москва" is a date's "г.").
_TYPE_WORD_BEFORE = re.compile(r"(?:^|(?<=[\s(«\"]))(?:г|гор|с|пос|п|д|дер|ст|х|пгт|р\.\s?п)\.\s?$")
_YEAR_BEFORE = re.compile(r"\d\s*$")


def with_type_word(ent: Span) -> Span:
    """A PLACE with the abbreviated settlement type written right before it."""
    if ent.label_ != "PLACE":
        return ent
    text = doc_text(ent.doc)
    before = text[max(0, ent.start_char - 8) : ent.start_char]
    m = _TYPE_WORD_BEFORE.search(before)
    if not m or _YEAR_BEFORE.search(before[: m.start()]):
        return ent
    start = ent.start_char - (len(before) - m.start())
    span = ent.doc.char_span(start, ent.end_char, label="PLACE", alignment_mode="expand")
    return span if span is not None and span.end == ent.end else ent


class FinalBounds:
    """The last word on a span's bounds, after the parse has grown names: a place or body still ends
    at a form's line break ("ДОЛИНСКИЙ ИТЛ НКВД" / "СПРАВКА № 3051"), and a PLACE takes the
    abbreviated settlement type before it, where no other entity holds it (the parse would climb from
    "г." into the clause)."""

    def __init__(self, morph):
        self.morph = morph

    def __call__(self, doc: Doc) -> Doc:
        ents: list = []
        for ent in doc.ents:
            ent = cut_at_line_end(self.morph, ent)
            if ent is None:
                continue
            grown = with_place_adjective(with_region_abbreviation(with_type_word(ent)))
            ents.append(grown if not ents or ents[-1].end <= grown.start else ent)
        doc.ents = ents
        return doc


@Language.factory("testimony_final_bounds")
def make_final_bounds(nlp: Language, name: str) -> FinalBounds:
    from pipeline.russian import load_morph

    ner = nlp.get_pipe("slovnet_ner") if "slovnet_ner" in nlp.pipe_names else None
    return FinalBounds(getattr(ner, "morph", None) or load_morph())


_REGION_ABBR_AFTER = re.compile(r"^ (?:обл|губ|у|р-на?|р-не|вол|окр|кр)\.")
_PLACE_ADJECTIVE = re.compile(r"[сц]к(?:ий|ого|ому|им|ом|ая|ой|ую|ое)$", re.I)


def with_region_abbreviation(ent: Span) -> Span:
    """ "Рязанской" + " губ.": a place adjective takes the abbreviated region word after it."""
    if ent.label_ != "PLACE" or not _PLACE_ADJECTIVE.search(ent.text):
        return ent
    m = _REGION_ABBR_AFTER.match(doc_text(ent.doc)[ent.end_char : ent.end_char + 8])
    span = ent.doc.char_span(ent.start_char, ent.end_char + m.end(), label="PLACE", alignment_mode="expand") if m else None
    return span if span is not None else ent


def with_place_adjective(ent: Span) -> Span:
    """ "Кустанайским" + "РО НКВД", "Семипалатинским ГО" + "НКВД": a body named by an abbreviation takes
    the department's abbreviation and the place adjective before it."""
    if ent.label_ != "ORG" or ent.start == 0 or not ent[0].is_upper:
        return ent
    doc, text = ent.doc, doc_text(ent.doc)
    start = ent.start

    def spaced(left) -> bool:
        return text[left.idx + len(left) : doc[left.i + 1].idx] == " "

    if start > 1 and doc[start - 1].is_upper and doc[start - 1].is_alpha and len(doc[start - 1]) <= 5 \
            and spaced(doc[start - 1]):
        start -= 1  # "ГО", "РО", "УРО"
    before = doc[start - 1] if start > 0 else None
    if before is not None and before.is_title and _PLACE_ADJECTIVE.search(before.text) and spaced(before):
        return Span(doc, before.i, ent.end, label="ORG")
    return ent
