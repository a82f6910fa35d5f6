"""Where names end and what kind they are, read from morphology (pipeline.boundaries).

Every sentence here is our own; each stands for a class of wording that the news-trained
model reads wrongly on archival pages.
"""

import pytest
from spacy.tokens import Span

from pipeline import boundaries


@pytest.fixture(scope="module")
def nlp():
    from pipeline.entities import build_pipeline

    return build_pipeline("ru")


def _ents(nlp, text):
    return [(e.label_, e.text, e._.normalized) for e in nlp(text).ents]


@pytest.mark.parametrize("text, place", [
    ("Место рождения г. Полтава\nОсуждена 2.X.1937", "Полтава"),
    ("Прибыла в г. Петропавловск\nДопрос не проводился.", "Петропавловск"),
    ("Выбыла в г. Тобольск\nН. Петрова", "Тобольск"),
])
def test_place_does_not_run_into_the_next_row_of_a_form(nlp, text, place):
    found = [(label, norm) for label, surface, norm in _ents(nlp, text) if label in ("PLACE", "ORG")]
    assert ("PLACE", place) in found
    assert not any("\n" in surface for _, surface, _ in _ents(nlp, text) if _ != "DATE")


@pytest.mark.parametrize("text, label, norm", [
    ("Проживала в Балхашском\nрайоне Карагандинской области.", "PLACE",
     "Балхашский район Карагандинской области"),
    ("Дело пересмотрено Военной коллегией Верховного\nсуда СССР 11 мая 1956 г.", "ORG",
     "Военная коллегия Верховного суда СССР"),
])
def test_name_wrapped_in_prose_goes_on_over_the_line_break(nlp, text, label, norm):
    assert (label, norm) in [(lab, n) for lab, _, n in _ents(nlp, text)]


@pytest.mark.parametrize("text", [
    "Этапирована в Бутырскую тюрьму.",
    "Освобождена 3 мая 1946 г. по амнистии.",
    "Арестован в своей квартире.",
])
def test_a_verb_at_the_start_of_a_sentence_is_no_entity(nlp, text):
    first = text.split()[0]
    assert all(surface != first for _, surface, _ in _ents(nlp, text))


@pytest.mark.parametrize("text, org", [
    ("Отец работал на Уралмашзаводе до ареста.", "Уралмашзавод"),
    ("После войны работал в тресте Карагандауголь.", "Карагандауголь"),
    ("В 1932 году она поехала на Магнитострой.", "Магнитострой"),
])
def test_enterprise_named_in_one_word_is_an_org_not_a_person(nlp, text, org):
    found = _ents(nlp, text)
    assert ("ORG", org) in [(lab, n) for lab, _, n in found]
    assert not any(lab == "PERSON" for lab, _, _ in found)


def test_organisation_word_needs_the_dictionary_mark():
    from pipeline.russian import load_morph

    morph = load_morph()
    assert boundaries.is_organisation_word(morph, "Уралмашзаводе")
    assert not boundaries.is_organisation_word(morph, "Иванов")  # a surname
    assert not boundaries.is_organisation_word(morph, "Караганда")  # a place
    assert boundaries.is_predicate(morph, "Арестована")
    assert not boundaries.is_predicate(morph, "Допрос")


@pytest.mark.parametrize("text, person", [
    ("Справка выдана Ибрагимовой – Кац Розе Абрамовне.", "Ибрагимова – Кац Роза Абрамовна"),
    ("Заявление от Орловой – Штерн Ирины Павловны.", "Орлова – Штерн Ирина Павловна"),
    ("Справка выдана Воронцовой-Дашковой Елене Игоревне.", "Воронцова-Дашкова Елена Игоревна"),
])
def test_double_surname_is_one_person(nlp, text, person):
    assert [n for lab, _, n in _ents(nlp, text) if lab == "PERSON"] == [person]


@pytest.mark.parametrize("text, person", [
    ("Вместе с Идой Марковной Гуревич мы шили рукавицы.", "Гуревич Ида Марковна"),
    ("В бараке я подружилась с Фирой Исааковной Лернер.", "Лернер Фира Исааковна"),
    ("Письмо передали Розе Львовне Зак.", "Зак Роза Львовна"),
])
def test_given_name_first_in_an_oblique_case(nlp, text, person):
    found = _ents(nlp, text)
    assert [n for lab, _, n in found if lab == "PERSON"] == [person]
    assert not any(lab == "PLACE" for lab, _, _ in found)


