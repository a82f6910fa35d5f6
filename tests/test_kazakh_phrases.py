"""Kazakh organ names grown over their whole noun phrase (pipeline.kazakh_phrases).

Sentences of our own wording, run through the Kazakh pipeline (model, cleanup, organ rules,
dates, phrases, normalisation); each lists the ORG and PLACE values it must give.
"""

from __future__ import annotations

import pytest
import spacy

import pipeline.kazakh  # noqa: F401  (registers "kk")
from pipeline import kazakh_phrases as kp
from pipeline.entities import build_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline("kk")


def found(nlp, text: str) -> list[tuple[str, str]]:
    return [(e.label_, e._.normalized) for e in nlp(text).ents if e.label_ in ("ORG", "PLACE")]


GROWN = [
    # a postposition ties a body to another
    ("1937 жылғы 5 қарашада КСРО ІІХК жанындағы Ерекше кеңес оны бес жылға соттады.",
     [("ORG", "КСРО ІІХК жанындағы Ерекше кеңес")]),
    ("Оның ісі Қазақ КСР ІІХК жанындағы үштікте қаралды.", [("ORG", "Қазақ КСР ІІХК жанындағы үштік")]),
    # a bare modifier before the head
    ("Іс Қазақ КСР прокуратурасының қарауына жіберілді.", [("ORG", "Қазақ КСР прокуратурасы")]),
    ("Қазақ КСР прокуратурасы істі қайта тексерді.", [("ORG", "Қазақ КСР прокуратурасы")]),
    ("Әйелі Ақмола лагеріне жіберілді.", [("ORG", "Ақмола лагері")]),
    ("Ол Семей облыстық атқару комитетінде хатшы болып істеді.", [("ORG", "Семей облыстық атқару комитеті")]),
    ("Оны Ішкі істер халық комиссариатының үштігі соттады.", [("ORG", "Ішкі істер халық комиссариатының үштігі")]),
    ("Күйеуі Қазақ КСР Халық ағарту комиссариатының қызметкері болған.",
     [("ORG", "Қазақ КСР Халық ағарту комиссариаты")]),
    ("Қарағанды облыстық сотының үкімімен ол атылды.", [("ORG", "Қарағанды облыстық соты")]),
    ("Алматы облыстық ІІХК басқармасы оны тұтқындады.", [("ORG", "Алматы облыстық ІІХК басқармасы")]),
    ("Іс Қазақ ССР Жоғарғы сотының әскери алқасында қаралды.",
     [("ORG", "Қазақ ССР Жоғарғы сотының әскери алқасы")]),
    # a place in the genitive before the body is part of it, not a PLACE of its own
    ("Анықтама Ақмола облысының мемлекеттік архивінде сақталған.",
     [("ORG", "Ақмола облысының мемлекеттік архиві")]),
    ("Ол Павлодар облысы Ертіс ауданының атқару комитетінде жұмыс істеді.",
     [("ORG", "Павлодар облысы Ертіс ауданының атқару комитеті")]),
    ("Ол Қарағанды облысы бойынша ІІХК басқармасында тергелді.",
     [("ORG", "Қарағанды облысы бойынша ІІХК басқармасы")]),
    ("Іс Жамбыл облысы бойынша ҰҚК архивінде сақтаулы.", [("ORG", "Жамбыл облысы бойынша ҰҚК архиві")]),
    # the bracket of ВКП(б) is no punctuation
    ("Ол 1937 жылы ВКП(б) Орталық Комитетінің мүшесі болды.", [("ORG", "ВКП(б) Орталық Комитеті")]),
    # a line wrap in running text and a heading typed in capitals, with "және" inside "жөніндегі"
    ("Ол Қазақ КСР Халық ағарту\nкомиссариатының қызметкері болған.", [("ORG", "Қазақ КСР Халық ағарту комиссариаты")]),
    ("ҚАЗАҚСТАН РЕСПУБЛИКАСЫ ІШКІ ІСТЕР МИНИСТРЛІГІНІҢ АҚПАРАТ\nЖӘНЕ МҰРАҒАТ ЖҰМЫСЫ ЖӨНІНДЕГІ БАСҚАРМАСЫ\n\nАНЫҚТАМА",
     [("ORG", "ҚАЗАҚСТАН РЕСПУБЛИКАСЫ ІШКІ ІСТЕР МИНИСТРЛІГІНІҢ АҚПАРАТ ЖӘНЕ МҰРАҒАТ ЖҰМЫСЫ ЖӨНІНДЕГІ БАСҚАРМАСЫ")]),
    # two bodies, a court and its verdict: the possessed noun "үкімі" ends the first name
    ("Семей облыстық сотының үкімі Алматы облыстық сотына жіберілді.",
     [("ORG", "Семей облыстық соты"), ("ORG", "Алматы облыстық соты")]),
    ("Ол Таганка түрмесінен Степлагтың Кеңгір бөлімшесіне жеткізілді.",
     [("ORG", "Таганка түрмесі"), ("ORG", "Степлагтың Кеңгір бөлімшесі")]),
    # a date before the name stops it
    ("1938 жылғы 2 наурызда Қостанай облыстық соты оны ақтады.", [("ORG", "Қостанай облыстық соты")]),
    # a form: the cell's label is not part of the name
    ("Мекемесі\tСемей облыстық атқару комитеті", [("ORG", "Семей облыстық атқару комитеті")]),
]

