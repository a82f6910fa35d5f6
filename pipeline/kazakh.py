"""A Kazakh ("kk") language class for spaCy.

spaCy ships no Kazakh language (``spacy.blank("kk")`` raises E048). Importing this module
registers one under ``@spacy.registry.languages("kk")``, so that after ``import pipeline.kazakh``
both ``spacy.blank("kk")`` and ``spacy.load("models/kk_ner")`` work.

The defaults borrow the closest relative spaCy has, Kyrgyz (``spacy.lang.ky``): its infix
rules and its tokenizer exceptions (Kyrgyz and Kazakh share "ж." = жыл, "жж." = жылдар,
"млн", "млрд" and the Russian month abbreviations). On top come abbreviations common in
Kazakh archival and administrative text ("т.б.", "обл.", "г.", "ғ.", ...) and Kazakh
number words for ``like_num``. Kyrgyz stop words are not borrowed (they are Kyrgyz words).

spaCy's character classes lack ғ, қ, ұ (and Ғ, Қ, Ұ), so its stock suffix rule would keep
"жоқ." or "алдық." as one token; the prefix/suffix/infix rules here are rebuilt from spaCy's
and Kyrgyz's templates with those letters added. Two departures, both following Kazakh
spelling (and KazNERD's tokenisation): a number with a hyphenated case ending ("1937-жылы",
"2-нші", "1-інші") and "%-ке" / "%-ы" stay one token.

The module also registers the ``kk.RichMultiHashEmbed.v1`` architecture used by the
models/kk_ner pipeline (hash embeddings of several prefix and suffix lengths).
"""

from __future__ import annotations

import spacy
from spacy.attrs import LIKE_NUM
from spacy.lang.char_classes import (
    ALPHA,
    ALPHA_LOWER,
    ALPHA_UPPER,
    CONCAT_QUOTES,
    CURRENCY,
    HYPHENS,
    LIST_CURRENCY,
    LIST_ELLIPSES,
    LIST_ICONS,
    LIST_PUNCT,
    LIST_QUOTES,
    PUNCT,
    UNITS,
)
from spacy.lang.ky.lex_attrs import LEX_ATTRS as _KY_LEX_ATTRS
from spacy.lang.ky.tokenizer_exceptions import TOKENIZER_EXCEPTIONS as _KY_EXCEPTIONS
from spacy.language import BaseDefaults, Language
from spacy.symbols import NORM, ORTH
from spacy.util import update_exc

__all__ = [
    "Kazakh",
    "KazakhDefaults",
    "TOKENIZER_EXCEPTIONS",
    "TOKENIZER_PREFIXES",
    "TOKENIZER_SUFFIXES",
    "TOKENIZER_INFIXES",
    "like_num",
    "RichMultiHashEmbed",
]

# --- character classes: spaCy's plus the Kazakh letters it lacks -----------------------
_KK_LOWER = "ғқұ"
_KK_UPPER = "ҒҚҰ"
KK_ALPHA_LOWER = ALPHA_LOWER + _KK_LOWER
KK_ALPHA_UPPER = ALPHA_UPPER + _KK_UPPER
KK_ALPHA = ALPHA + _KK_LOWER + _KK_UPPER

# --- punctuation rules (spacy.lang.punctuation / spacy.lang.ky.punctuation, adapted) ---
TOKENIZER_PREFIXES = (
    ["§", "=", "—", "–", r"\+(?![0-9])"]  # no "%": "%-ке" is one word
    + LIST_PUNCT
    + LIST_ELLIPSES
    + LIST_QUOTES
    + LIST_CURRENCY
    + LIST_ICONS
)

TOKENIZER_SUFFIXES = (
    LIST_PUNCT
    + LIST_ELLIPSES
    + LIST_QUOTES
    + LIST_ICONS
    + ["—", "–"]
    + [
        r"(?<=[0-9])\+",
        r"(?<=°[FfCcKk])\.",
        r"(?<=[0-9])(?:{c})".format(c=CURRENCY),
        r"(?<=[0-9])(?:{u})".format(u=UNITS),
        r"(?<=[0-9{al}{e}{p}(?:{q})])\.".format(al=KK_ALPHA_LOWER, e=r"%²\-\+", q=CONCAT_QUOTES, p=PUNCT),
        r"(?<=[{au}][{au}])\.".format(au=KK_ALPHA_UPPER),
    ]
)

_hyphens_no_dash = HYPHENS.replace("-", "").strip("|").replace("||", "")
TOKENIZER_INFIXES = (
    LIST_ELLIPSES
    + LIST_ICONS
    + [
        r"(?<=[{al}])\.(?=[{au}])".format(al=KK_ALPHA_LOWER, au=KK_ALPHA_UPPER),
        r"(?<=[{a}])[,!?/()]+(?=[{a}])".format(a=KK_ALPHA),
        r"(?<=[{a}{q}])[:<>=](?=[{a}])".format(a=KK_ALPHA, q=CONCAT_QUOTES),
        r"(?<=[{a}])--(?=[{a}])".format(a=KK_ALPHA),
        r"(?<=[{a}]),(?=[{a}])".format(a=KK_ALPHA),
        r"(?<=[{a}])([{q}\)\]\(\[])(?=[\-{a}])".format(a=KK_ALPHA, q=CONCAT_QUOTES),
        r"(?<=[{a}])(?:{h})(?=[{a}])".format(a=KK_ALPHA, h=_hyphens_no_dash),
        r"(?<=[0-9])-(?=[0-9])",
    ]
)

