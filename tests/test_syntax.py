"""Organ and district names as whole noun phrases (pipeline.syntax): issue 14, classes 1 and 2.

The sentences are written for these tests; none comes from an evaluation set.
"""

import pytest

from pipeline.syntax import Phrase, Word, split_words

# class 1: the names of bodies, one ORG each, no PLACE inside (sentence, expected normalized ORG)
ORGS = [
    ("Приговором Военной коллегии Верховного суда СССР он осуждён к расстрелу.", "Военная коллегия Верховного суда СССР"),
    ("Дело пересмотрено Военной коллегией Верховного суда СССР в 1956 году.", "Военная коллегия Верховного суда СССР"),
    ("Особое совещание при НКВД СССР постановило выслать её на пять лет.", "Особое совещание при НКВД СССР"),
    ("Решением Особого совещания при НКВД СССР муж был осуждён.", "Особое совещание при НКВД СССР"),
    ("Указом Президиума Верховного Совета Казахской ССР она награждена медалью.",
     "Президиум Верховного Совета Казахской ССР"),
    ("Ходатайство направлено в Президиум Верховного Совета Казахской ССР.", "Президиум Верховного Совета Казахской ССР"),
    ("Протест по делу внесла прокуратура Акмолинской области.", "прокуратура Акмолинской области"),
    ("Заявление сестры поступило в прокуратуру Карагандинской области.", "прокуратура Карагандинской области"),
    ("Отец состоял членом Каркаралинского райкома ВКП(б).", "Каркаралинский райком ВКП(б)"),
    ("Его исключили из Каркаралинского райкома ВКП(б) в 1937 году.", "Каркаралинский райком ВКП(б)"),
    ("Письмо переслали в ЦК КП(б) Казахстана.", "ЦК КП(б) Казахстана"),
    ("Заявление рассматривалось в ЦК КП(б) Казахстана весной.", "ЦК КП(б) Казахстана"),
    ("Тайшетский горком партии исключил его из рядов партии.", "Тайшетский горком партии"),
    ("Секретарём Тайшетского горкома партии был назначен Петров.", "Тайшетский горком партии"),
    ("Жалобу матери рассмотрел Карагандинский областной суд.", "Карагандинский областной суд"),
    ("Его вызвали в Семипалатинский обком партии.", "Семипалатинский обком партии"),
    ("Характеристику выдал Акмолинский горком ВКП(б).", "Акмолинский горком ВКП(б)"),
    ("Справку о реабилитации подписал председатель Верховного суда Казахской ССР.", "Верховный суд Казахской ССР"),
    ("Запрос ушёл в прокуратуру Павлодарской области в марте.", "прокуратура Павлодарской области"),
    ("Решение Президиума Верховного Совета СССР было объявлено в лагере.", "Президиум Верховного Совета СССР"),
    ("Её допрашивали в Осакаровском райотделе НКВД.", "Осакаровский райотдел НКВД"),
    ("Справку выдал Тельмановский райисполком в 1956 году.", "Тельмановский райисполком"),
]

# class 2: districts with their region, one PLACE each (sentence, expected normalized PLACE)
PLACES = [
    ("Родилась в Балхашском районе Карагандинской области.", "Балхашский район Карагандинской области"),
    ("Семья выслана в Улытауский район Джезказганской области.", "Улытауский район Джезказганской области"),
    ("Она уроженка Шетского района Карагандинской области, колхозница.", "Шетский район Карагандинской области"),
    ("До ареста жил в Удерейском районе Красноярского края.", "Удерейский район Красноярского края"),
    ("Переселенцев отправили в Тельмановский район Карагандинской области.", "Тельмановский район Карагандинской области"),
    ("Её направили в Енбекшиказахский район Алма-Атинской области.", "Енбекшиказахский район Алма-Атинской области"),
    ("Место ссылки: Осакаровский район Карагандинской области.", "Осакаровский район Карагандинской области"),
    ("После освобождения она уехала в Нуринский район Карагандинской области.", "Нуринский район Карагандинской области"),
    ("Из Кзыл-Ординской области он перебрался в Сарысуский район Джамбулской области.",
     "Сарысуский район Джамбулской области"),
    ("Колхоз находился в Акмолинском районе Акмолинской области.", "Акмолинский район Акмолинской области"),
]

