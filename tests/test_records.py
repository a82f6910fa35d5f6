"""Person records (pipeline.records) from sentences and forms with known entities.

The entities are written inline, `[[LABEL|surface|normalized]]`, so these tests check the
record rules alone, independent of what the NER models find; `test_records_end_to_end`
at the bottom runs the whole entity stage too. All names and texts are invented.
"""

from __future__ import annotations

import re

import pytest

from pipeline import dates
from pipeline.export import contract_problems, document_to_dict
from pipeline.model import Document, DocumentInfo, Entity, LanguageSpan, Page
from pipeline.records import RecordBuilder, fold

_MARK = re.compile(r"\[\[(PERSON|DATE|PLACE|ORG)\|([^|\]]+)(?:\|([^\]]+))?\]\]")


def page_from_markup(number: int, markup: str, lang: str) -> Page:
    text, entities, cursor, out = markup, [], 0, []
    for match in _MARK.finditer(markup):
        out.append(markup[cursor : match.start()])
        start = sum(len(part) for part in out)
        label, surface, normalized = match.group(1), match.group(2), match.group(3)
        if normalized is None:
            normalized = dates.normalize_date(surface, lang) if label == "DATE" else surface
        out.append(surface)
        entities.append(Entity(label, surface, start, start + len(surface), lang, normalized, 0.9))
        cursor = match.end()
    out.append(markup[cursor:])
    text = "".join(out)
    return Page(number, "text-layer", text, language_spans=[LanguageSpan(0, len(text), lang, 1.0)],
                entities=entities)


def document(*pages: tuple[str, str]) -> Document:
    built = [page_from_markup(i, markup, lang) for i, (lang, markup) in enumerate(pages, start=1)]
    langs = list(dict.fromkeys(lang for lang, _ in pages))
    info = DocumentInfo("0" * 16, "case.pdf", "0" * 64, len(built), langs, "test")
    return Document(info, built)


@pytest.fixture(scope="module")
def builder():
    return RecordBuilder()


def persons_of(builder, *pages):
    doc = document(*pages)
    doc.persons = builder.build(doc)
    record = document_to_dict(doc)
    assert contract_problems(record) == []
    return doc.persons


def find(persons, surname_or_given):
    key = fold(surname_or_given)
    hits = [p for p in persons if key in (fold(p["name"]["surname"]), fold(p["name"]["given"]))]
    assert len(hits) == 1, f"{surname_or_given!r} in {[p['name']['full'] for p in persons]}"
    return hits[0]


def events(person):
    return sorted((e["type"], e["date"]) for e in person["events"])


