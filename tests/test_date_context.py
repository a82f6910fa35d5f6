"""Years (and months) a date takes from its context (`pipeline.date_context`).

The sentences are written for these tests. Pages are built with the rule-based date finder run
per paragraph, as the entity pipeline runs it per language span, and PERSON entities placed by
hand, so the pass is tested alone, without the NER models (one test runs the real extractor).
"""

from __future__ import annotations

import re

import pytest

from pipeline import date_context, dates
from pipeline.model import Entity, LanguageSpan, Page


def _page(number: int, text: str, persons: tuple[str, ...] = (), lang: str = "ru") -> tuple[Page, list[Entity]]:
    entities = []
    for par in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):  # paragraph by paragraph
        for m in dates.find_dates(par.group()):
            s = par.start() + m.start
            entities.append(Entity("DATE", m.text, s, s + len(m.text), lang, m.normalized, m.confidence))
    for name in persons:
        s = text.index(name)
        entities.append(Entity("PERSON", name, s, s + len(name), lang, name, 0.85))
    spans = [LanguageSpan(0, len(text), lang, 1.0)]
    return Page(number=number, method="text-layer", text=text, language_spans=spans), entities


def _dates(*pages: tuple[Page, list[Entity]]) -> list[tuple[str, str]]:
    """(text, normalized) of every DATE after the pass, in page order; checks the offsets hold."""
    found = date_context.with_years([p for p, _ in pages], [e for _, e in pages], lambda page, s, e: (1.0, None))
    out = []
    for (page, _), entities in zip(pages, found):
        for e in sorted(entities, key=lambda e: e.start):
            assert e.text == page.text[e.start:e.end]
            assert 0 < e.confidence <= 1
            if e.label == "DATE":
                out.append((e.text, e.normalized))
    return out


def _values(text: str, persons: tuple[str, ...] = (), lang: str = "ru") -> list[str]:
    return [v for _, v in _dates(_page(1, text, persons, lang))]


# --- the words say whose year it is ------------------------------------------------------------

def test_same_year_across_a_page_break_joins_the_anaphor():
    first = _page(1, "Гражданка Лаптева была задержана 3 марта 1938 г. в Омске.")
    second = _page(2, "29 мая того же года её отправили в лагерь.")
    assert _dates(first, second)[1] == ("29 мая того же года", "1938-05-29")


def test_same_year_in_a_later_paragraph():
    assert _values("Справку выдали 4 февраля 1956 г.\n\nРеабилитирована 11 апреля того же года.") == \
        ["1956-02-04", "1956-04-11"]


def test_next_year_is_the_year_after():
    assert _values("Осуждена в августе 1937 г.\n\nОсвобождена 10 июня следующего года.")[1] == "1938-06-10"


def test_in_the_same_year_before_the_day():
    found = _dates(_page(1, "Мать забрали в 1941 году.\n\nВ том же году 20 декабря пришло письмо."))
    assert found[1] == ("том же году 20 декабря", "1941-12-20")


def test_month_of_the_next_year_becomes_a_date():
    assert _values("В мае 1938 г. её арестовали.\n\nВ марте следующего года её перевели в Долинку.") == \
        ["1938-05", "1939-03"]


def test_month_of_the_same_year_on_the_next_page():
    found = _dates(_page(1, "Приговор вынесен 2 июля 1940 г."), _page(2, "В октябре того же года пришёл ответ."))
    assert found[1] == ("октябре того же года", "1940-10")


def test_day_of_the_same_month():
    assert _values("Допрошена 12 марта 1938 г., а 20-го того же месяца ей объявили приговор.")[1] == "1938-03-20"
    assert _values("Прибыла в лагерь 2 июня 1939 г.; 15 числа сего месяца вышла на работу.")[1] == "1939-06-15"


def test_kazakh_same_year_before_the_day():
    assert _values("Әкем 1937 жылы ұсталды.\n\nСол жылғы 2 шілдеде үкім шықты.", lang="kk") == ["1937", "1937-07-02"]


def test_kazakh_next_year():
    assert _values("Анам 1938 жылы сотталды. Келесі жылы 3 наурызда лагерьге жіберілді.", lang="kk") == \
        ["1938", "1939-03-03"]


def test_kazakh_month_of_the_same_year_becomes_a_date():
    found = _dates(_page(1, "Ол 1946 жылы оралды.\n\nСол жылдың мамыр айында жұмысқа кірді.", lang="kk"))
    assert found == [("1946 жылы", "1946"), ("Сол жылдың мамыр айында", "1946-05")]


def test_kazakh_day_of_the_same_month():
    assert _values("1939 жылғы 5 қазанда ұсталды, сол айдың 20-сында сотталды.", lang="kk") == \
        ["1939-10-05", "1939-10-20"]


# --- a running account ---------------------------------------------------------------------------

def test_bare_day_after_a_year_in_the_same_sentence():
    assert _values("В 1945 году она вернулась в Караганду, а 20 декабря получила паспорт.") == ["1945", "1945-12-20"]


def test_a_chain_of_days_in_one_paragraph():
    assert _values("12 августа 1937 г. арестована, 20 сентября осуждена, 5 октября этапирована в Акмолинск.") == \
        ["1937-08-12", "1937-09-20", "1937-10-05"]


