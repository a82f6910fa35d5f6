"""German, Polish, Ukrainian and Belarusian paragraphs: their language tag and their dates.

Sentences written for these tests (archive-flavoured, no corpus, no evaluation document).
"""

from __future__ import annotations

import pytest

from pipeline import dates_other
from pipeline.entities import EntityExtractor
from pipeline.language import CORE_CANDIDATES, LanguageTagger
from pipeline.model import Page

# (language, sentence, [(date text, EDTF value), ...])
CASES = [
    ("de", "Mein Vater wurde am 12. Mai 1938 in Engels verhaftet.", [("12. Mai 1938", "1938-05-12")]),
    ("de", "Im März 1942 kamen wir mit dem Zug nach Karaganda.", [("März 1942", "1942-03")]),
    ("de", "Sie wurde am 3. September 1911 in Marxstadt geboren.", [("3. September 1911", "1911-09-03")]),
    ("de", "Im Herbst 1941 wurde die ganze Familie nach Kasachstan deportiert.", [("Herbst 1941", "1941-23")]),
    ("de", "Er starb am 20.02.1943 in der Trudarmee bei Tscheljabinsk.", [("20.02.1943", "1943-02-20")]),
    ("de", "Die Rehabilitierung erfolgte erst im Oktober 1991.", [("Oktober 1991", "1991-10")]),
    ("de", "Großmutter war um 1880 im Dorf Norka zur Welt gekommen.", [("um 1880", "1880~")]),
    ("de", "Von 1942 bis 1946 arbeitete er im Holzfällerlager.", [("1942 bis 1946", "1942/1946")]),
    ("de", "In den 30er Jahren lebte die Familie noch an der Wolga.", [("30er Jahren", "193X")]),
    ("pl", "Ojciec został aresztowany 12 maja 1938 r. w Żytomierzu.", [("12 maja 1938 r.", "1938-05-12")]),
    ("pl", "W marcu 1942 wywieziono nas do Kazachstanu.", [("marcu 1942", "1942-03")]),
    ("pl", "Urodziła się 3 września 1911 roku we wsi pod Lwowem.", [("3 września 1911 roku", "1911-09-03")]),
    ("pl", "Zmarł w łagrze 20 lutego 1943 r. z głodu.", [("20 lutego 1943 r.", "1943-02-20")]),
    ("pl", "Zrehabilitowany pośmiertnie w październiku 1990 roku.", [("październiku 1990 roku", "1990-10")]),
    ("pl", "Jesienią 1940 r. cała rodzina trafiła do posiołka.", [("Jesienią 1940 r.", "1940-23")]),
    ("pl", "Dziadek urodził się około 1875 r. na Podolu.", [("około 1875 r.", "1875~")]),
    ("pl", "W latach 1940–1946 pracowała w kołchozie.", [("1940–1946", "1940/1946")]),
    ("uk", "Мого батька заарештували 12 травня 1938 р. у Житомирі.", [("12 травня 1938 р.", "1938-05-12")]),
    ("uk", "У березні 1942 року нас вивезли до Казахстану.", [("березні 1942 року", "1942-03")]),
    ("uk", "Вона народилася 5 вересня 1910 року в селі Яблунівка.", [("5 вересня 1910 року", "1910-09-05")]),
    ("uk", "Його було реабілітовано 14 грудня 1989 р.", [("14 грудня 1989 р.", "1989-12-14")]),
    ("uk", "Навесні 1944 року родину переселили на Урал.", [("Навесні 1944 року", "1944-21")]),
    ("uk", "Мати народилася близько 1890 р. на Полтавщині.", [("близько 1890 р.", "1890~")]),
    ("uk", "У 30-х роках село спорожніло, всіх розкуркулили.", [("30-х роках", "193X")]),
    ("uk", "Протокол допиту від 7.XI.1937 підписав слідчий.", [("7.XI.1937", "1937-11-07")]),
    ("be", "Яго арыштавалі 12 траўня 1938 г. і выслалі ў Казахстан.", [("12 траўня 1938 г.", "1938-05-12")]),
    ("be", "У сакавіку 1942 года нашу сям'ю перавезлі ў Карагандзінскую вобласць.", [("сакавіку 1942 года", "1942-03")]),
    ("be", "Ён быў рэабілітаваны пасмяротна 3 лістапада 1989 года.", [("3 лістапада 1989 года", "1989-11-03")]),
    ("be", "Бацька нарадзіўся ў вёсцы пад Слуцкам 12 мая 1901 г.", [("12 мая 1901 г.", "1901-05-12")]),
    ("be", "Увосень 1941 г. маці памерла ў дарозе.", [("Увосень 1941 г.", "1941-23")]),
    ("be", "Нарадзіўся ў 1905 годзе каля Гомеля.", [("1905 годзе", "1905")]),
    # OCR reads ў as у (its whitelist has no ў): і beside ы and no и still say Belarusian
    ("be", "Сям'ю выслалі у Казахстан у сакавіку 1942 года, бацька застауся у Мінску.",
     [("сакавіку 1942 года", "1942-03")]),
    ("be", "Маці памерла ў лагеры, пра гэта мы даведаліся толькі пасля вайны.", []),
    ("uk", "Мати померла в дорозі, її поховали біля станції.", []),
]