# no phrase of its own: the parser must not make an entity of a head word without a name
NEGATIVES = [
    ("Её муж жил в районе Карагандинской области.", [("PLACE", "Карагандинская область")]),
    ("По решению суда имущество семьи конфисковано.", []),
    ("Прокуратура сообщила о пересмотре дела.", []),
    ("Жалоба Ивановой ушла в прокуратуру Акмолинской области.",
     [("PERSON", "Иванова"), ("ORG", "прокуратура Акмолинской области")]),
]


@pytest.fixture(scope="module")
def nlp():
    from pipeline.entities import build_pipeline

    return build_pipeline("ru")


def _ents(nlp, text):
    return [(e.label_, e._.normalized) for e in nlp(text).ents if e.label_ != "DATE"]


@pytest.mark.parametrize("text,org", ORGS)
def test_organ_name_is_one_org(nlp, text, org):
    ents = _ents(nlp, text)
    assert ("ORG", org) in ents, ents
    assert not [e for e in ents if e[0] == "PLACE"], ents  # flat: no place inside the body's name


@pytest.mark.parametrize("text,place", PLACES)
def test_district_with_region_is_one_place(nlp, text, place):
    ents = _ents(nlp, text)
    assert ("PLACE", place) in ents, ents
    assert len([e for e in ents if e[0] == "PLACE"]) == (2 if "Из " in text else 1), ents


@pytest.mark.parametrize("text,expected", NEGATIVES)
def test_head_word_without_a_name_is_no_entity(nlp, text, expected):
    assert sorted(_ents(nlp, text)) == sorted(expected)


def test_only_sentences_with_a_candidate_are_parsed(nlp):
    doc = nlp("Мама пекла хлеб в Москве. Осуждена Особым совещанием при НКВД СССР. По решению суда дом отобрали.")
    parsed = [" ".join(w.text for w in words) for words in doc._.syntax]
    assert parsed == ["Осуждена Особым совещанием при НКВД СССР ."]
    token = next(t for t in doc if t.text == "совещанием")
    assert token.pos_ == "NOUN" and token.morph.get("Case") == ["Ins"]


def test_bracketed_abbreviation_is_one_word():
    words = split_words("райком ВКП(б) и ЦК КП(б)Казахстана", 10)
    assert [w.text for w in words] == ["райком", "ВКП(б)", "и", "ЦК", "КП(б)", "Казахстана"]
    assert (words[1].start, words[1].end) == (17, 23)


def _words(spec):
    """Words from (text, pos, case, head, rel) tuples, offsets one space apart."""
    out, pos = [], 0
    for text, tag, case, head, rel in spec:
        out.append(Word(pos, pos + len(text), text, tag, {"Case": case} if case else {}, head, rel))
        pos += len(text) + 1
    return out


def test_unnamed_district_word_is_not_climbed():
    # "в районе Карагандинской области": the region does not become "районе Карагандинской области"
    words = _words([("в", "ADP", "", 1, "case"), ("районе", "NOUN", "Loc", -1, "obl"),
                    ("Карагандинской", "ADJ", "Gen", 3, "amod"), ("области", "NOUN", "Gen", 1, "nmod")])
    assert Phrase(words, set()).climb(3, "PLACE") == (3, "PLACE")


def test_place_climbs_into_the_body_that_owns_it():
    words = _words([("прокуратура", "NOUN", "Nom", -1, "root"), ("Акмолинской", "ADJ", "Gen", 2, "amod"),
                    ("области", "NOUN", "Gen", 0, "nmod")])
    phrase = Phrase(words, set())
    assert phrase.climb(2, "PLACE") == (0, "ORG")
    assert phrase.span(0, "ORG") == (0, 2)