# (id, pages, who, birth date, birth place, events as (type, date))
CASES = [
    ("ru-birth-arrest",
     [("ru", "[[PERSON|Соколова Вера Андреевна]], [[DATE|1902 г.р.]], уроженка [[PLACE|г. Вильно|Вильно]], "
             "арестована [[DATE|15.VIII.1937]].")],
     "Соколова", "1902", "Вильно", [("arrest", "1937-08-15")]),
    ("ru-sentence-oso",
     [("ru", "[[PERSON|Соколова Вера Андреевна]] осуждена [[ORG|ОСО при НКВД СССР]] [[DATE|10.III.1938]] "
             "как ЧСИР на 8 лет ИТЛ.")],
     "Соколова", None, None, [("sentence", "1938-03-10")]),
    ("ru-transfer",
     [("ru", "[[PERSON|Соколова Вера Андреевна]] прибыла в [[ORG|Акмолинское отделение Карлага]] "
             "[[DATE|12 мая 1938 г.]]")],
     "Соколова", None, None, [("transfer", "1938-05-12")]),
    ("ru-release-rehab-death",
     [("ru", "[[PERSON|Соколова Вера Андреевна]] освобождена [[DATE|9 апреля 1946 года]]. "
             "Реабилитирована [[DATE|2 июня 1956 г.]] Умерла в [[DATE|1962 г.]]")],
     "Соколова", None, None, [("death", "1962"), ("rehabilitation", "1956-06-02"), ("release", "1946-04-09")]),
    ("ru-wife-and-husband-by-gender",
     [("ru", "Дело о [[PERSON|Корниловой Ольге Петровне|Корнилова Ольга Петровна]], жене осужденного "
             "[[ORG|Военной коллегией|Военная коллегия]] изменника Родины [[PERSON|Корнилова И. С.|Корнилов И. С.]]. "
             "Арестована [[DATE|3.IX.1937]].")],
     "Ольга", None, None, [("arrest", "1937-09-03")]),
    ("ru-husband-sentenced-undated",
     [("ru", "Дело о [[PERSON|Корниловой Ольге Петровне|Корнилова Ольга Петровна]], жене осужденного "
             "[[ORG|Военной коллегией|Военная коллегия]] изменника Родины [[PERSON|Корнилова И. С.|Корнилов И. С.]]. "
             "Арестована [[DATE|3.IX.1937]].")],
     "Корнилов", None, None, [("sentence", None)]),
    ("ru-husband-arrest-and-shot",
     [("ru", "[[PERSON|Зотова Мария Ильинична]] работала врачом. Ее муж, [[PERSON|Павел Зотов|Зотов Павел]], был "
             "арестован [[DATE|в июле 1937 г.|1937-07]] и расстрелян.")],
     "Зотов", None, None, [("arrest", "1937-07"), ("death", None)]),
    ("ru-two-sentences-kept",
     [("ru", "[[PERSON|Лебедева Н. К.]] была осуждена [[ORG|Особым совещанием|Особое совещание]] "
             "[[DATE|осенью 1937 года|1937-23]] к восьми годам ИТЛ, а [[DATE|8 июля 1941 г.]] осуждена "
             "[[ORG|Военной коллегией|Военная коллегия]] к высшей мере наказания.")],
     "Лебедева", None, None, [("sentence", "1937-23"), ("sentence", "1941-07-08")]),
    ("ru-relative-date",
     [("ru", "[[PERSON|Гусева Анна Львовна]] арестована [[DATE|15 мая 1938 г.]], осуждена [[DATE|29 мая|XXXX-05-29]] "
             "того же года.")],
     "Гусева", None, None, [("arrest", "1938-05-15"), ("sentence", "1938-05-29")]),
    ("ru-rehabilitation-by-review",
     [("ru", "Дело [[PERSON|Лебедевой Нины Карловны|Лебедева Нина Карловна]] пересмотрено "
             "[[ORG|Военной коллегией|Военная коллегия]] [[DATE|2 июня 1956 года]]. Дело прекращено. "
             "[[PERSON|Лебедева Нина Карловна]] реабилитирована посмертно.")],
     "Лебедева", None, None, [("rehabilitation", "1956-06-02")]),
    ("ru-decision-dated-by-protocol",
     [("ru", "ВЫПИСКА ИЗ ПРОТОКОЛА № 5 Особого совещания от [[DATE|10 марта 1938 г.]]\n\n"
             "ПОСТАНОВИЛИ: [[PERSON|Белову Анну Ивановну|Белова Анна Ивановна]] заключить в исправтрудлагерь "
             "сроком на пять лет, считая срок с [[DATE|1 ноября 1937 г.]] Этапировать в [[ORG|Карлаг]].")],
     "Белова", None, None, [("sentence", "1938-03-10")]),
    ("ru-decision-in-the-full-wording",  # the standard wording of an Особое совещание's decision
     [("ru", "ВЫПИСКА ИЗ ПРОТОКОЛА № 41 Особого совещания от [[DATE|«25» ноября 1937 года|1937-11-25]]\n\n"
             "ПОСТАНОВИЛИ: [[PERSON|Кравец Марию Степановну|Кравец Мария Степановна]], как члена семьи "
             "изменника Родины, заключить в исправительно-трудовой лагерь сроком на ВОСЕМЬ лет.")],
     "Кравец", None, None, [("sentence", "1937-11-25")]),
    ("ru-decision-broken-by-ocr",
     [("ru", "Особого совещания от [[DATE|3 января 1938 года]]\n\nПОСТАНОВИЛИ: [[PERSON|Кравец Марию "
             "Степановну|Кравец Мария Степановна]] заключить в ис ровительно - трудовой\nлагерь сроком на 5 лет.")],
     "Кравец", None, None, [("sentence", "1938-01-03")]),
    ("ru-residence-not-arrest",
     [("ru", "[[PERSON|Белова Анна Ивановна]], до ареста проживавшая в [[PLACE|г. Харькове|Харьков]], учительница.")],
     "Белова", None, None, [("residence", None)]),
    ("ru-question-is-no-fact",
     [("ru", "[[PERSON|Белова Анна Ивановна]] допрошена.\n\nВопрос: Когда был арестован ваш муж?")],
     "Белова", None, None, []),
    ("ru-given-name-and-patronymic-join",
     [("ru", "[[PERSON|Левина Анна Моисеевна]] преподавала в школе. В [[DATE|1979 г.]] "
             "[[PERSON|Анна Моисеевна]] умерла.")],
     "Левина", None, None, [("death", "1979")]),
    ("ru-initials-join",
     [("ru", "[[PERSON|Левина Анна Моисеевна]] арестована [[DATE|4.XI.1937]]. [[PERSON|Левина А. М.]] освобождена "
             "[[DATE|в 1946 г.|1946]]")],
     "Левина", None, None, [("arrest", "1937-11-04"), ("release", "1946")]),
    ("ru-narrator",
     [("ru", "Я, [[PERSON|Орлова Нина Петровна]], родилась в [[DATE|1930 году]] в [[PLACE|Свердловске|Свердловск]]. "
             "Меня арестовали в [[DATE|1949 году]].")],
     "Орлова", "1930", "Свердловск", [("arrest", "1949")]),
    ("ru-kinship-word-points-back",
     [("ru", "Я, [[PERSON|Орлова Нина Петровна]], пишу о семье. Мой отец, [[PERSON|Петр Орлов|Орлов Петр]], работал на "
             "заводе. Отца арестовали в [[DATE|августе 1937 г.|1937-08]].")],
     "Орлов", None, None, [("arrest", "1937-08")]),
    ("ru-pronoun",
     [("ru", "Мама, [[PERSON|Зотова Мария Ильинична]], учила детей. Она родилась [[DATE|около 1903 года|1903~]] "
             "в [[PLACE|Витебске|Витебск]].")],
     "Зотова", "1903~", "Витебск", []),
    ("ru-capital-sentence-dates-death",
     [("ru", "[[PERSON|Сидоров Петр Ильич]] приговорен к высшей мере наказания [[DATE|2 ноября 1937 г.]] "
             "и расстрелян.")],
     "Сидоров", None, None, [("death", "1937-11-02"), ("sentence", "1937-11-02")]),
    ("ru-order-is-no-transfer",
     [("ru", "[[PERSON|Сидорова Анна Петровна]] осуждена [[DATE|5.I.1938]]. Этапировать в [[ORG|Карлаг]].")],
     "Сидорова", None, None, [("sentence", "1938-01-05")]),
    ("ru-translated-is-no-transfer",
     [("ru", "[[PERSON|Искендерова Сара Юсуповна]] показала: протокол мне переведен на казахский язык.")],
     "Искендерова", None, None, []),
    ("ru-card-with-tabs",
     [("ru", "УЧЕТНАЯ КАРТОЧКА № 4411\nФамилия [[PERSON|Рубина]]\tИмя Эстер\nОтчество Марковна\tГод рождения "
             "[[DATE|1901]]\nМесто рождения г. Бобруйск\tНациональность еврейка\nАрестована [[DATE|5.X.1937]]\tКем "
             "[[ORG|УНКВД по Минской обл.|УНКВД по Минской области]]\nОсуждена [[ORG|ОСО при НКВД СССР]]\tКогда "
             "[[DATE|2.II.38]]\nСтатья ЧСИР\tСрок 5 лет\nНачало срока [[DATE|5.X.1937]]\tКонец срока [[DATE|5.X.1942]]\n"
             "Освобождена [[DATE|5 октября 1942 г.]]\tВыбыла в [[PLACE|г. Минск|Минск]]")],
     "Рубина", "1901", "Бобруйск",
     [("arrest", "1937-10-05"), ("release", "1942-10-05"), ("sentence", "1938-02-02")]),
    ("ru-card-ocr-slips",
     [("ru", "Фамилия [[PERSON|Рубина]]\tИмя Эстер\nМёстожительство г. Минск\tПрофессия швея\n"
             "Фсуждена [[ORG|ОСО при НКВД СССР]]\tКогда [[DATE|14.IV.38]]")],
     "Рубина", None, None, [("residence", None), ("sentence", "1938-04-14")]),
    ("ru-protocol-colon-fields",
     [("ru", "Фамилия, имя, отчество: [[PERSON|Ахметова Салима Каримовна]]\nГод рождения: [[DATE|1912]]\n"
             "Место рождения: [[PLACE|Каркаралинский район]]\nМестожительство: [[PLACE|г. Алма-Ата|Алма-Ата]], "
             "ул. Ленина, 5\nАрестоваға: [[DATE|16.09.1937]]")],
     "Ахметова", "1912", "Каркаралинский район", [("arrest", "1937-09-16"), ("residence", None)]),
    ("ru-list-of-people",
     [("ru", "1. [[PERSON|Абаева Роза Тимуровна]], [[DATE|1899 г.р.]], уроженка [[PLACE|г. Уфы|Уфа]]. Арестована "
             "[[DATE|12.11.1937]]. Освобождена [[DATE|12.11.1942]].\n\n2. [[PERSON|Бауэр Клара Генриховна]], "
             "[[DATE|1906 г.р.]], уроженка [[PLACE|г. Саратова|Саратов]]. Арестована [[DATE|22 сентября 1937 г.]] "
             "Умерла в заключении [[DATE|17.III.1943]].")],
     "Бауэр", "1906", "Саратов", [("arrest", "1937-09-22"), ("death", "1943-03-17")]),
    ("ru-same-surname-by-gender",
     [("ru", "[[PERSON|Петров Иван Ильич]] и [[PERSON|Петрова Анна Львовна]] жили в [[PLACE|Томске|Томск]]. "
             "Арестован [[DATE|1 июня 1937 г.]], арестована [[DATE|3 августа 1937 г.]]")],
     "Анна", None, None, [("arrest", "1937-08-03"), ("residence", None)]),
    ("ru-same-surname-by-gender-his",
     [("ru", "[[PERSON|Петров Иван Ильич]] и [[PERSON|Петрова Анна Львовна]] жили в [[PLACE|Томске|Томск]]. "
             "Арестован [[DATE|1 июня 1937 г.]], арестована [[DATE|3 августа 1937 г.]]")],
     "Иван", None, None, [("arrest", "1937-06-01"), ("residence", None)]),
    ("ru-birth-place-untagged",
     [("ru", "[[PERSON|Абаева Роза Тимуровна]], [[DATE|1899 г.р.]], уроженка г. уфы, татарка.")],
     "Абаева", "1899", "Уфа", []),
    # Kazakh
    ("kk-birth",
     [("kk", "[[PERSON|Жанна Бекова|Бекова Жанна]] [[DATE|1902 жылы]] [[PLACE|Верный]] қаласында туған.")],
     "Бекова", "1902", "Верный", []),
    ("kk-arrest-by-pronoun",
     [("kk", "[[PERSON|Бекова Жанна]] мұғалім болды. Ол [[DATE|1937 жылғы 15 тамызда]] [[PLACE|Алматыда|Алматы]] "
             "тұтқындалды.")],
     "Бекова", None, None, [("arrest", "1937-08-15")]),
    ("kk-sentence-with-organ",
     [("kk", "[[PERSON|Бекова Жанна]] тұтқындалды. [[DATE|1938 жылғы 4 ақпанда]] [[ORG|КСРО ІІХК жанындағы Ерекше "
             "кеңес]] оны 8 жылға соттады.")],
     "Бекова", None, None, [("arrest", None), ("sentence", "1938-02-04")]),
    ("kk-release-rehab-death",
     [("kk", "[[PERSON|Бекова Жанна]] [[DATE|1946 жылы]] босатылды. [[DATE|1958 жылы]] ақталды. "
             "Ол [[DATE|1962 жылы]] қайтыс болды.")],
     "Бекова", None, None, [("death", "1962"), ("rehabilitation", "1958"), ("release", "1946")]),
    ("kk-before-arrest-is-residence",
     [("kk", "[[PERSON|Бекова Жанна]] тұтқындалғанға дейін [[PLACE|Алматы]] қаласында тұрған.")],
     "Бекова", None, None, [("residence", None)]),
    ("kk-husband",
     [("kk", "[[PERSON|Бекова Жанна]] мұғалім еді. Күйеуі [[PERSON|Ермек Сейітов|Сейітов Ермек]] "
             "[[DATE|1937 жылғы 2 шілдеде]] тұтқындалып, атылды.")],
     "Сейітов", None, None, [("arrest", "1937-07-02"), ("death", None)]),
    ("kk-spouse-genitive-owner",
     [("kk", "[[PERSON|Ермек Сейітовтың|Сейітов Ермек]] жұбайы [[PERSON|Жанна Сейітова|Сейітова Жанна]] "
             "[[DATE|1905 жылы]] туған.")],
     "Сейітова", "1905", None, []),
    ("kk-children-births",
     [("kk", "Балалары — [[PERSON|Сейітов Нұрлан Ермекұлы]] ([[DATE|1930 жылы]] туған) мен "
             "[[PERSON|Сейітова Айгүл Ермекқызы]] ([[DATE|1933 жылы]] туған) балалар үйіне жіберілді.")],
     "Айгүл", "1933", None, []),
    ("kk-first-child-birth",
     [("kk", "Балалары — [[PERSON|Сейітов Нұрлан Ермекұлы]] ([[DATE|1930 жылы]] туған) мен "
             "[[PERSON|Сейітова Айгүл Ермекқызы]] ([[DATE|1933 жылы]] туған).")],
     "Нұрлан", "1930", None, []),
    ("kk-transfer-to-camp",
     [("kk", "[[PERSON|Бекова Жанна]] [[DATE|1938 жылы]] [[ORG|АЛЖИР-ге|АЛЖИР]] жіберілді.")],
     "Бекова", None, None, [("transfer", "1938")]),
    ("kk-bilingual-one-person",
     [("kk", "[[PERSON|Зейнеп Оспанова|Оспанова Зейнеп]] [[DATE|1938 жылғы 3 қаңтарда]] тұтқындалды."),
      ("ru", "[[PERSON|Зейнеп Оспанова|Оспанова Зейнеп]] арестована [[DATE|3 января 1938 г.]]")],
     "Оспанова", None, None, [("arrest", "1938-01-03")]),
    ("kk-yearless-date-from-context",
     [("kk", "Хат [[DATE|1937 жылы]] жазылды. [[PERSON|Исаев Марат]] [[DATE|2 шілдеде|XXXX-07-02]] тұтқындалды.")],
     "Исаев", None, None, [("arrest", "1937-07-02")]),
    ("kk-first-person-letter",
     [("kk", "Қымбатты ұлым [[PERSON|Ерлан]]!\n\n[[DATE|1937 жылдың күзінде|1937-23]] мені [[PLACE|Алматыдан|Алматы]] "
             "алып кеткенде сен жеті жаста едің. [[DATE|1938 жылы]] бізді [[PLACE|Ақмолаға|Ақмола]] әкелді.\n\n"
             "Анаң [[PERSON|Мәлике]]")],
     "Мәлике", None, None, [("arrest", "1937-23"), ("transfer", "1938")]),
    ("kk-district-birth-place",
     [("kk", "[[PERSON|Тәжібаева Күләш Сәрсенқызы]], [[DATE|1908 жылы]] [[PLACE|Ақмола облысы]] "
             "[[PLACE|Атбасар ауданында|Атбасар ауданы]] туған.")],
     "Тәжібаева", "1908", "Атбасар ауданы", []),
    ("kk-served-out-is-release",
     [("kk", "[[PERSON|Тәжібаева К. С.]] [[DATE|1945 жылғы 15 тамызда]] жазасын өтеп босатылған.")],
     "Тәжібаева", None, None, [("release", "1945-08-15")]),
    ("kk-served-at-camp-is-transfer",
     [("kk", "[[PERSON|Тәжібаева Күләш]] жазасын [[DATE|1938 жылдың наурыз айынан|1938-03]] бастап "
             "[[ORG|АЛЖИР-де|АЛЖИР]] өтеген.")],
     "Тәжібаева", None, None, [("transfer", "1938-03")]),
]


