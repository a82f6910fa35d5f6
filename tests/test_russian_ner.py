"""Russian NER component (pipeline/russian.py): Slovnet in spaCy plus the archive repairs.

Every sentence here is invented for the test (no corpus, nothing from /work/shared). The model
is loaded once per module; the rule tests further down run without it (fixed input spans).
"""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")
pytest.importorskip("slovnet")
pytest.importorskip("navec")
pytest.importorskip("razdel")

from pipeline import russian  # noqa: E402

try:
    russian.natasha_data_dir()
except FileNotFoundError:  # pragma: no cover - the natasha package (model files) is missing
    pytest.skip("natasha package data (Slovnet NER weights) not installed", allow_module_level=True)

HAS_MORPH = russian.load_morph() is not None
needs_morph = pytest.mark.skipif(not HAS_MORPH, reason="pymorphy3 not installed")


@pytest.fixture(scope="module")
def nlp():
    return russian.build_russian_nlp()


def ents(nlp, text):
    doc = nlp(text)
    return {(e.text, e.label_) for e in doc.ents}


# --------------------------------------------------------------------------- the spaCy side


def test_pipeline_shape(nlp):
    assert nlp.lang == "ru"
    assert nlp.pipe_names == ["slovnet_ner"]
    doc = nlp("")
    assert list(doc.ents) == []


def test_basic_sentence(nlp):
    text = "Гражданка Ковалёва Анна Ивановна, уроженка г. Житомира, осуждена Особым совещанием при НКВД СССР."
    doc = nlp(text)
    assert doc.text == text  # normalisation never touches the document itself
    found = {(e.text, e.label_) for e in doc.ents}
    assert ("Ковалёва Анна Ивановна", "PERSON") in found
    assert ("Житомира", "PLACE") in found
    assert ("НКВД", "ORG") in found
    assert ("Особым совещанием", "ORG") in found
    assert {e.label_ for e in doc.ents} <= {"PERSON", "PLACE", "ORG"}
    for e in doc.ents:  # real spaCy spans on token bounds
        assert doc.text[e.start_char: e.end_char] == e.text


def test_pipe_equals_call(nlp):
    texts = [
        "Свидетель Лемешко Ф. Д. показал, что Ганиев Абдулла вёл антисоветские разговоры.",
        "Телеграмма из Москвы: Рахимжанова Турсынбека этапировать в Долинку.",
        "",
    ]
    piped = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]
    single = [[(e.start_char, e.end_char, e.label_) for e in nlp(t).ents] for t in texts]
    assert piped == single


def test_slovnet_gets_the_same_vectors_as_from_navec_load():
    """The trimmed loader (no vocabulary, no similarity table) hands Slovnet the very same vectors."""
    import numpy as np
    from navec import Navec

    path = russian.natasha_data_dir() / russian.NAVEC_FILE
    full, trimmed = Navec.load(str(path)), russian.load_navec_vectors(path)
    assert trimmed.meta.id == full.meta.id and trimmed.vocab is None
    assert np.array_equal(trimmed.pq.indexes, full.pq.indexes) and np.array_equal(trimmed.pq.codes, full.pq.codes)


def test_factory_config_switches():
    raw = spacy.blank("ru")
    raw.add_pipe("slovnet_ner", config={"normalize": False, "postprocess": False})
    doc = raw("Телеграмма из Москвы: Рахимжанова Турсынбека этапировать в Долинку.")
    assert ("Москвы", "PLACE") in {(e.text, e.label_) for e in doc.ents}


# --------------------------------------------------------------------------- archive weak spots


@needs_morph
def test_surname_first_genitive(nlp):
    found = ents(nlp, "Протокол допроса обвиняемой Зелинской Ядвиги Станиславовны, 1904 года рождения.")
    assert ("Зелинской Ядвиги Станиславовны", "PERSON") in found
    found = ents(nlp, "Дело Абдурахмановой Натальи Петровны направлено в Карлаг.")
    assert ("Абдурахмановой Натальи Петровны", "PERSON") in found
    assert ("Карлаг", "ORG") in found


def test_initials(nlp):
    found = ents(nlp, "Показания Тухачевской Н. Е. и Мессерер Р. М. записаны со слов И. Шапиро.")
    assert ("Тухачевской Н. Е.", "PERSON") in found
    assert ("Мессерер Р. М.", "PERSON") in found
    assert ("И. Шапиро", "PERSON") in found
    found = ents(nlp, "Заявление гр. Мусабековой Р. К. о пересмотре дела оставлено без удовлетворения.")
    assert ("Мусабековой Р. К.", "PERSON") in found


def test_kazakh_names(nlp):
    found = ents(nlp, "Жена Рыскулова Турара, Ахметова Бибигуль Касымовна, арестована в Алма-Ате.")
    assert ("Рыскулова Турара", "PERSON") in found
    assert ("Ахметова Бибигуль Касымовна", "PERSON") in found
    assert ("Алма-Ате", "PLACE") in found