@pytest.mark.parametrize("text, org", [
    ("Сведения направлены в УИТЛК УВД Актюбинской области.", "УИТЛК УВД Актюбинской области"),
    ("Протокол подписал начальник УНКВД Семипалатинской области.", "УНКВД Семипалатинской области"),
    ("Он работал в Семипалатинском горкоме ВКП(б).", "Семипалатинский горком ВКП(б)"),
])
def test_body_takes_the_region_it_serves(nlp, text, org):
    found = _ents(nlp, text)
    assert ("ORG", org) in [(lab, n) for lab, _, n in found]
    assert not any(lab == "PLACE" for lab, _, _ in found)  # flat: no place inside the body's name


@pytest.fixture(scope="module")
def nlp_kk():
    from pipeline.entities import build_pipeline

    return build_pipeline("kk")


@pytest.mark.parametrize("text, person", [
    ("Ол Оспанов Ерболмен бірге Қарлагта болды.", "Оспанов Ербол"),
    ("Біз Тәжібаев Нұрланмен бірге жұмыс істедік.", "Тәжібаев Нұрлан"),
    ("Хатты Омарова Сәулеге бердім.", "Омарова Сәуле"),
])
def test_kazakh_surname_and_given_name_are_a_person_not_a_place(nlp_kk, text, person):
    found = _ents(nlp_kk, text)
    assert ("PERSON", person) in [(lab, n) for lab, _, n in found]
    assert not any(lab == "PLACE" and person.split()[0] in s for lab, s, _ in found)


@pytest.mark.parametrize("text, person", [
    ("Мою мать, Антонову Е. И., арестовали ночью.", "Антонова Е. И."),  # apposition: her accusative
    ("Дело мужа, Сергеева А. П., пересмотрено.", "Сергеев А. П."),  # apposition: his genitive
    ("Фамилия Сергеева", "Сергеева"),  # a form's label governs nothing
    ("Ответ подписала секретарь Г. Оспанова.", "Оспанова Г."),  # a person noun stands in apposition
])
def test_surname_with_initials_takes_case_and_gender_from_its_clause(nlp, text, person):
    assert [n for lab, _, n in _ents(nlp, text) if lab == "PERSON"][:1] == [person]


@pytest.mark.parametrize("text, label, norm", [
    ("Анкета члена ВКП(б) Казахстана изъята.", "ORG", "ВКП(б) Казахстана"),
    ("Семью выселили из АССР Немцев Поволжья осенью.", "PLACE", "АССР Немцев Поволжья"),
    ("Запрос направлен в Информационный центр МВД Республики Казахстан.", "ORG",
     "Информационный центр МВД Республики Казахстан"),
    ("Сослана в Туруханский район Красноярского края.", "PLACE", "Туруханский район Красноярского края"),
])
def test_named_dependent_in_the_genitive_joins_its_head(nlp, text, label, norm):
    found = _ents(nlp, text)
    assert (label, norm) in [(lab, n) for lab, _, n in found]


@pytest.mark.parametrize("text, places", [
    ("Этап Москва – Караганда прибыл в июне.", ["Москва", "Караганда"]),  # a route, not a double name
    ("Уроженка с. Малин Киевской области.", ["Малин", "Киевская область"]),  # a town and its region: two
])
def test_places_side_by_side_stay_apart(nlp, text, places):
    assert [n for lab, _, n in _ents(nlp, text) if lab == "PLACE"] == places


def test_heading_ends_at_its_line(nlp):
    found = _ents(nlp, "ЖЕЗКАЗГАНСКИЙ ИТЛ МВД\nПРОТОКОЛ № 17\n\nСлушали дело Ивановой.")
    assert [s for lab, s, _ in found if lab == "ORG"] == ["ЖЕЗКАЗГАНСКИЙ ИТЛ МВД"]


@pytest.mark.parametrize("text", [
    "Проживала по ул. Розы Люксембург, 7, в г. Омске.",
    "Жил на улице Пушкина в Караганде.",
])
def test_street_named_after_a_person_is_no_entity(nlp, text):
    assert [lab for lab, _, _ in _ents(nlp, text)] == ["PLACE"]


@pytest.mark.parametrize("text, org", [
    ("Он вступил в ВКП(б) в 1929 году.", "ВКП(б)"),
    ("До ареста служил в Наркомпросе Казахской ССР.", "Наркомпрос Казахской ССР"),
])
def test_party_bracket_and_people_s_commissariats(nlp, text, org):
    assert ("ORG", org) in [(lab, n) for lab, _, n in _ents(nlp, text)]


def test_name_ends_before_a_verb_of_its_clause(nlp):
    found = _ents(nlp, "Этап сдал начальник конвоя Петренко Принял (подпись)")
    assert ("PERSON", "Петренко") in [(lab, n) for lab, _, n in found]


