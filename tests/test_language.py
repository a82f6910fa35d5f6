"""Language tagging: our own short archival sentences only (no corpus, no dev set)."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.language import (
    CORE_CANDIDATES,
    DEFAULT_CANDIDATES,
    EXTRA_CANDIDATES,
    LanguageTagger,
    document_languages,
    normalize_for_detection,
)
from pipeline.model import LanguageSpan

RU = [
    "Справка о реабилитации",
    "осуждена Особым совещанием на 8 лет",
    "Выписка из протокола заседания тройки НКВД по Карагандинской области",
    "Дело прекращено за отсутствием состава преступления.",
    "ПРОТОКОЛ ДОПРОСА",
]
KK = [
    "Ол 1937 жылы тұтқындалды",
    "Мұрағат анықтамасы",
    "Күйеуі 1938 жылы атылды, ол кейін ақталды.",
    "Балалары Семей қаласындағы балалар үйіне жіберілген.",
]
DE = "Liebe Mutter, wir sind gesund und arbeiten jeden Tag im Kolchos bei Karaganda."
PL = "Kochana mamo, piszemy do Ciebie z Kazachstanu, wszyscy jesteśmy zdrowi."
UK = "Дорога мамо, ми всі живі й здорові, працюємо в колгоспі і чекаємо на лист від тебе."

KK_PAGE = (
    "Мұрағат анықтамасы\n\n"
    "Тоқтарова Күләш 1908 жылы Ақмола облысында туған. Ол 1937 жылы тұтқындалып, сегіз жылға кесілген.\n\n"
    "Справка выдана для представления в органы социальной защиты.\n\n"
    "№ 17\n\n"
    "Ол 1958 жылы толық ақталды, бұл туралы отбасына хабарланды."
)


@pytest.fixture(scope="module")
def tagger() -> LanguageTagger:
    return LanguageTagger()


@pytest.fixture(scope="module")
def tagger_x() -> LanguageTagger:
    return LanguageTagger(DEFAULT_CANDIDATES + EXTRA_CANDIDATES)


@pytest.fixture(scope="module")
def tagger_core() -> LanguageTagger:
    return LanguageTagger(CORE_CANDIDATES)


def assert_cover(text: str, spans: list[LanguageSpan]) -> None:
    if not text:
        assert spans == []
        return
    assert spans[0].start == 0 and spans[-1].end == len(text)
    for a, b in zip(spans, spans[1:]):
        assert a.end == b.start and a.lang != b.lang  # consecutive, merged
    for s in spans:
        assert s.start < s.end and 0.0 <= s.confidence <= 1.0


@pytest.mark.parametrize("text", RU)
def test_russian(tagger, tagger_x, text):
    assert tagger.detect(text)[0] == "ru"
    assert tagger_x.detect(text)[0] == "ru"


@pytest.mark.parametrize("text", KK)
def test_kazakh(tagger, tagger_x, text):
    assert tagger.detect(text)[0] == "kk"
    assert tagger_x.detect(text)[0] == "kk"


def test_ocr_lookalikes(tagger):
    # Latin a/o/e/p/c/i inside Cyrillic words, as OCR leaves them.
    assert normalize_for_detection("Cпpaвкa") == "Справка"
    # Roman numerals stay Latin; all-caps words are lower-cased (langdetect skips them otherwise)
    assert normalize_for_detection("Верховный суд CCCP, XXII съезд") == "Верховный суд ссср, xxii съезд"
    assert tagger.detect("Cпpaвкa o peaбилитaции")[0] == "ru"
    assert tagger.detect("Ол 1937 жылы тұтқындалды, мұрағат анықтамасы бepiлдi")[0] == "kk"


def test_foreign_by_default_and_und_when_not_candidates(tagger, tagger_x, tagger_core):
    for t in (tagger, tagger_x):
        assert t.detect(DE)[0] == "de"
        assert t.detect(PL)[0] == "pl"
        assert t.detect(UK)[0] == "uk"
    for text in (DE, PL, UK):  # never forced into ru or kk
        assert tagger_core.detect(text)[0] == "und"
    assert [s.lang for s in tagger_core.tag(DE)] == ["und"]
    assert [s.lang for s in tagger.tag(PL)] == ["pl"]


@pytest.mark.parametrize("candidates", [CORE_CANDIDATES, DEFAULT_CANDIDATES])
def test_german_read_by_cyrillic_ocr_is_not_ru_or_kk(candidates):
    tagger = LanguageTagger(candidates)
    # What a rus+kaz OCR model makes of a German letter (made up here): not forced into ru/kk.
    page = ("Міг 5іпд а11е десипд ипд агреіееп іп дег Ко1сһо5 реі Кагадапда.\n\n"
            "Міг һаһеп деіпеп Вгіеі егһа1іеп ипд дапкеп діг гесһ% һегх1ісһ.")
    assert [s.lang for s in tagger.tag(page)] == ["und"]


def test_mixed_page_russian_stamp(tagger):
    spans = tagger.tag(KK_PAGE)
    assert_cover(KK_PAGE, spans)
    assert [s.lang for s in spans] == ["kk", "ru", "kk"]
    stamp = KK_PAGE.index("Справка")
    ru = spans[1]
    assert ru.start == stamp and "защиты." in KK_PAGE[ru.start:ru.end]
    # "№ 17" has no letters: it joins a neighbour instead of getting a guess of its own
    assert document_languages([(KK_PAGE, spans)]) == ["kk", "ru"]


def test_stamp_line_without_blank_lines(tagger):
    page = KK_PAGE.replace("\n\n", "\n")  # OCR that leaves no blank line around the stamp
    spans = tagger.tag(page)
    assert_cover(page, spans)
    assert [s.lang for s in spans] == ["kk", "ru", "kk"]
    # ...but a Kazakh name on its own line does not split a Russian paragraph
    ru = "Справка выдана гражданке\nТоқтарова Күләш Сәрсенқызы,\n1908 года рождения, в том, что она реабилитирована."
    assert [s.lang for s in tagger.tag(ru)] == ["ru"]


def test_short_paragraphs_follow_neighbours(tagger):
    text = "Справка о реабилитации\n\n12.03.1958\n\nВыдана гражданке Ивановой Марии Петровне для представления по месту требования."
    assert [s.lang for s in tagger.tag(text)] == ["ru"]
    text = "№ 17\n\n1937 ж.\n\nОл 1937 жылы тұтқындалды, кейін ақталды."
    assert [s.lang for s in tagger.tag(text)] == ["kk"]


def test_empty_and_letterless(tagger):
    assert tagger.tag("") == []  # empty page text: no spans
    assert tagger.detect("") == ("und", 0.0)
    for text in ("  \n\n ", "№ 17\n\n12.03.1958"):  # non-empty without words: one "und" span
        assert [(s.start, s.end, s.lang) for s in tagger.tag(text)] == [(0, len(text), "und")]


def test_deterministic(tagger):
    texts = RU + KK + [DE, KK_PAGE, "Мен сізге хат жазамын, мама"]
    first = [tagger.detect(t) for t in texts] + [tagger.tag(t) for t in texts]
    again = [tagger.detect(t) for t in texts] + [tagger.tag(t) for t in texts]
    fresh = LanguageTagger()
    other = [fresh.detect(t) for t in texts] + [fresh.tag(t) for t in texts]
    assert first == again == other


def test_does_not_touch_global_langdetect():
    from langdetect import detector_factory

    before = detector_factory._factory
    LanguageTagger().detect("Справка о реабилитации")
    assert detector_factory._factory is before


def test_document_languages():
    t1, t2 = "абв где жзи", "abc def"
    pages = [
        (t1, [LanguageSpan(0, 3, "ru", 1.0), LanguageSpan(3, len(t1), "kk", 1.0)]),
        (t2, [LanguageSpan(0, len(t2), "und", 0.0)]),
    ]
    assert document_languages(pages) == ["kk", "ru"]  # by letters: kk 6, ru 3; und omitted
    assert document_languages([(t2, [LanguageSpan(0, len(t2), "und", 0.0)])]) == ["und"]
    assert document_languages([("", [])]) == []
    assert document_languages([]) == []


def test_tag_pages_in_a_document(tagger):
    ru_page = "Справка\n\nГражданка Иванова Мария Петровна реабилитирована посмертно."
    pages = [(p, tagger.tag(p)) for p in (ru_page, KK_PAGE, "")]
    assert document_languages(pages)[0] == "kk"


_alphabet = st.sampled_from(list("абвгдежзиклмнопрстуәғқңөұүіabcxyzABC ..,№0123456789\n\n\t"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(_alphabet, max_size=40) | st.sampled_from(RU + KK + [DE, "\n\n", "\n"]), max_size=8))
def test_spans_always_cover(tagger, parts):
    text = "".join(parts)
    spans = tagger.tag(text)
    assert_cover(text, spans)
    assert spans == sorted(spans, key=lambda s: s.start)


def test_short_ocr_debris_without_kazakh_letters_takes_its_neighbours_language():
    tagger = LanguageTagger()
    text = "Выписка из протокола\n\nОсобого совещания при НКВД СССР от 10 марта 1938 г. слушали дело\n\n< тыдатйро"
    assert [s.lang for s in tagger.tag(text)] == ["ru"]


_any_text = st.text(st.sampled_from(list("абвгдеёжзиклмнопрстуфхцчшщыьэюяәғқңөұүһіАБВГҚҰӘabcxyzäöüßABCXYZ .,-—№0123456789\n«»")),
                    max_size=120)


@lru_cache(maxsize=1)
def _factories():
    return [LanguageTagger(candidates=c)._factory for c in (DEFAULT_CANDIDATES, DEFAULT_CANDIDATES + EXTRA_CANDIDATES)]


@settings(max_examples=200, deadline=None)
@given(st.lists(_any_text | st.sampled_from(RU + KK + [DE, PL, UK, KK_PAGE]), min_size=1, max_size=4))
def test_quick_detector_matches_langdetect_draw_for_draw(parts):
    """The tagger's _QuickDetector must give exactly langdetect's probabilities (or its error)."""
    from langdetect.detector import Detector

    from pipeline.language import _QuickDetector

    text = normalize_for_detection(" ".join(parts))
    for factory in _factories():
        results = []
        for detector in (Detector(factory), _QuickDetector(factory)):
            detector.append(text)
            try:
                results.append([(p.lang, p.prob) for p in detector.get_probabilities()])
            except Exception as error:  # "no features in text" must be raised alike
                results.append(type(error).__name__)
        assert results[0] == results[1]


_SHARED_GRAMS: dict = {}  # one memo of word n-grams across all examples, as a tagger keeps it


@settings(max_examples=200, deadline=None)
@given(st.lists(_any_text | st.sampled_from(RU + KK + [DE, PL, UK, KK_PAGE]), min_size=1, max_size=4))
def test_word_ngram_memo_gives_langdetects_ngrams(parts):
    """A word's n-grams taken from the memo (filled by earlier texts) are the ones langdetect's
    NGram gives in that text, in the same order."""
    from langdetect.detector import Detector

    from pipeline.language import _QuickDetector

    text = normalize_for_detection(" ".join(parts))
    factory = _factories()[0]
    stock, quick = Detector(factory), _QuickDetector(factory, _SHARED_GRAMS.setdefault(id(factory), {}))
    for detector in (stock, quick):
        detector.append(text)
        detector.cleaning_text()
    assert quick._extract_ngrams() == stock._extract_ngrams()


# --- issue 14: de, uk, pl, be are default candidates at no cost to Russian and Kazakh -------------

RU_KK_PARAGRAPHS = RU + KK + [
    "Осуждена Особым совещанием при НКВД СССР к 8 годам ИТЛ как член семьи изменника Родины.",
    "Уроженка с. Ивановка Киевской обл., проживала в г. Житомире.",  # Ukrainian places, Russian text
    "- уверен он.",
    "Ол 1938 жылы Алматыда тұтқындалып, Ақмола лагеріне жіберілді.",
    "Күйеуім туралы ешқандай хабар болмады.",
]


@pytest.mark.parametrize("text", RU_KK_PARAGRAPHS)
def test_russian_and_kazakh_keep_their_tags_with_the_new_defaults(text, tagger, tagger_core):
    expected = "kk" if any(ch in "әғқңөұүһі" for ch in text) else "ru"
    assert tagger.detect(text)[0] == expected
    # not only the same tag: the same confidence, judged between ru and kk as before
    assert tagger.detect(text) == tagger_core.detect(text)
    assert tagger.tag(text) == tagger_core.tag(text)


@pytest.mark.parametrize("page, langs", [
    ("Справка выдана гражданке Петренко Оксане Ивановне.\n\nДовідка видана громадянці Петренко Оксані Іванівні.",
     ["ru", "uk"]),
    ("Довідка\n\nЇї чоловіка розстріляли в 1938 р.\n\nЕё мужа расстреляли в 1938 г.", ["uk", "ru"]),
    ("Народився у 1905 році.\n\nРодился в 1905 году в деревне.", ["uk", "ru"]),
    ("Нарадзіўся ў 1905 годзе.\n\nНародився у 1905 році.\n\nРодился в 1905 году в деревне.", ["be", "uk", "ru"]),
    ("Яго бацьку арыштавалі ў 1937 годзе.\n\nЙого батька заарештували в 1937 році.", ["be", "uk"]),
], ids=["ru-uk", "uk-ru", "short-uk-ru", "be-uk-ru", "be-uk"])
def test_short_mixed_russian_ukrainian_belarusian_paragraphs(tagger, page, langs):
    spans = tagger.tag(page)
    assert_cover(page, spans)
    assert [s.lang for s in spans] == langs


def test_belarusian_letters_without_be_candidate_are_und_not_russian(tagger_core):
    assert tagger_core.detect("Нарадзіўся ў 1905 годзе ў вёсцы.")[0] == "und"
    tagger = LanguageTagger(CORE_CANDIDATES + ("be",))  # be needs no langdetect profile
    assert tagger.detect("Нарадзіўся ў 1905 годзе ў вёсцы.")[0] == "be"


def test_kazakh_that_lost_its_letters_is_not_belarusian(tagger):
    # і and ы but no и, as in Belarusian; no дз/ць/ь, so not Belarusian
    assert tagger.detect("Ешкімге хабарламауын білу керек.")[0] != "be"


def test_a_russian_page_with_lines_is_split_by_letters_alone(tagger, monkeypatch):
    # the letter shortcut (_uniform) still holds with the new defaults: no langdetect run per line
    page = "Справка выдана\nгражданке Ивановой Марии Петровне\nв том, что она реабилитирована посмертно."
    calls = []
    monkeypatch.setattr(tagger, "detect", lambda t, f=tagger.detect: calls.append(t) or f(t))
    assert [s.lang for s in tagger.tag(page)] == ["ru"]
    assert len(calls) == 1


def test_word_ngram_memo_stays_bounded(monkeypatch):
    """A long batch cannot grow a worker's memo without end: full, it starts afresh, with the same n-grams."""
    from langdetect.detector import Detector

    import pipeline.language as language

    monkeypatch.setattr(language, "_WORD_GRAMS_MAX", 3)
    factory, memo = _factories()[0], {}
    for text in ("Арестована органами НКВД в 1937 году", "Ол 1938 жылы Алматыда тұтқындалды"):
        stock, quick = Detector(factory), language._QuickDetector(factory, memo)
        for detector in (stock, quick):
            detector.append(text)
            detector.cleaning_text()
        assert quick._extract_ngrams() == stock._extract_ngrams()
        assert 0 < len(memo) <= 3