@pytest.mark.parametrize("pages,who,birth_date,birth_place,expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_record_table(builder, pages, who, birth_date, birth_place, expected):
    person = find(persons_of(builder, *pages), who)
    assert person["birth"]["date"] == birth_date
    assert (fold(person["birth"]["place"]) or None) == (fold(birth_place) or None)
    assert events(person) == sorted(expected)


def test_table_has_forty_cases():
    assert len(CASES) >= 40


def test_sentence_keeps_organ_charge_and_term(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Соколова Вера Андреевна]] осуждена [[ORG|ОСО при НКВД СССР]] "
                                         "[[DATE|10.III.1938]] как ЧСИР на 8 лет ИТЛ."))
    (sentence,) = find(persons, "Соколова")["events"]
    assert sentence["organ"] == "ОСО при НКВД СССР"
    assert sentence["charge"] == "ЧСИР"
    assert sentence["term"] == "на 8 лет ИТЛ" and sentence["term_years"] == 8
    assert sentence["evidence"] == ["e3", "e2"]  # the date first, then the organ


def test_sentence_term_in_words_and_article(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Котов Иван Ильич]] осужден [[DATE|3.X.1937]] по ст. 58-10 УК РСФСР "
                                         "сроком на десять лет."))
    (sentence,) = find(persons, "Котов")["events"]
    assert sentence["charge"] == "ст. 58-10" and sentence["term_years"] == 10