@needs_morph
def test_upper_case_typewriter(nlp):
    text = ("СЛУШАЛИ: ДЕЛО № 3341 ПО ОБВИНЕНИЮ САРСЕНБАЕВА КАЙРАТА ОМАРОВИЧА, 1901 Г.Р., "
            "УРОЖЕНЦА КАРКАРАЛИНСКОГО РАЙОНА.")
    found = ents(nlp, text)
    assert ("САРСЕНБАЕВА КАЙРАТА ОМАРОВИЧА", "PERSON") in found
    assert ("КАРКАРАЛИНСКОГО РАЙОНА", "PLACE") in found


@needs_morph
def test_caps_surname_in_mixed_text(nlp):
    found = ents(nlp, "Обвиняемый КОРНИЛОВ Степан Игнатьевич, 1899 г.р., уроженец с. Михайловка Акмолинского уезда.")
    assert ("КОРНИЛОВ Степан Игнатьевич", "PERSON") in found
    assert ("Михайловка", "PLACE") in found


@needs_morph
def test_lower_case_paragraph(nlp):
    found = ents(nlp, "обвиняемая гринберг софья марковна проживала в г. семипалатинске с 1929 года.")
    assert ("гринберг софья марковна", "PERSON") in found
    assert ("семипалатинске", "PLACE") in found


def test_ocr_latin_letters(nlp):
    text = "Осуждeнная Бeлоусова Зинаида Тарасовна прибыла этапом из Кaраганды."  # e, a are Latin
    found = ents(nlp, text)
    assert ("Бeлоусова Зинаида Тарасовна", "PERSON") in found
    assert ("Кaраганды", "PLACE") in found


def test_year_is_not_a_town(nlp):
    found = ents(nlp, "В 1937 г. Лисицын переехал в г. Омск.")
    assert ("Лисицын", "PLACE") not in found
    assert ("Омск", "PLACE") in found


# --------------------------------------------------------------------------- rules without the model


def _spans(text, *pieces):
    out = []
    for piece, label in pieces:
        start = text.index(piece)
        out.append((start, start + len(piece), label))
    return out


def _texts(text, spans):
    return {(text[s:e], label) for s, e, label in spans}


@pytest.fixture(scope="module")
def post():
    return russian.PostProcessor(russian.load_morph())


def test_rule_join_and_title(post):
    text = "Гражданка Ковалева Анна Ивановна осуждена."
    spans = _spans(text, ("Гражданка Ковалева", "PERSON"), ("Анна Ивановна", "PERSON"))
    assert _texts(text, post(text, spans)) == {("Ковалева Анна Ивановна", "PERSON")}


@needs_morph
def test_rule_no_join_across_cases(post):
    # "секретарь Сейткалиева" (genitive, whose secretary) is not part of "Марат Омаров" (nominative)
    text = "Протокол подписал секретарь Сейткалиева Марат Омаров."
    spans = _spans(text, ("Сейткалиева", "PERSON"), ("Марат Омаров", "PERSON"))
    assert _texts(text, post(text, spans)) == {("Сейткалиева", "PERSON"), ("Марат Омаров", "PERSON")}
    spans = _spans(text, ("Марат Омаров", "PERSON"))
    assert _texts(text, post(text, spans)) == {("Марат Омаров", "PERSON")}


@needs_morph
def test_rule_surname_in_front(post):
    text = "Дело Абдурахмановой Натальи Петровны направлено в архив."
    spans = _spans(text, ("Натальи Петровны", "PERSON"))
    assert _texts(text, post(text, spans)) == {("Абдурахмановой Натальи Петровны", "PERSON")}


def test_rule_initials(post):
    text = "Допрошена Тухачевской Н. Е. в присутствии Петрова И.С. и К. Л. Орловой."
    spans = _spans(text, ("Н. Е.", "PERSON"))
    assert _texts(text, post(text, spans)) == {
        ("Тухачевской Н. Е.", "PERSON"),
        ("Петрова И.С.", "PERSON"),
        ("К. Л. Орловой", "PERSON"),
    }


def test_rule_places_after_abbreviations(post):
    text = "Родилась в с. Покровка, в 1937 г. Иванов переехал в г. Житомир, затем в пос. Осакаровка."
    out = _texts(text, post(text, []))
    assert ("Покровка", "PLACE") in out
    assert ("Житомир", "PLACE") in out
    assert ("Осакаровка", "PLACE") in out
    assert ("Иванов", "PLACE") not in out


def test_rule_institutions(post):
    text = "Осуждена Особым совещанием, направлена в Карлаг, работала в Наркомпросе."
    spans = _spans(text, ("Особым совещанием", "PLACE"), ("Карлаг", "PLACE"), ("Наркомпросе", "PLACE"))
    assert _texts(text, post(text, spans)) == {
        ("Особым совещанием", "ORG"), ("Карлаг", "ORG"), ("Наркомпросе", "ORG")
    }


