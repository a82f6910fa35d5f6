"""Month and year words OCR misread by one letter (pipeline.date_words); our own misreadings."""

import pytest

from pipeline.date_words import mend_date_words
from pipeline.dates import find_dates


@pytest.mark.parametrize("text, value", [
    ("Арестована 12 декабоя 1937 г.", "1937-12-12"),  # р read as о
    ("Освобождена 3 анреля 1946 г.", "1946-04-03"),  # п read as н
    ("1943 жылты 5 маусын хатыңды алдым", "1943-06-05"),  # ғ as т, м as н
    ("Ол 1938 жылғы 9 сәуірда тұтқындалды", "1938-04-09"),  # a form of its own: read as written
])
def test_a_date_with_a_misread_word_is_found_with_its_value(text, value):
    found = find_dates(text)
    assert [m.normalized for m in found] == [value]
    assert all(text[m.start : m.end] == m.text for m in found)  # the evidence is the text as OCR read it


@pytest.mark.parametrize("text", [
    "В отряде было 5 қазақ и 3 русских.",  # five Kazakhs, not October
    "колхозда 1937 жылқы бар",  # horses
    "Ему дали 5 марок.",  # no month one letter away
])
def test_words_that_are_no_misread_month_stay(text):
    assert mend_date_words(text) == text


def test_the_text_keeps_its_length():
    text = "1948 жылты 5 маусын"
    assert len(mend_date_words(text)) == len(text)