@pytest.mark.parametrize("lang, text, term, years", [
    ("ru", "[[PERSON|Лисовская А. Г.]] осуждена [[DATE|3.XI.1937]] по ст. 58-10 УК РСФСР к 8 (восьми) годам "
           "лишения свободы в ИТЛ.", "к 8 (восьми) годам лишения свободы в ИТЛ", 8),
    ("kk", "[[PERSON|Лисовская Анна]] [[DATE|1937 жылғы 3 қарашадағы|1937-11-03]] қаулысымен 8 жылға бас "
           "бостандығынан айыруға сотталған.", "8 жылға бас бостандығынан айыруға", 8),
    ("kk", "[[PERSON|Бекмағамбетов Сейіт]] [[DATE|1937 жылы|1937]] 10 жылға сотталды.", "10 жылға", 10),
], ids=["ru-number-in-words-in-brackets", "kk-deprivation-of-liberty", "kk-verb-not-in-the-term"])
def test_sentence_term_as_written(builder, lang, text, term, years):
    (sentence,) = [e for e in persons_of(builder, (lang, text))[0]["events"] if e["type"] == "sentence"]
    assert (sentence["term"], sentence["term_years"]) == (term, years)


def test_spouse_relation_both_ways(builder):
    persons = persons_of(builder, ("ru", "Дело о [[PERSON|Корниловой Ольге Петровне|Корнилова Ольга Петровна]], жене "
                                         "изменника Родины [[PERSON|Корнилова И. С.|Корнилов И. С.]]."))
    wife, husband = find(persons, "Ольга"), find(persons, "Корнилов")
    assert {"type": "spouse", "person": husband["id"]} in wife["relations"]
    assert {"type": "spouse", "person": wife["id"]} in husband["relations"]