@needs_morph
def test_normalizer_is_length_preserving():
    norm = russian.Normalizer(russian.load_morph())
    text = "ГРАЖДАНКА КОВАЛЕВА АННА ИВАНОВНА, УРОЖЕНКА Г. ЖИТОМИРА, ОСУЖДЕНА ПРИ НКВД СССР.\n\nКовaлёва и Windows."
    out = norm(text)
    assert len(out) == len(text)
    assert out.startswith("Гражданка Ковалева Анна Ивановна, уроженка г. Житомира, осуждена при НКВД СССР.")
    assert out.endswith("Ковалева и Windows.")  # Latin a in a Cyrillic word fixed, ё -> е, Latin word kept


def test_rules_without_pymorphy3():
    post = russian.PostProcessor(None)
    text = "Президент Украины Петр Порошенко и Ковалева Анна Ивановна прибыли в г. Житомир."
    spans = _spans(text, ("Украины", "PLACE"), ("Петр Порошенко", "PERSON"), ("Анна Ивановна", "PERSON"))
    out = _texts(text, post(text, spans))
    assert ("Петр Порошенко", "PERSON") in out  # no dictionary: no guessing across "Украины"
    assert ("Ковалева Анна Ивановна", "PERSON") in out  # surname + name + patronymic ending
    assert ("Житомир", "PLACE") in out
    norm = russian.Normalizer(None)
    text = "ОБВИНЯЕМЫЙ ПЕТРОВ ИВАН СЕРГЕЕВИЧ"
    assert len(norm(text)) == len(text)


def test_long_text_is_chunked(nlp):
    sentence = "Гражданка Ковалёва Анна Ивановна, уроженка г. Житомира, прибыла в Акмолинск. "
    text = "\n\n".join(sentence * 20 for _ in range(20))  # about 31,000 characters, several chunks
    assert len(text) > russian.MAX_CHUNK_CHARS
    doc = nlp(text)
    people = [e for e in doc.ents if e.label_ == "PERSON"]
    assert len(people) == 400
    assert all(e.text == "Ковалёва Анна Ивановна" for e in people)


# --- razdel's tokens through the memo of pieces (pipeline.russian._tokens) --------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKEN_MEMO: dict = {}  # shared by all examples, as a SlovnetNER keeps it
_PIECE_TEXT = st.text(alphabet=list("аБвёXyz019 \n\t\u00a0‑–—−-_.,/\\!?()«»:;%*+№…\"'Δσ"), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECE_TEXT | st.sampled_from(["г.", "т. е.", "1937-1938", "3,5", "1/2", "ВКП(б)", "- уверен"]),
                max_size=5))
def test_tokens_through_the_memo_are_razdels(parts):
    """Pieces tokenised alone and remembered give razdel's tokens of the whole text: a dash, dot,
    comma, slash or underscore at a word's edge ("а -б", "1. 5") ties it to its neighbour."""
    text = " ".join(parts)
    whole = [(t.start, t.end, t.text) for t in russian._tokens(text)]
    assert [(t.start, t.end, t.text) for t in russian._tokens(text, _TOKEN_MEMO)] == whole


def test_a_mark_at_a_word_edge_keeps_the_neighbour_in_its_piece():
    """razdel joins "-б" in "а -б" (it reads "а" across the space) but not "-б" alone."""
    assert [t.text for t in russian._tokens("а -б")] == ["а", "-б"]
    assert list(russian._pieces("а -б в")) == [(0, 4), (5, 6)]
    assert [t.text for t in russian._tokens("а -б в", {})] == ["а", "-б", "в"]


def test_homoglyphs_fixed_only_where_latin_letters_are():
    """"Иванoв" (Latin o) is read as Cyrillic; a text with no Latin letter comes back as it is."""
    assert russian._fix_homoglyphs("гр. Иванoв Пётр") == "гр. Иванов Пётр"
    assert russian._fix_homoglyphs("Dr. Schmidt, гр. Иванов") == "Dr. Schmidt, гр. Иванов"
    text = "гр. Иванов Пётр, 1901 г. р."
    assert russian._fix_homoglyphs(text) is text


def test_token_memo_stays_bounded(monkeypatch):
    """Full, the memo of pieces starts afresh; the tokens are razdel's all the same."""
    monkeypatch.setattr(russian, "_TOKEN_MEMO_MAX", 2)
    memo: dict = {}
    text = "Иванов И. И., 1901 г. р., уроженец с. Ивановка - арестован 5.XI.1937"
    assert [(t.start, t.end, t.text) for t in russian._tokens(text, memo)] == \
        [(t.start, t.end, t.text) for t in russian._tokens(text)]
    assert 0 < len(memo) <= 2
