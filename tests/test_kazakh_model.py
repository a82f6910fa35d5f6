"""The Kazakh language class (pipeline/kazakh.py) and the committed NER model (models/kk_ner)."""

from __future__ import annotations

from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

import pipeline.kazakh  # noqa: E402,F401  registers "kk"

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "kk_ner"


@pytest.fixture(scope="module")
def blank():
    return spacy.blank("kk")


@pytest.fixture(scope="module")
def nlp():
    if not (MODEL_DIR / "meta.json").exists():
        pytest.fail(f"no trained model in {MODEL_DIR} (run training/kk_ner/train.sh)")
    return spacy.load(MODEL_DIR)


def words(nlp, text):
    return [t.text for t in nlp(text)]


def test_blank_kk_is_kazakh(blank):
    assert blank.lang == "kk"
    assert type(blank).__name__ == "Kazakh"


def test_year_abbreviation_stays_whole(blank):
    assert words(blank, "1937 ж. 15 тамызда") == ["1937", "ж.", "15", "тамызда"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1930-1937 жж. т.б.", ["1930", "-", "1937", "жж.", "т.б."]),
        ("Ақмола обл., Алматы г.", ["Ақмола", "обл.", ",", "Алматы", "г."]),
        ("XIX ғ. басында", ["XIX", "ғ.", "басында"]),
    ],
)
def test_archival_abbreviations(blank, text, expected):
    assert words(blank, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # ғ, қ, ұ are missing from spaCy's letter classes: the final dot must still split off
        ("Ол жоқ.", ["Ол", "жоқ", "."]),
        ("Біз алдық.", ["Біз", "алдық", "."]),
        ("ҚАЗАҚ.", ["ҚАЗАҚ", "."]),
        # numbers and % with hyphenated case endings are one word, as in KazNERD
        ("2020-сыншы жылы 50 %-ке", ["2020-сыншы", "жылы", "50", "%-ке"]),
        ("«Нұр-Сұлтан»", ["«", "Нұр-Сұлтан", "»"]),
    ],
)
def test_kazakh_letters_and_suffixes(blank, text, expected):
    assert words(blank, text) == expected


def test_like_num(blank):
    doc = blank("бес мың 1937")
    assert [t.like_num for t in doc] == [True, True, True]


def test_model_meta(nlp):
    assert nlp.lang == "kk"
    assert set(nlp.get_pipe("ner").labels) == {"PERSON", "DATE", "PLACE", "ORG"}


def test_model_finds_person_place_date(nlp):
    # invented sentence
    doc = nlp("Сәрсенбаев Жиһанша 1937 жылы Қарағанды облысында тұтқындалды.")
    ents = {(e.text, e.label_) for e in doc.ents}
    labels = {label for _, label in ents}
    assert {"PERSON", "PLACE", "DATE"} <= labels, ents
    person = [text for text, label in ents if label == "PERSON"]
    assert any("Сәрсенбаев" in text for text in person), ents
    place = [text for text, label in ents if label == "PLACE"]
    assert any(text.startswith("Қарағанды") for text in place), ents
    date = [text for text, label in ents if label == "DATE"]
    assert any("1937" in text for text in date), ents


def test_model_second_sentence(nlp):
    # invented sentence: a person, a city and a date in another order
    doc = nlp("Алматы қаласында 1938 жылдың 5 наурызында Ахметов Нұрлан атылды.")
    labels = {e.label_ for e in doc.ents}
    assert {"PERSON", "PLACE", "DATE"} <= labels, [(e.text, e.label_) for e in doc.ents]


# invented archival-style Kazakh text
FOLD_TEXTS = [
    "Сәрсенбаев Жиһанша 1937 жылы Қарағанды облысында тұтқындалды.",
    "Алматы қаласында 1938 жылдың 5 наурызында Ахметов Нұрлан атылды.",
    "Жұмабаева Үміт Қасымқызы 1902 жылы Қарқаралы уезінде туған, 1938 ж. АЛЖИР-ге жер аударылды.",
    "Оның күйеуі Бекмағамбетов Сейіт ҚазКСР НКВД үштігінің шешімімен 10 жылға сотталды.",
    "1958 жылғы 12 маусымда Қазақ КСР Жоғарғы сотының ұйғарымымен толық ақталды.",
    "",
]


def test_folded_embedding_gives_the_same_model(nlp):
    """fold_embedding_projection (applied when testimony loads the model) changes speed, not output."""
    import numpy

    folded = spacy.load(MODEL_DIR)
    assert pipeline.kazakh.fold_embedding_projection(folded)
    names = [layer.name for layer in folded.get_pipe("tok2vec").model.get_ref("embed").layers]
    assert "with_array(kk_folded_maxout)" in names
    for text in FOLD_TEXTS:
        plain_vectors = nlp.get_pipe("tok2vec").predict([nlp.make_doc(text)])[0]
        folded_vectors = folded.get_pipe("tok2vec").predict([folded.make_doc(text)])[0]
        assert plain_vectors.shape == folded_vectors.shape
        numpy.testing.assert_allclose(folded_vectors, plain_vectors, atol=1e-4)
        plain = [(e.start_char, e.end_char, e.label_) for e in nlp(text).ents]
        assert [(e.start_char, e.end_char, e.label_) for e in folded(text).ents] == plain


def test_fold_leaves_other_pipelines_alone():
    nlp = spacy.blank("kk")
    assert not pipeline.kazakh.fold_embedding_projection(nlp)
    nlp.add_pipe("ner")
    assert not pipeline.kazakh.fold_embedding_projection(nlp)