def test_one_common_word_is_no_person(nlp):
    from pipeline.russian import load_morph

    morph = load_morph()
    doc = nlp.make_doc("Год рождения Иванов")
    assert boundaries.is_common_word(morph, Span(doc, 0, 1, label="PERSON"))
    assert not boundaries.is_common_word(morph, Span(doc, 2, 3, label="PERSON"))


@pytest.mark.parametrize("word, name", [
    ("Вера", "Вера"), ("Веру", "Вера"), ("Ниночкой", "Ниночка"), ("Танюше", "Танюша"), ("Васенькой", "Васенька"),
])
def test_a_given_name_alone_keeps_its_nominative(word, name):
    from pipeline.normalize import normalize_person

    assert normalize_person(word, "ru")["full"] == name


def test_a_list_column_s_town_is_a_place_by_the_dictionary(nlp):
    found = _ents(nlp, "7 Орлова Мария Петровна 1903 Рязань ОСО НКВД 8 л.")
    assert ("PLACE", "Рязань") in [(lab, n) for lab, _, n in found]
    assert [lab for lab, s, _ in _ents(nlp, "Калинин был в командировке.") if s == "Калинин"] == ["PERSON"]
    assert ("ORG", "Уралмашзавод") in [(lab, n) for lab, _, n in _ents(nlp, "Отец работал инженером на Уралмашзаводе.")]
    assert ("PLACE", "Алма-Ата") in [(lab, n) for lab, _, n in _ents(nlp, "18 сентября 1937 г., г. Алма-Ата")]


def test_a_region_in_brackets_is_a_place_of_its_own(nlp):
    found = [(lab, n) for lab, _, n in _ents(nlp, "Родилась в с. Мариенталь (АССР Немцев Поволжья) в 1910 г.")]
    assert ("PLACE", "Мариенталь") in found and ("PLACE", "АССР Немцев Поволжья") in found


def test_a_region_with_a_hyphen_stays_in_the_body(nlp):
    found = _ents(nlp, "Кем арестована: УНКВД по Северо-Казахстанской обл.")
    assert ("ORG", "УНКВД по Северо-Казахстанской области") in [(lab, n) for lab, _, n in found]


def test_year_after_a_full_name_on_a_list_row_is_the_birth_year(nlp):
    text = ("№ Фамилия, имя, отчество Год рожд. Откуда\n1 [Орлова Мария Петровна 1903 Рязань ОСО НКВД 8 л.\n"
            "2. Кузнецова Анна Ильинична 1899 Москва\nВ 1937 году Смирнова Анна Петровна 1938 раз писала.")
    dates = [(s, n) for lab, s, n in _ents(nlp, text) if lab == "DATE"]
    assert ("1903", "1903") in dates and ("1899", "1899") in dates
    assert ("1938", "1938") not in dates  # prose: the name does not open a numbered row


def test_year_after_the_birth_label_with_place():
    from pipeline.dates import find_dates

    assert [(m.text, m.normalized) for m in find_dates("Год и место рождения: 1903, г. Гомель")] == [("1903", "1903")]


def test_name_in_a_heading_before_a_paragraph_that_opens_with_a_pronoun(nlp):
    found = _ents(nlp, "ВОСПОМИНАНИЯ\nИ. С. Вольский\n\nЯ, Вольский Иван Семенович, родился в Омске.")
    assert ("PERSON", "Вольский И. С.") in [(lab, n) for lab, _, n in found]


def test_card_s_given_name_field_is_not_tagged_but_a_combined_one_is(nlp):
    people = [n for lab, _, n in _ents(nlp, "Фамилия Гольдман .\tИмя Ева\nОтчество Марковна\tГод рождения 1901")
              if lab == "PERSON"]
    assert "Ева" not in people
    combined = _ents(nlp, "Фамилия Сейтова\nимя, отчество Күлпаш Ахметовна\nГод рождения 1907")
    assert ("PERSON", "Күлпаш Ахметовна") in [(lab, s) for lab, s, _ in combined]


@pytest.mark.parametrize("text, absent", [
    ("СПИСОК УЗНИЦ (фрагмент, буквы Д-Ж)", "Д-Ж"),
    ("СТЕПЛАГ МВД. ЛИЧНАЯ КАРТОЧКА ЗК 4-117", "ЗК"),
    ("УДОСТОВЕРЕНИЕ\n\nВыдано Соловьевой Нине Павловне.", "УДОСТОВЕРЕНИЕ"),
])
def test_headings_letters_and_document_kinds_are_no_entities(nlp, text, absent):
    assert absent not in [s for _, s, _ in _ents(nlp, text)]


