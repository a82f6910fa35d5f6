"""Names OCR broke, mended by the dictionary (pipeline.name_repair); our own damaged names."""

import pytest

from pipeline import name_repair


@pytest.fixture(scope="module")
def morph():
    from pipeline.russian import load_morph

    return load_morph()


@pytest.fixture(scope="module")
def nlp():
    from pipeline.entities import build_pipeline

    return build_pipeline("ru")


@pytest.fixture(scope="module")
def counts():
    from pipeline.normalize import WordCounts

    return WordCounts()


@pytest.mark.parametrize("damaged, mark, word", [
    ("Евд. кия", "Name", "евдокия"),  # a letter read as a dot
    ("ерафима", "Name", "серафима"),  # the first letter lost
    ("Ильинична", "Patr", "ильинична"),  # whole already
    ("!'етровна", "Patr", "петровна"),  # a letter read as marks
    ("Ан а", "Name", None),  # too few letters: thirty names are one edit away
    ("Ф.", "Name", None),
])
def test_damaged_letters_read_as_the_dictionary_word(morph, counts, damaged, mark, word):
    assert name_repair.dictionary_word(morph, damaged, mark, counts) == word


def test_without_word_counts_only_a_single_fit_is_taken(morph):
    assert name_repair.dictionary_word(morph, "!'етровна", "Patr") is None  # петровна, етаровна
    assert name_repair.dictionary_word(morph, "Сераф. ма", "Name") == "серафима"


@pytest.mark.parametrize("text, surface, normalized", [
    ("Фамилия, имя, отчество: Штейнберг Валент. на Марковна\n\nГод рождения 1902",
     "Штейнберг Валент. на Марковна", "Штейнберг Валентина Марковна"),
    ("12. Воробьева Евд. кия Ильинична, 1899 г.р., уроженка г. Орла.",
     "Воробьева Евд. кия Ильинична", "Воробьева Евдокия Ильинична"),
])
def test_broken_name_on_a_card_or_list_is_one_person_with_the_mended_value(nlp, text, surface, normalized):
    people = [(e.text, e._.normalized) for e in nlp(text).ents if e.label_ == "PERSON"]
    assert (surface, normalized) in people


def test_a_whole_name_is_left_to_the_model(nlp, morph):
    doc = nlp.make_doc("Справка выдана Воробьевой Евдокии Ильиничне.")
    assert name_repair.broken_names(morph, doc) == []


@pytest.mark.parametrize("text, place", [
    ("Мы прибыли в Акмолгнск в марте.", "Акмолинск"),  # a letter misread
    ("Отец работал в Днепро етровске на заводе.", "Днепропетровск"),  # a letter lost to a space
])
def test_a_town_s_name_ocr_broke_is_a_place_with_the_mended_value(nlp, text, place):
    assert ("PLACE", place) in [(e.label_, e._.normalized) for e in nlp(text).ents]


def test_a_known_word_or_a_surname_is_not_mended_into_a_town(nlp, morph, counts):
    assert name_repair.mended_place(morph, "Караганде", counts) is None  # a known word
    assert name_repair.mended_place(morph, "Тулин", counts) == "Турин"  # one edit from a town, but:
    assert [(e.label_, e._.normalized) for e in nlp("Его звали Тулин.").ents] == [("PERSON", "Тулин")]


@pytest.mark.parametrize("text, mended", [
    ("Долинское отделение Карпага", "Долинское отделение Карлага"),  # л read as п
    ("прибыла в Степлаr", "прибыла в Степлаг"),  # a Latin r for г
    ("Карлаг НКВД", None),  # whole
    ("Карагандинский ИТЛ", None),
])
def test_a_camp_s_name_misread_by_one_letter(text, mended):
    from pipeline.organs import CAMP_NAMES

    assert name_repair.mended_camp(text, CAMP_NAMES) == mended


@pytest.mark.parametrize("word, misread", [
    ("Начальни", True),  # начальник, its last letter lost
    ("Освобождене--3", True),  # освобождена
    ("Гершензон", False),  # a surname the dictionary does not know, far from any common word
    ("Шпильрейн", False),
    ("Гурская", False),  # one letter from "курская", but a surname's ending
])
def test_a_common_word_ocr_broke_is_no_name(morph, counts, word, misread):
    assert name_repair.misread_common_word(morph, word, counts) is misread


@pytest.mark.parametrize("text", ["Справку подписал Начальни. лагпункта.", "Освобождене--3- апреля 1946 г. и осталась"])
def test_a_broken_common_word_is_no_person(nlp, text):
    assert [e.text for e in nlp(text).ents if e.label_ == "PERSON"] == []  # the model tags them without the rule


@pytest.mark.parametrize("text", [
    "Ол 1937 жылы тұтқындалып, КСРО ІІХК жаны::дағы Ерекше кеңестің шешімімен сотталды.",
    "Ол 1937 жылы тұтқындалып, КСРО ІІХК жаны дағы Ерекше\nк ңестің шешімімен сотталды.",
])
def test_the_special_board_s_kazakh_name_as_ocr_leaves_it(text):
    from pipeline.entities import build_pipeline

    nlp = build_pipeline("kk")
    orgs = [e._.normalized for e in nlp(text).ents if e.label_ == "ORG"]
    assert orgs == ["КСРО ІІХК жанындағы Ерекше кеңес"]


@pytest.mark.parametrize("method, place", [("ocr", "Акмолинск"), ("text-layer", "Акмолгнск")])
def test_only_ocr_text_is_mended(method, place):
    from pipeline.entities import EntityExtractor
    from pipeline.model import LanguageSpan, Page

    text = "Мы прибыли в Акмолгнск в марте."
    page = Page(number=1, method=method, text=text, language_spans=[LanguageSpan(0, len(text), "ru", 1.0)])
    found = [(e.label, e.normalized) for e in EntityExtractor().extract(page)]
    assert ("PLACE", place) in found or ("PERSON", place) in found