def test_child_and_parent_relations(builder):
    persons = persons_of(builder, ("ru", "Я, [[PERSON|Орлова Нина Петровна]], пишу о семье. Мой отец, "
                                         "[[PERSON|Петр Орлов|Орлов Петр]], работал на заводе."))
    daughter, father = find(persons, "Нина"), find(persons, "Петр")
    assert {"type": "parent", "person": father["id"]} in daughter["relations"]
    assert {"type": "child", "person": daughter["id"]} in father["relations"]


def test_conflicting_birth_years_are_both_kept(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Гусева Анна Львовна]], [[DATE|1902 г.р.]], арестована. В анкете: "
                                         "[[PERSON|Гусева Анна Львовна]], [[DATE|1903 года рождения|1903]]."))
    birth = find(persons, "Гусева")["birth"]
    assert birth["date"] == "1902"
    assert [alt["date"] for alt in birth["alternatives"]] == ["1903"]


def test_conflicting_event_dates_are_both_kept(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Гусева Анна Львовна]] арестована [[DATE|15.VIII.1937]]. По другой "
                                         "справке [[PERSON|Гусева Анна Львовна]] арестована [[DATE|17.VIII.1937]]."))
    assert events(find(persons, "Гусева")) == [("arrest", "1937-08-15"), ("arrest", "1937-08-17")]