def test_kazakh_bare_day_in_the_same_sentence():
    assert _values("1938 жылғы 9 сәуірде тұтқындалды, 17 мамырда сотталды.", lang="kk") == ["1938-04-09", "1938-05-17"]


def test_a_sentence_running_on_to_the_next_page():
    found = _dates(_page(1, "Летом 1942 г. лагерь перевели на новое место, и"), _page(2, "уже 14 августа мы были там."))
    assert found[1] == ("14 августа", "1942-08-14")


def test_protocol_heading_gives_the_year_to_its_own_month():
    text = "ПРОТОКОЛ ДОПРОСА\n\nг. Акмолинск, 12 мая 1938 г.\n\nОтвет: Меня задержали 10 мая на вокзале."
    assert _values(text) == ["1938-05-12", "1938-05-10"]


def test_the_carried_value_keeps_the_text_as_written():
    page = _page(1, "В 1950 году её освободили, 3 июня она уехала к сестре.")
    assert _dates(page)[1] == ("3 июня", "1950-06-03")


# --- where the year must stay open -----------------------------------------------------------------

def test_no_year_across_a_paragraph():
    assert _values("В 1937 г. арестовали мужа.\n\n20 декабря пришли за мной.") == ["1937", "XXXX-12-20"]


def test_no_year_across_a_numbered_entry():
    text = "1. Зорина Ольга Ивановна, арестована 3 апреля 1938 г.\n2. Клеменс Ирма Карловна, арестована 20 мая."
    assert _values(text, ("Зорина Ольга Ивановна", "Клеменс Ирма Карловна")) == ["1938-04-03", "XXXX-05-20"]


def test_no_year_from_another_person_in_one_paragraph_list():
    text = "Зорина О. И., арестована 3.04.1938; Клеменс И. К., арестована 20 мая."
    assert _values(text, ("Зорина О. И.", "Клеменс И. К.")) == ["1938-04-03", "XXXX-05-20"]


def test_no_year_from_another_person_on_the_next_line():
    text = "Зорина О. И. — осуждена 3.04.1938\nКлеменс И. К. — осуждена 20 мая"
    assert _values(text, ("Зорина О. И.", "Клеменс И. К.")) == ["1938-04-03", "XXXX-05-20"]


def test_no_year_without_an_earlier_date():
    assert _values("20 декабря её вызвали к начальнику.") == ["XXXX-12-20"]
    assert _values("В мае того же года её перевели.") == []
    assert _values("Сол айдың 20-сында сотталды.", lang="kk") == []


def test_a_birth_year_is_not_the_year_of_the_next_day():
    text = "Иванова Мария Петровна, 1901 г.р., 20 мая арестована."
    assert _values(text, ("Иванова Мария Петровна",)) == ["1901", "XXXX-05-20"]
    assert _values("Ол 1905 жылы туған, 17 мамырда ұсталды.", lang="kk") == ["1905", "XXXX-05-17"]


def test_an_earlier_day_of_the_year_than_the_date_before_stays_open():
    assert _values("Арестована в ноябре 1937 г., 20 января этапирована.") == ["1937-11", "XXXX-01-20"]


def test_no_year_after_a_span_of_years():
    assert _values("Она отбывала срок с 1938 по 1946 г., 20 мая вернулась.") == ["1938/1946", "XXXX-05-20"]


def test_an_approximate_year_stops_the_account():
    assert _values("В 1930 г. семья переехала, около 1937 г. отца забрали, 20 мая пришли за матерью.") == \
        ["1930", "1937~", "XXXX-05-20"]


def test_same_year_looks_past_a_day_without_its_year():
    text = "Осуждена 3 марта 1938 г.\n\n20 декабря её вызвали. 29 декабря того же года её перевели."
    assert _values(text) == ["1938-03-03", "XXXX-12-20", "1938-12-29"]


def test_no_impossible_day():
    assert _values("В 1937 году, 29 февраля, её вызвали.") == ["1937", "XXXX-02-29"]


def test_heading_of_another_month_or_of_a_letter_gives_nothing():
    protocol = "ПРОТОКОЛ ДОПРОСА\n\nг. Акмолинск, 12 мая 1938 г.\n\nОтвет: 20 апреля я уехала к матери."
    assert _values(protocol)[1] == "XXXX-04-20"
    letter = "Дорогая мама!\n\nПишу тебе 12 мая 1938 г.\n\nОтвет: 10 мая нас перевели."
    assert _values(letter)[1] == "XXXX-05-10"


def test_a_new_page_that_opens_a_paragraph_carries_no_bare_day():
    found = _dates(_page(1, "Её этапировали в 1939 г."), _page(2, "Начальнику лагеря.\n\n3 марта прибыла комиссия."))
    assert found[1] == ("3 марта", "XXXX-03-03")


# --- through the extractor ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def extractor():
    from pipeline.entities import EntityExtractor

    return EntityExtractor(languages=("ru",))


def test_extract_pages_carries_the_year_over_a_page_break(extractor):
    texts = ["Сестру арестовали 3 марта 1938 года.", "29 мая того же года её отправили в Акмолинск."]
    pages = [Page(number=n, method="text-layer", text=t, language_spans=[LanguageSpan(0, len(t), "ru", 1.0)])
             for n, t in enumerate(texts, 1)]
    second = extractor.extract_pages(pages)[1]
    assert [(e.text, e.normalized) for e in second if e.label == "DATE"] == [("29 мая того же года", "1938-05-29")]