UNCHANGED = [
    # a plain place, a region and a district apart (the annotation conventions)
    ("Ол Ақмола қаласында тұрды.", [("PLACE", "Ақмола")]),
    ("Дерек көзі: Павлодар облысы бойынша мұрағат қоры, 3-іс.", [("PLACE", "Павлодар облысы")]),
    # an organ word with no name before it is no named body
    ("Ол облыстық атқару комитетінде хатшы болды.", []),
    # a person before an organ word never begins it
    ("Хатты Мұрат Әлімжанов облыстық атқару комитетіне жіберді.", []),
    ("Бибігүл Серікқызы аудандық сотқа арыз жазды.", []),
]


@pytest.mark.parametrize("text, expected", GROWN + UNCHANGED)
def test_names_of_bodies_and_places(nlp, text, expected):
    assert found(nlp, text) == expected


def test_ends_before_the_verb(nlp):
    doc = nlp("Қазақ КСР прокуратурасы тексерді.")
    assert [e.text for e in doc.ents if e.label_ == "ORG"] == ["Қазақ КСР прокуратурасы"]


def test_a_region_before_a_district_stays_a_place(nlp):
    doc = nlp("Ол Ақмола облысы Атбасар ауданында туған.")
    assert [e.label_ for e in doc.ents] == ["PLACE", "PLACE"]
    assert doc.ents[0].text == "Ақмола облысы"


def test_person_is_cut_off_the_body_the_model_gave(nlp):
    """The model tags "Әлімжанов облыстық атқару комитетінде" as one ORG after a given name on the line
    before: the name is the person's, and what is left begins with no capital, so is no named body."""
    doc = nlp("Әкем Қасым\nӘлімжанов облыстық атқару комитетінде қызмет істеді.")
    assert [(e.label_, e._.normalized) for e in doc.ents] == [("PERSON", "Әлімжанов Қасым")]


def test_the_model_span_with_a_function_word_is_not_grown(nlp):
    """ "АҚТАУ ТУРАЛЫ" (about rehabilitation) is a heading's words, not part of the body above it."""
    doc = nlp("ҚАЗАҚ КСР ПРОКУРАТУРАСЫ\nАҚТАУ ТУРАЛЫ АНЫҚТАМА")
    assert "ҚАЗАҚ КСР ПРОКУРАТУРАСЫ" in [e.text for e in doc.ents]


@pytest.mark.parametrize(
    "noun, form",
    [("лагерь", "лагері"), ("үштік", "үштігі"), ("прокуратура", "прокуратурасы"), ("кеңес", "кеңесі"),
     ("комиссариат", "комиссариаты"), ("түрме", "түрмесі"), ("министрлік", "министрлігі")],
)
def test_possessive_forms(noun, form):
    assert form in kp.possessive_forms(noun)


@pytest.mark.parametrize("word", ["комитетінің", "кеңестің", "прокуратурасына", "лагерьде", "ІІХК-ға", "сотқа"])
def test_organ_heads_in_any_case(word):
    assert kp.is_organ_head(word)


@pytest.mark.parametrize("word, person", [("Әлімжановтың", True), ("Серікқызы", True), ("Қасым", True),
                                          ("Ақмола", False), ("Ерекше", False), ("ҚАЗАҚСТАН", False)])
def test_person_words(word, person):
    assert kp.is_person_word(word) is person


def test_words_keep_brackets_and_hyphens_and_see_form_breaks():
    doc = spacy.blank("kk")("ВКП(б) Шерубай-Нұра лагері\nСот\tАқмола")
    words = kp.doc_words(doc)
    assert [w.text for w in words] == ["ВКП(б)", "Шерубай-Нұра", "лагері", "Сот", "Ақмола"]
    assert [w.broken for w in words] == [False, False, False, True, True]  # the second line is a form row