# Abbreviations kept whole (with their dot) by the tokenizer, each with its full form as NORM.
# Lower-case entries are also added capitalised ("Обл.", "Г.").
_KK_ABBREVIATIONS = {
    # years, centuries, eras
    "ж.": "жыл",
    "жж.": "жылдар",
    "ғ.": "ғасыр",
    "ғғ.": "ғасырлар",
    "б.з.б.": "біздің заманымызға дейін",
    "б.з.": "біздің заманымыз",
    "г.": "год",  # Russian "год"/"город", frequent in Soviet-era Kazakh papers
    "гг.": "годы",
    # "and so on"
    "т.б.": "тағы басқа",
    "т.с.с.": "тағы сол сияқты",
    "т.т.": "тағы тағы",
    "ж.т.б.": "және тағы басқа",
    # administrative units and addresses
    "обл.": "облысы",
    "ауд.": "ауданы",
    "кеңш.": "кеңшары",
    "көш.": "көшесі",
    "с.": "село",
    "р-н": "район",
    "р-ны": "ауданы",
    # people and institutions
    "жолд.": "жолдас",
    "тов.": "товарищ",
    "им.": "имени",
    "ақад.": "академик",
    "проф.": "профессор",
    "№": "№",
    # Kazakh month abbreviations that are not also words ("там.", "қар.", "жел." are left out:
    # там, қар, жел, қаз, қыр end sentences as ordinary words); Kyrgyz covers the Russian ones
    "қаң.": "қаңтар",
    "ақп.": "ақпан",
    "нау.": "наурыз",
    "сәу.": "сәуір",
    "мам.": "мамыр",
    "мау.": "маусым",
    "шіл.": "шілде",
    # numbers
    "млн.": "миллион",
    "млрд.": "миллиард",
}


def _kazakh_exceptions() -> dict:
    exc = {}
    for orth, norm in _KK_ABBREVIATIONS.items():
        variants = {orth, orth[:1].upper() + orth[1:]}
        for variant in variants:
            exc[variant] = [{ORTH: variant, NORM: norm}]
    return exc


TOKENIZER_EXCEPTIONS = update_exc(_KY_EXCEPTIONS, _kazakh_exceptions())

_KK_NUM_WORDS = {
    "нөл", "ноль", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз",
    "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан",
    "жүз", "мың", "миллион", "миллиард", "триллион",
}  # fmt: skip
_ky_like_num = _KY_LEX_ATTRS[LIKE_NUM]


def like_num(text: str) -> bool:
    if _ky_like_num(text):
        return True
    return text.lower() in _KK_NUM_WORDS


class KazakhDefaults(BaseDefaults):
    tokenizer_exceptions = TOKENIZER_EXCEPTIONS
    prefixes = TOKENIZER_PREFIXES
    suffixes = TOKENIZER_SUFFIXES
    infixes = TOKENIZER_INFIXES
    lex_attr_getters = {LIKE_NUM: like_num}


@spacy.registry.languages("kk")
class Kazakh(Language):
    lang = "kk"
    Defaults = KazakhDefaults


# --- a richer embedding for an agglutinative language ------------------------------------
# spaCy 3.8's MultiHashEmbed only sees PREFIX (first letter) and SUFFIX (last three letters).
# Kazakh stacks case, possessive and plural endings ("облысында", "Назарбаевтың"), so the
# NER model embeds several prefix and suffix lengths of the lower-cased word as well, like
# spacy-experimental's RichMultiHashEmbed. Registered here because a trained pipeline needs
# the function at load time too (``import pipeline.kazakh`` before ``spacy.load``).


def _affix_ids(text: str, pref_lengths, suff_lengths, cache: dict) -> tuple:
    ids = cache.get(text)
    if ids is None:
        from spacy.strings import get_string_id

        low = text.lower()
        feats = [low[:n] for n in pref_lengths] + [low[-n:] for n in suff_lengths]
        ids = tuple(get_string_id(f) for f in feats)
        if len(cache) < 500_000:
            cache[text] = ids
    return ids


