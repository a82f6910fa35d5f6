"""Bounds of a person's name in Kazakh text from its case endings (pipeline.kazakh_names); our own sentences."""

import pytest

from pipeline import kazakh_names


@pytest.fixture(scope="module")
def nlp():
    from pipeline.entities import build_pipeline

    return build_pipeline("kk")


def _people(nlp, text):
    return [(e.text, e._.normalized) for e in nlp(text).ents if e.label_ == "PERSON"]


@pytest.mark.parametrize("text, surface, normalized", [
    ("Мен Сәуле Жұмабекқызы Оразбаевамен бір баракта болдым.", "Сәуле Жұмабекқызы Оразбаевамен",
     "Оразбаева Сәуле Жұмабекқызы"),
    ("Тергеуші Айгүл Темірбекқызы Сапарованы түнде шақырды.", "Айгүл Темірбекқызы Сапарованы",
     "Сапарова Айгүл Темірбекқызы"),
    ("Анықтама Мұсабаева Қалиманың сұрауы бойынша берілді.", "Мұсабаева Қалиманың", "Мұсабаева Қалима"),
    ("Хатты Мәриям Ахметқызына бердім.", "Мәриям Ахметқызына", "Мәриям Ахметқызы"),
    ("Азамат Нұрланов 1937 жылы тұтқындалды.", "Азамат Нұрланов", "Нұрланов Азамат"),
])
def test_name_takes_its_inflected_last_word_and_loses_the_role_before_it(nlp, text, surface, normalized):
    assert (surface, normalized) in _people(nlp, text)


@pytest.mark.parametrize("text, place", [
    ("Оспанова Алматыда тұрды.", "Алматы"),  # a locative is the place's, not the name's
    ("Ахметова Семейге жер аударылды.", "Семей"),  # so is a dative of an unknown word
])
def test_place_after_a_surname_stays_a_place(nlp, text, place):
    doc = nlp(text)
    assert ("PLACE", place) in [(e.label_, e._.normalized) for e in doc.ents]


def test_role_words_and_pronouns():
    assert kazakh_names.is_role_word("Тергеуші") and kazakh_names.is_role_word("Біз")
    assert not kazakh_names.is_role_word("Бибігүл") and not kazakh_names.is_role_word("Ербол")


@pytest.mark.parametrize("text, person", [
    ("Әкем колхозда істеді, анам\nСәулеш мектепте сабақ берді.", "Сәулеш"),
    ("Ақынның жары Мәлиха 1938 жылы ұсталды.", "Мәлиха"),
])
def test_a_word_after_a_kinship_word_is_a_person(nlp, text, person):
    assert person in [n for _, n in _people(nlp, text)]


@pytest.mark.parametrize("text, person", [
    ("Нұрлан Сапаров Қазақстанның тарихын жазды.", "Нұрлан Сапаров"),  # a place's genitive after a whole name
    ("Ерлан Жақыпов Жолдауды оқыды.", "Ерлан Жақыпов"),  # the clause's object
])
def test_a_whole_name_does_not_take_the_next_word(nlp, text, person):
    assert person in [s for s, _ in _people(nlp, text)]


@pytest.mark.parametrize("text, person, absent", [
    ("Мұқанова Айсұлу мектепте оқыды.", "Мұқанова Айсұлу", None),  # a given name in the nominative
    ("Оспанова Қарағанды облысында тұрды.", None, "Оспанова Қарағанды"),  # a region follows: no name
])
def test_a_nominative_given_name_after_a_surname(nlp, text, person, absent):
    people = [s for s, _ in _people(nlp, text)]
    assert person is None or person in people
    assert absent is None or absent not in people


@pytest.mark.parametrize("text", [
    "Қасым-Жомарт Тоқаев Қорғаныс министрінің орынбасарын тағайындады.",  # the next word opens a phrase
    "Президент Назарбаев Зияткерлік мектебінің түлектерімен кездесті.",
])
def test_a_word_of_the_clause_after_a_surname_is_no_given_name(nlp, text):
    assert not any(s.endswith(("Қорғаныс", "Зияткерлік")) for s, _ in _people(nlp, text))