def test_every_person_named_gets_a_record_with_mentions(builder):
    persons = persons_of(builder, ("ru", "Справку подписал [[PERSON|Шапиро И.]]. Дело [[PERSON|Гусевой Анны Львовны|"
                                         "Гусева Анна Львовна]] и [[PERSON|Гусевой А. Л.|Гусева А. Л.]]"))
    assert sorted(p["name"]["full"] for p in persons) == ["Гусева Анна Львовна", "Шапиро И."]
    assert find(persons, "Гусева")["mentions"] == ["e2", "e3"]
    assert find(persons, "Шапиро")["name"] == {"full": "Шапиро И.", "surname": "Шапиро", "given": "И.",
                                                "patronymic": None}


def test_yearless_date_without_context_stays_unknown(builder):
    persons = persons_of(builder, ("kk", "[[PERSON|Исаев Марат]] [[DATE|2 шілдеде|XXXX-07-02]] тұтқындалды."))
    (arrest,) = find(persons, "Исаев")["events"]
    assert arrest["date"] is None and arrest["date_without_year"] == "07-02"


def test_form_name_fields_complete_the_name(builder):
    persons = persons_of(builder, ("ru", "Фамилия [[PERSON|Рубина]]\tИмя Эстер\nОтчество Марковна\tГод рождения "
                                         "[[DATE|1901]]"))
    assert find(persons, "Рубина")["name"] == {"full": "Рубина Эстер Марковна", "surname": "Рубина",
                                                "given": "Эстер", "patronymic": "Марковна"}
    assert find(persons, "Рубина")["gender"] == "female"


def test_different_people_with_one_surname_stay_apart(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Петров Иван Ильич]] и [[PERSON|Петров Олег Ильич]] братья."))
    assert len(persons) == 2


def test_no_persons_without_person_entities(builder):
    assert persons_of(builder, ("ru", "Арестована [[DATE|15.VIII.1937]]. Освобождена [[DATE|1946 г.|1946]]")) == []