@spacy.registry.layers("kk.AffixFeatures.v1")
def AffixFeatures(attrs, pref_lengths, suff_lengths):
    """Docs -> one uint64 array per doc: the token attributes, then the hashed affixes."""
    import numpy
    from thinc.api import Model

    from spacy.attrs import intify_attr

    attr_ids = [intify_attr(a) for a in attrs]
    pref_lengths = tuple(pref_lengths)
    suff_lengths = tuple(suff_lengths)
    cache: dict = {}

    def forward(model, docs, is_train):
        out = []
        for doc in docs:
            lex = doc.to_array(attr_ids)
            if lex.ndim == 1:
                lex = lex.reshape((-1, 1))
            affixes = numpy.asarray(
                [_affix_ids(t.text, pref_lengths, suff_lengths, cache) for t in doc],
                dtype="uint64",
            ).reshape((len(doc), len(pref_lengths) + len(suff_lengths)))
            out.append(model.ops.asarray2i(numpy.hstack([lex.astype("uint64"), affixes]), dtype="uint64"))
        return out, lambda d_features: []

    return Model("kk_affix_features", forward, attrs={"attrs": attr_ids})


@spacy.registry.architectures("kk.RichMultiHashEmbed.v1")
def RichMultiHashEmbed(
    width: int,
    attrs: list,
    rows: list,
    pref_lengths: list,
    pref_rows: list,
    suff_lengths: list,
    suff_rows: list,
):
    """spaCy's MultiHashEmbed (without static vectors) plus prefix/suffix tables.

    One HashEmbed table per attribute (``attrs``/``rows``), per prefix length
    (``pref_lengths``/``pref_rows``) and per suffix length (``suff_lengths``/``suff_rows``),
    concatenated and mixed down to ``width`` by a Maxout layer.
    """
    from thinc.api import HashEmbed, Maxout, chain, concatenate, list2ragged, ragged2list, with_array

    if len(rows) != len(attrs) or len(pref_rows) != len(pref_lengths) or len(suff_rows) != len(suff_lengths):
        raise ValueError("kk.RichMultiHashEmbed.v1: each rows list must match its attrs/lengths list")
    all_rows = list(rows) + list(pref_rows) + list(suff_rows)
    embeddings = [
        HashEmbed(width, n_rows, column=i, seed=8 + i, dropout=0.0) for i, n_rows in enumerate(all_rows)
    ]
    return chain(
        AffixFeatures(attrs, pref_lengths, suff_lengths),
        list2ragged(),
        with_array(concatenate(*embeddings)),
        with_array(Maxout(width, width * len(embeddings), nP=3, dropout=0.0, normalize=True)),
        ragged2list(),
    )


# -- inference: the embedding's Maxout folded into its hash tables -------------------------------
# The embedding concatenates ten 128-wide hash-table rows per token (1,280 numbers) and mixes them
# with a Maxout whose first step is a linear map to 3 x 128 pieces. A linear map of a sum of rows
# is the sum of the mapped rows, so at inference each table can be multiplied by its slice of the
# Maxout weights once, at load time, and a token then costs 40 row look-ups instead of a
# 1,280 x 384 matrix product: about half of the tok2vec's time on CPU.


def fold_embedding_projection(nlp) -> bool:
    """Rewrite a loaded kk pipeline's tok2vec embedding for inference; True when it was done.

    Same model, same outputs up to float32 rounding (tests/test_kazakh_model.py compares the
    entities on KazNERD-style text); training is unaffected (it never sees this layer).
    Leaves a pipeline of any other shape untouched.
    """
    from thinc.api import Model, chain, with_array

    try:
        embed = nlp.get_pipe("tok2vec").model.get_ref("embed")
        tables_layer, mix_layer = embed.layers[2], embed.layers[3]
        tables = tables_layer.layers[0].layers  # ints-getitem >> hashembed, one per feature column
        maxout_ln, dropout = mix_layer.layers[0].layers
        maxout, layernorm = maxout_ln.layers
    except (KeyError, IndexError, ValueError, AttributeError):
        return False
    if maxout.name != "maxout" or layernorm.name != "layernorm" or any(t.layers[1].name != "hashembed" for t in tables):
        return False
    ops = maxout.ops
    n_out, n_pieces, n_in = maxout.get_param("W").shape
    weights = ops.reshape2f(maxout.get_param("W"), n_out * n_pieces, n_in)
    folded, offset = [], 0
    for table in tables:
        getitem, hashembed = table.layers
        vectors = hashembed.get_param("E")
        width = vectors.shape[1]
        projected = ops.gemm(vectors, ops.as_contig(weights[:, offset : offset + width]), trans2=True)
        folded.append((getitem.attrs["index"][1], hashembed.attrs["seed"], projected))
        offset += width
    if offset != n_in:
        return False
    bias = ops.reshape1f(maxout.get_param("b"), n_out * n_pieces)

    def forward(model, features, is_train):
        mixed = ops.alloc2f(features.shape[0], n_out * n_pieces) + bias
        for column, seed, projected in folded:
            ids = ops.as_contig(features[:, column], dtype="uint64")
            mixed += ops.gather_add(projected, ops.hash(ids, seed) % projected.shape[0])
        best, _ = ops.maxout(ops.reshape3f(mixed, mixed.shape[0], n_out, n_pieces))
        return best, lambda d: d  # inference only

    embed.layers[2] = with_array(Model("kk_folded_maxout", forward))
    embed.layers[3] = with_array(chain(layernorm, dropout))
    return True