def test_person_is_never_taken_into_a_name():
    # "суд Иванова": a genitive person after a body is that person's, not part of the body's name
    words = _words([("суд", "NOUN", "Nom", -1, "root"), ("Иванова", "PROPN", "Gen", 0, "nmod")])
    assert Phrase(words, {1}).span(0, "ORG") == (0, 0)
    assert Phrase(words, set()).span(0, "ORG") == (0, 1)


def test_word_in_capitals_is_no_abbreviation_of_the_body(nlp):
    # "СПРАВКА" under a heading in capitals is a noun in the nominative, not "НКВД" or "ВКП(б)"
    for heading in ("КАРАГАНДИНСКИЙ ОБЛАСТНОЙ СУД", "ПРОКУРАТУРА КАЗАХСКОЙ ССР"):
        doc = nlp(heading + "\nСПРАВКА № 2218\n\nВыдана гр-ке Петровой Анне в том, что она освобождена.")
        assert [e.text for e in doc.ents if e.label_ == "ORG"] == [heading]


def test_heading_on_two_lines_in_capitals_is_one_name(nlp):
    doc = nlp("ПРЕЗИДИУМ ВЕРХОВНОГО СОВЕТА\nКАЗАХСКОЙ ССР\n\nУказ о помиловании.")
    assert [e.text for e in doc.ents if e.label_ in ("ORG", "PLACE")] == ["ПРЕЗИДИУМ ВЕРХОВНОГО СОВЕТА\nКАЗАХСКОЙ ССР"]


def test_name_wrapped_in_running_text_stays_whole(nlp):
    doc = nlp("Она осуждена Особым совещанием при\nНКВД СССР на восемь лет.")
    assert [e._.normalized for e in doc.ents if e.label_ == "ORG"] == ["Особое совещание при НКВД СССР"]


def test_heading_in_capitals_is_parsed_in_title_case(nlp):
    # read in capitals the parse is a tangle; "СПРАВКА" on the next line is no part of the name
    doc = nlp("ДОЛИНСКИЙ ИТЛ НКВД\nСПРАВКА № 3051\n\nВыдана гр-ке Сидоровой Анне в том, что она освобождена.")
    assert [e.text for e in doc.ents if e.label_ == "ORG"] == ["ДОЛИНСКИЙ ИТЛ НКВД"]


def test_parser_shares_the_ner_vocabulary_and_vectors(nlp):
    # three copies of the same 250K-word vocabulary cost ~45 MB each in every worker
    ner, syntax = nlp.get_pipe("slovnet_ner").ner, nlp.get_pipe("slovnet_syntax")
    for model in (syntax.morph, syntax.syntax):
        assert model.infer.encoder.words_vocab is ner.infer.encoder.words_vocab
        assert model.infer.model.emb.word.indexes.array is ner.infer.model.emb.word.indexes.array


def test_a_word_that_heads_itself_or_a_cycle_ends_the_climb():
    # the parser on text in capitals can make a word its own head, or two words each other's
    own = Phrase([Word(0, 3, "суд", pos="NOUN", head=0, rel="flat")], set())
    assert own.climb(0, "ORG") == (0, "ORG")
    cycle = _words([("суда", "NOUN", "Gen", 1, "nmod"), ("коллегия", "NOUN", "Nom", 0, "nmod")])
    assert Phrase(cycle, set()).climb(0, "ORG")[0] in (0, 1)


def test_a_camp_heading_in_capitals_is_one_org_whatever_the_parser_tags(nlp):
    doc = nlp("КАРАГАНДИНСКИЙ ИСПРАВИТЕЛЬНО-ТРУДОВОЙ ЛАГЕРЬ НКВД\nУчетно-распределительный отдел")
    assert "КАРАГАНДИНСКИЙ ИСПРАВИТЕЛЬНО-ТРУДОВОЙ ЛАГЕРЬ НКВД" in [e.text for e in doc.ents if e.label_ == "ORG"]