def test_records_end_to_end():
    """The whole entity stage, then records: what `testimony run` does for a text-layer page."""
    from pipeline.entities import EntityExtractor

    text = ("Справка. Гражданка Смирнова Елена Павловна, 1904 г.р., уроженка г. Калуги, арестована 15.VIII.1937. "
            "Осуждена ОСО при НКВД СССР 10.III.1938 как ЧСИР на 8 лет ИТЛ. Освобождена 9 апреля 1946 года. "
            "Реабилитирована 2 июня 1956 г.")
    page = Page(1, "text-layer", text, language_spans=[LanguageSpan(0, len(text), "ru", 1.0)])
    page.entities = EntityExtractor(languages=("ru",)).extract(page)
    doc = Document(DocumentInfo("0" * 16, "x.pdf", "0" * 64, 1, ["ru"], "test"), [page])
    (person,) = RecordBuilder().build(doc)
    assert person["name"]["full"] == "Смирнова Елена Павловна"
    assert person["birth"]["date"] == "1904" and person["birth"]["place"] == "Калуга"
    assert events(person) == [("arrest", "1937-08-15"), ("rehabilitation", "1956-06-02"), ("release", "1946-04-09"),
                              ("sentence", "1938-03-10")]


def test_any_text_gives_valid_records(builder):
    """Whatever OCR produces, records build and validate: no crash, no dangling ids."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    words = st.sampled_from(["арестована", "осуждена", "Иванова", "Анна", "1937", "г.", ".", ",", "\n", "\n\n", "\t",
                             "Фамилия", "Год рождения", "тұтқындалды", "ол", "она", "муж", "Күйеуі", "(", ")",
                             "туған", "1902 г.р.", "мен", "и", "жили", "Я", "меня", "?", "реабилитирована"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(words, min_size=1, max_size=60), st.data())
    def check(tokens, data):
        text = " ".join(tokens)
        entities = []
        cursor = 0
        for token in tokens:
            start = text.index(token, cursor)
            end = start + len(token)
            cursor = end
            if token in ("Иванова", "Анна") and data.draw(st.booleans()):
                entities.append(Entity("PERSON", token, start, end, "ru", token, 0.9))
            elif token in ("1937", "1902 г.р.") and data.draw(st.booleans()):
                entities.append(Entity("DATE", token, start, end, "ru", token[:4], 0.9))
        lang = data.draw(st.sampled_from(["ru", "kk"]))
        page = Page(1, "ocr", text, language_spans=[LanguageSpan(0, len(text), lang, 1.0)], entities=entities)
        doc = Document(DocumentInfo("0" * 16, "x.png", "0" * 64, 1, [lang], "test"), [page])
        doc.persons = builder.build(doc)
        assert contract_problems(document_to_dict(doc)) == []

    check()


def test_husband_named_only_by_surname_gets_his_own_record():
    """ "жена изменника Родины Тухачевского": the model tags "Родины Тухачевского"; he is a person of his own."""
    from pipeline.entities import EntityExtractor

    text = ("Воронцова Нина Евгеньевна, жена изменника Родины Воронцова, арестована 15.VIII.1937. Осуждена ОСО при "
            "НКВД СССР 10.III.1938 как ЧСИР на 8 лет ИТЛ.")
    page = Page(1, "text-layer", text, language_spans=[LanguageSpan(0, len(text), "ru", 1.0)])
    page.entities = EntityExtractor(languages=("ru",)).extract(page)
    doc = Document(DocumentInfo("0" * 16, "x.pdf", "0" * 64, 1, ["ru"], "test"), [page])
    wife, husband = RecordBuilder().build(doc)
    assert husband["name"]["full"] == "Воронцов" and husband["gender"] == "male" and husband["events"] == []
    assert wife["relations"] == [{"type": "spouse", "person": husband["id"]}]
    assert husband["relations"] == [{"type": "spouse", "person": wife["id"]}]
    assert events(wife) == [("arrest", "1937-08-15"), ("sentence", "1938-03-10")]


def test_card_is_about_the_person_of_its_surname_field(builder):
    """A name-like value in another row (an NER slip) does not take the card's events."""
    persons = persons_of(builder, ("ru", "Фамилия [[PERSON|Рубина]]\tИмя Эстер\nМесто рождения [[PERSON|Г. Бобруйск|"
                                         "Бобруйск Г.]]\tНациональность еврейка\nАрестована [[DATE|5.X.1937]]\tКем "
                                         "[[ORG|УНКВД]]\nОсвобождена [[DATE|5 октября 1942 г.]]"))
    assert events(find(persons, "Рубина")) == [("arrest", "1937-10-05"), ("release", "1942-10-05")]


def test_card_values_in_their_own_cell_or_above_the_label(builder):
    """OCR of a card: "Фамилия<TAB>Зайцева", and "1899" read on the line above "Год рождения"."""
    persons = persons_of(builder, ("ru", "УЧЁТНАЯ КАРТОЧКА\tФорма 1\nФамилия\t[[PERSON|Зайцева]]\nИмя\tЕвдокия\n"
                                         "Отчество\tНикифоровна\n[[DATE|1899]]\nГод рождения\nМесто рождения\tс. Ольховка"))
    person = find(persons, "Зайцева")
    assert person["name"]["full"] == "Зайцева Евдокия Никифоровна"
    assert person["birth"]["date"] == "1899" and person["birth"]["place"] == "Ольховка"