def test_special_board_without_при_is_one_org(nlp):
    found = _ents(nlp, "4 [Орлова Мария Петровна 1903 Рязань осо НКВД 8 л.")
    assert ("ORG", "осо НКВД") in [(lab, s) for lab, s, _ in found]


def test_text_typed_in_lower_case_keeps_its_names(nlp):
    found = _ents(nlp, "справка выдана гражданке ивановой анне петровне, проживающей в городе омске, в том, что "
                       "она реабилитирована.")
    assert ("PERSON", "иванова анна петровна") in [(lab, n) for lab, _, n in found]
    assert ("PLACE", "омск") in [(lab, n) for lab, _, n in found]


def test_card_s_surname_field_is_a_person(nlp):
    found = _ents(nlp, "УЧЁТНАЯ КАРТОЧКА\nФамилия\tБерензон-Кляйн\nИмя\tРоза")
    assert ("PERSON", "Берензон-Кляйн") in [(lab, s) for lab, s, _ in found]


def test_an_organ_abbreviation_takes_its_region_after_по(nlp):
    found = _ents(nlp, "Дело хранится в архиве УКГБ по Павлодарской области.")
    assert ("ORG", "УКГБ по Павлодарской области") in [(lab, s) for lab, s, _ in found]


@pytest.mark.parametrize("text, person", [
    ("Дело Смирнова К. А. пересмотрено, он реабилитирован посмертно.", "Смирнов К. А."),
    ("Приговорили Орлову Т. Ф. к 8 годам ИТЛ, она прибыла в Акмолинск в мае.", "Орлова Т. Ф."),
    ("Дело Смирновой К. А. пересмотрено, её муж Смирнов реабилитирован.", "Смирнова К. А."),  # another name first
])
def test_a_pronoun_after_a_surname_with_initials_gives_its_gender(nlp, text, person):
    assert [n for lab, _, n in _ents(nlp, text) if lab == "PERSON"][0] == person


def test_surname_of_the_other_gender():
    from pipeline.names import surname_of_gender

    assert surname_of_gender("Гаврилова", "m") == "Гаврилов" and surname_of_gender("Лунин", "f") == "Лунина"
    assert surname_of_gender("Бельский", "f") == "Бельская" and surname_of_gender("Гуревич", "f") is None
    assert surname_of_gender("Лунина", "f") is None  # already hers


def test_the_word_after_the_birth_year_on_a_list_row_is_the_birth_place(nlp):
    row = _ents(nlp, "4 [Зуева Анна Павловна 1903 Киров ОСО НКВД 8 л.")
    assert ("PLACE", "Киров") in [(lab, s) for lab, s, _ in row]
    prose = _ents(nlp, "В 1937 году Калинин был арестован.")
    assert ("PERSON", "Калинин") in [(lab, s) for lab, s, _ in prose]


def test_a_heading_s_body_ends_before_the_next_line_s_cut_word(nlp):
    found = _ents(nlp, "НКВД СССР. СТЕПНОЙ ИТЛ\nСПИСО.\n.заключенных, прибывших этапом")
    assert "СТЕПНОЙ ИТЛ" in [s for lab, s, _ in found if lab == "ORG"]


def test_a_settlement_type_at_a_place_s_end_belongs_to_the_next_name(nlp):
    found = _ents(nlp, "Уроженка дер. Березовка Курской губернии.")
    places = [(s, n) for lab, s, n in found if lab == "PLACE"]
    assert ("дер. Березовка", "Березовка") in places and not any("Уроженка" in s for s, _ in places)


def test_a_word_the_dictionary_knows_only_as_a_place_is_no_person(nlp):
    assert ("PLACE", "Тула") in [(lab, s) for lab, s, _ in _ents(nlp, "Место рождения: Тула, г. Москва.")]


@pytest.mark.parametrize("text, label, norm", [
    ("Уроженка Тамбовской губ., русская.", "PLACE", "Тамбовская губерния"),
    ("Арестован 2/XII-1937 г. Семипалатинским ГО НКВД.", "ORG", "Семипалатинский ГО НКВД"),
])
def test_abbreviations_beside_a_place_adjective(nlp, text, label, norm):
    assert (label, norm) in [(lab, n) for lab, _, n in _ents(nlp, text)]


def test_a_kinship_word_before_a_kazakh_name_is_no_surname(nlp_kk):
    assert ("PERSON", "Жақып Бекұлы") in [(lab, s) for lab, s, _ in _ents(nlp_kk, "Әкем Жақып Бекұлы 1937 жылы атылды.")]