@pytest.fixture(scope="module")
def tagger() -> LanguageTagger:
    return LanguageTagger()


@pytest.mark.parametrize("lang, sentence, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_language_and_dates(tagger, lang, sentence, expected):
    assert tagger.detect(sentence)[0] == lang
    assert [s.lang for s in tagger.tag(sentence)] == [lang]
    assert [(d.text, d.normalized) for d in dates_other.find_dates(sentence, lang)] == expected


def test_matches_are_the_text_they_cover():
    text = "Am 12. Mai 1938 verhaftet, im März 1942 nach Karaganda, um 1900 geboren."
    for d in dates_other.find_dates(text, "de"):
        assert text[d.start:d.end] == d.text


@pytest.mark.parametrize("lang, text, expected", [
    ("de", "Haus Nr. 1938, 120 Mark, 12 Kinder, Brief vom 5.", []),  # no year word, no lead: no date
    ("pl", "Dostał 8 lat łagru i 1200 rubli kary.", []),  # a duration and money, not dates
    ("uk", "Справа № 1937, арк. 12, засуджений на 10 років.", []),  # a case number, a term
    ("uk", "31 лютого 1937 р.", [("лютого 1937 р.", "1937-02")]),  # no such day: the month still holds
    ("be", "12 траўня", [("12 траўня", "XXXX-05-12")]),  # no year in the text
])
def test_what_is_not_a_date(lang, text, expected):
    assert [(d.text, d.normalized) for d in dates_other.find_dates(text, lang)] == expected


def test_same_shape_as_the_russian_date_finder():
    from pipeline.dates import DateMatch

    (match,) = dates_other.find_dates("12 травня 1938 р.", "uk")
    assert isinstance(match, DateMatch) and 0 < match.confidence <= 1


def test_a_belarusian_page_is_not_read_as_russian_with_confidence():
    page = "Яго арыштавалі 12 траўня 1938 г. і выслалі ў Казахстан разам з сям'ёй."
    before = LanguageTagger(CORE_CANDIDATES)  # no be candidate: und, never a confident ru
    assert before.detect(page)[0] == "und"


def test_entities_of_other_language_paragraphs_are_their_dates():
    text = ("Довідка\n\nМого батька заарештували 12 травня 1938 р. у Житомирі.\n\n"
            "Im März 1942 kamen wir nach Karaganda.\n\n"
            "Яго арыштавалі 12 траўня 1938 г. і выслалі ў Казахстан.")
    page = Page(number=1, method="text-layer", text=text)
    page.language_spans = LanguageTagger().tag(text)
    assert [s.lang for s in page.language_spans] == ["uk", "de", "be"]
    found = EntityExtractor().extract(page)  # no ru/kk span: no NER model is loaded
    assert [(e.label, e.text, e.normalized, e.lang) for e in sorted(found, key=lambda e: e.start)] == [
        ("DATE", "12 травня 1938 р.", "1938-05-12", "uk"),
        ("DATE", "März 1942", "1942-03", "de"),
        ("DATE", "12 траўня 1938 г.", "1938-05-12", "be"),
    ]
    for e in found:
        assert text[e.start:e.end] == e.text and e.bbox is None and 0 < e.confidence <= 1