def test_ocr_debris_makes_no_person(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Зайцева Евдокия]] [[PERSON|Осз::бождена]] [[DATE|12.IX.1945]]"))
    assert [p["name"]["full"] for p in persons] == ["Зайцева Евдокия"]


def test_place_comes_from_the_words_the_event_governs(builder):
    persons = persons_of(builder, ("ru", "Дело [[PERSON|Лисовской Анны Григорьевны|Лисовская Анна Григорьевна]], "
                                         "учительницы школы [[PLACE|г. Петропавловска|Петропавловск]], арестованной "
                                         "[[DATE|15.VIII.1937 г.|1937-08-15]], пересмотрено."))
    (arrest,) = find(persons, "Лисовская")["events"]
    assert arrest["date"] == "1937-08-15" and arrest["place"] is None


def test_untagged_town_after_lived_in(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Абаева Роза]] проживала в\nмоскве, машинистка."))
    (residence,) = find(persons, "Абаева")["events"]
    assert residence["type"] == "residence" and residence["place"] == "Москва"


def test_card_name_fields_broken_by_ocr(builder):
    persons = persons_of(builder, ("ru", "Фамилия\t[[PERSON|Зайцева]]\nИмя\tЕ::докия\nОтчество\tНи кифоровна"))
    assert find(persons, "Зайцева")["name"]["full"] == "Зайцева Едокия Никифоровна"


def test_a_misread_year_is_shown_not_used(builder):
    persons = persons_of(builder, ("ru", "[[PERSON|Зайцева Евдокия]] осуждена [[ORG|ОСО при НКВД СССР]] "
                                         "[[DATE|5.XI.1837]] как ЧСИР."))
    (sentence,) = find(persons, "Зайцева")["events"]
    assert sentence["date"] is None and sentence["date_as_read"] == "1837-11-05" and sentence["charge"] == "ЧСИР"


def test_kazakh_place_of_the_verbs_clause(builder):
    persons = persons_of(builder, ("kk", "[[PERSON|Лисовская Анна]] [[PLACE|Петропавл]] қаласындағы мектепте "
                                         "мұғалім болып қызмет атқарған, [[DATE|1937 жылғы 15 тамызда]] тұтқындалған."))
    (arrest,) = find(persons, "Лисовская")["events"]
    assert arrest["date"] == "1937-08-15" and arrest["place"] is None


def test_card_charge_and_term_fields_go_to_its_sentence(builder):
    persons = persons_of(builder, ("ru", "Фамилия [[PERSON|Рубина]]\tИмя Эстер\nОсуждена [[ORG|ОСО при НКВД СССР]]\t"
                                         "Когда [[DATE|2.II.38]]\nСтатья ЧСИР\tСрок 5 лет"))
    (sentence,) = find(persons, "Рубина")["events"]
    assert (sentence["charge"], sentence["term"], sentence["term_years"]) == ("ЧСИР", "5 лет", 5)


def test_everyday_name_joins_the_full_one(builder):
    persons = persons_of(builder, ("ru", "В том же году тетя [[PERSON|Рая]], [[PERSON|Раиса Моисеевна Гинзбург|Гинзбург "
                                         "Раиса Моисеевна]], забрала меня к себе. Письма от [[PERSON|Раи|Рая]] шли "
                                         "долго."))
    assert [p["name"]["full"] for p in persons] == ["Гинзбург Раиса Моисеевна"]
    assert len(persons[0]["mentions"]) == 3


def test_unknown_i_gets_no_events_and_a_mother_is_the_narrators(builder):
    persons = persons_of(builder, ("kk", "Қымбатты ұлым [[PERSON|Ерлан]]!\n\n[[DATE|1937 жылы]] мені алып кетті. "
                                         "[[PERSON|Ұлжан]] әжеңе сәлем айт."))
    assert all(p["events"] == [] and p["relations"] == [] for p in persons)  # the signature is missing
    persons = persons_of(builder, ("ru", "Я, [[PERSON|Орлова Нина Петровна]], пишу о семье. Мой отец, "
                                         "[[PERSON|Петр Орлов|Орлов Петр]], работал на заводе. Мама, "
                                         "[[PERSON|Анна Львовна|Анна Львовна]], учила детей."))
    nina, father, mother = find(persons, "Нина"), find(persons, "Петр"), find(persons, "Анна")
    assert {"type": "parent", "person": mother["id"]} in nina["relations"]
    assert father["relations"] == [{"type": "child", "person": nina["id"]}]
