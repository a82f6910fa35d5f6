"""Name knowledge (pipeline/names.py), context cues (name_context) and `testimony normalize`.

Every sentence here was written for these tests: invented people in the phrasing of case files,
certificates and memoirs, one group per class of name.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from pipeline import names
from pipeline.normalize import Normalizer
from pipeline.normalize_command import normalize_value, run


@pytest.fixture(scope="module")
def norm():
    return Normalizer()


def _person(norm, surface, context=None, lang="ru"):
    return normalize_value(surface, "person", lang, context, norm)


# --- surname + initials: case and gender from the sentence ---------------------------------
INITIALS = [
    ("Арестована жена Тюменцева Д. Г.", "Тюменцева Д. Г.", "Тюменцев Д. Г.", "male"),
    ("Вызвана на допрос мать Гаранина В. С.", "Гаранина В. С.", "Гаранин В. С.", "male"),
    ("Дело сестры Колесниковой А. П. передано в суд.", "Колесниковой А. П.", "Колесникова А. П.", "female"),
    ("Справка выдана Лапшину Е. Н. в том, что он реабилитирован.", "Лапшину Е. Н.", "Лапшин Е. Н.", "male"),
    ("Справка выдана гражданке Лапшиной Е. Н.", "Лапшиной Е. Н.", "Лапшина Е. Н.", "female"),
    ("Следователь допросил Беляеву О. К.", "Беляеву О. К.", "Беляева О. К.", "female"),
    ("Следователь вызвал Синицына П. Р.", "Синицына П. Р.", "Синицын П. Р.", "male"),
    ("Проведена очная ставка с Мартыновой Л. И.", "Мартыновой Л. И.", "Мартынова Л. И.", "female"),
    ("Проведена очная ставка с Мартыновым Л. И.", "Мартыновым Л. И.", "Мартынов Л. И.", "male"),
    ("Имеются сведения о Зотове Г. А.", "Зотове Г. А.", "Зотов Г. А.", "male"),
    ("Арестована Пономарева Н. Ф.", "Пономарева Н. Ф.", "Пономарева Н. Ф.", "female"),
    ("Арестован Пономарев Н. Ф.", "Пономарев Н. Ф.", "Пономарев Н. Ф.", "male"),
    ("Письмо адресовано Кузьминой Т. В.", "Кузьминой Т. В.", "Кузьмина Т. В.", "female"),
    ("Передача принята от Сорокиной З. М.", "Сорокиной З. М.", "Сорокина З. М.", "female"),
    ("Передача принята от Сорокина З. М.", "Сорокина З. М.", "Сорокин З. М.", "male"),
    ("Показания обвиняемой Громовой Е. Л. приобщены.", "Громовой Е. Л.", "Громова Е. Л.", "female"),
    ("Пропуск выдан Гольдберг Р. С.", "Гольдберг Р. С.", "Гольдберг Р. С.", None),
    ("Ходатайство поступило от Ждановского И. Т.", "Ждановского И. Т.", "Ждановский И. Т.", "male"),
]


@pytest.mark.parametrize("sentence, surface, expected, gender", INITIALS)
def test_surname_with_initials_takes_case_from_the_sentence(norm, sentence, surface, expected, gender):
    got = _person(norm, surface, sentence)
    assert got["normalized"] == expected
    if gender:
        assert got["gender"] == gender


# --- full names in oblique cases, rare given names, double surnames ------------------------
FULL = [
    ("Справка выдана Шахназарову Ашоту Грантовичу.", "Шахназарову Ашоту Грантовичу", "Шахназаров Ашот Грантович"),
    ("Сведения о Лурье Рахили Моисеевне.", "Лурье Рахили Моисеевне", "Лурье Рахиль Моисеевна"),
    ("Проведена очная ставка с Эсфирью Абрамовной Гинзбург.", "Эсфирью Абрамовной Гинзбург",
     "Гинзбург Эсфирь Абрамовна"),
    ("Допрошена Кравец-Литвинова Галина Остаповна.", "Кравец-Литвинова Галина Остаповна",
     "Кравец-Литвинова Галина Остаповна"),
    ("Письмо от Кравец-Литвиновой Галины Остаповны получено.", "Кравец-Литвиновой Галины Остаповны",
     "Кравец-Литвинова Галина Остаповна"),
    ("Дело Сейфуллиной-Ахметовой Розы Кабдрахмановны пересмотрено.", "Сейфуллиной-Ахметовой Розы Кабдрахмановны",
     "Сейфуллина-Ахметова Роза Кабдрахмановна"),
    ("Выписка направлена Ганецкой-Шлезингер Ирине Карловне.", "Ганецкой-Шлезингер Ирине Карловне",
     "Ганецкая-Шлезингер Ирина Карловна"),
    ("Мы переписывались с Верой Павловной Лисовской.", "Верой Павловной Лисовской", "Лисовская Вера Павловна"),
    ("Следователь допросил Веру Павловну Лисовскую.", "Веру Павловну Лисовскую", "Лисовская Вера Павловна"),
    ("Вместе с Ханой Лазаревной Фурман её отправили в лагерь.", "Ханой Лазаревной Фурман",
     "Фурман Хана Лазаревна"),
    ("Справка выдана Белоусу Тарасу Ивановичу.", "Белоусу Тарасу Ивановичу", "Белоус Тарас Иванович"),
    ("Справка выдана Сироте Марку Ефимовичу.", "Сироте Марку Ефимовичу", "Сирота Марк Ефимович"),
    ("Справка выдана Журавлю Степану Петровичу.", "Журавлю Степану Петровичу", "Журавль Степан Петрович"),
    ("Очная ставка проведена с Ивановичем.", "Ивановичем", "Иванович"),
]


@pytest.mark.parametrize("sentence, surface, expected", FULL)
def test_full_names_to_the_nominative(norm, sentence, surface, expected):
    assert _person(norm, surface, sentence)["normalized"] == expected


def test_double_surname_with_a_spaced_dash(norm):
    got = _person(norm, "Сейфуллиной – Ахметовой Розы", "Сведения о Сейфуллиной – Ахметовой Розы.")
    assert got["normalized"] == "Сейфуллина – Ахметова Роза"
    assert (got["surname"], got["given"]) == ("Сейфуллина – Ахметова", "Роза")


# --- Kazakh names in Russian cases ------------------------------------------------------------
KAZAKH_IN_RUSSIAN = [
    ("Проведена очная ставка с Жандосовым Есболом.", "Жандосовым Есболом", "Жандосов Есбол"),
    ("Справка выдана Нуртазиной Гульнар.", "Нуртазиной Гульнар", "Нуртазина Гульнар"),
    ("Арестована жена Абдрахманова Серикбая.", "Абдрахманова Серикбая", "Абдрахманов Серикбай"),
    ("Следователь допросил Кенжебаева Ануара.", "Кенжебаева Ануара", "Кенжебаев Ануар"),
    ("Сведения о Токаевой Айгерим.", "Токаевой Айгерим", "Токаева Айгерим"),
    ("Справка выдана Сарсенову Темиргали.", "Сарсенову Темиргали", "Сарсенов Темиргали"),
    ("Письмо передано Бекмухамбетову Жаксылыку.", "Бекмухамбетову Жаксылыку", "Бекмухамбетов Жаксылык"),
    ("Допрошена Есенгельдина Бибигуль.", "Есенгельдина Бибигуль", "Есенгельдина Бибигуль"),
]


@pytest.mark.parametrize("sentence, surface, expected", KAZAKH_IN_RUSSIAN)
def test_kazakh_names_in_russian_cases(norm, sentence, surface, expected):
    assert _person(norm, surface, sentence)["normalized"] == expected


# --- Kazakh names in Kazakh cases: nominatives are not cut -----------------------------------
KAZAKH = [
    ("Берден", "Берден"), ("Саида", "Саида"), ("Едіге", "Едіге"), ("Азамат Нұрланов", "Нұрланов Азамат"),
    ("Ерланның", "Ерлан"), ("Бақытжанға", "Бақытжан"), ("Ғалымжан Сәрсеновтің", "Сәрсенов Ғалымжан"),
    ("Дәулет Әбенов", "Әбенов Дәулет"), ("Пётрдың", "Пётр"),
]


@pytest.mark.parametrize("surface, expected", KAZAKH)
def test_kazakh_names(norm, surface, expected):
    assert _person(norm, surface, lang="kk")["normalized"] == expected


# --- the name module itself --------------------------------------------------------------------
def test_lookalikes_and_folding():
    assert names.to_cyrillic("Kравец") == "Кравец"
    assert names.to_cyrillic("Smith") == "Smith"  # a Latin word stays Latin
    assert names.fold("Исқақов") == names.fold("Искаков")


def test_patronymics_russian_and_kazakh_share_a_stem():
    assert names.patronymic_stem("Санжаровна") == names.patronymic_stem("Санжарқызы") == "санжар"
    assert names.is_patronymic("Ильиничной") and names.is_patronymic("Өтегенұлы")
    assert not names.PATRONYMIC_END.search("кирпича")


@pytest.mark.parametrize("parts, gender", [
    (("Иванова", None, None), "f"), (("Иванов", None, None), "m"), ((None, "Айгүл", None), "f"),
    ((None, "Бибігүл", None), "f"), ((None, None, "Тұрарқызы"), "f"), (("Шапиро", "И.", None), None),
])
def test_gender_of_parts(parts, gender):
    assert names.gender_of_parts(*parts) == gender


def test_pet_forms_and_slips():
    assert names.is_pet_form("рая", "раиса") and not names.is_pet_form("рая", "мария")
    assert names.close("тухачевская", "тухачевскан") and not names.close("анна", "инна")
    assert names.surname_part("тухачевская", "тухачевская-аронштам")


# --- `testimony normalize` ------------------------------------------------------------------------
def _run(values=(), stdin=b"", **kw):
    args = SimpleNamespace(values=list(values), kind=kw.get("kind", "person"), lang=kw.get("lang", "ru"),
                           context=kw.get("context"))
    out = io.StringIO()
    code = run(args, stdin=io.BytesIO(stdin), stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_cli_arguments_and_context():
    code, lines = _run(["Тюменцева Д. Г."], context="Арестована жена Тюменцева Д. Г.")
    assert code == 0
    assert lines == [{"input": "Тюменцева Д. Г.", "normalized": "Тюменцев Д. Г.", "surname": "Тюменцев",
                      "given": "Д.", "patronymic": "Г.", "gender": "male"}]


def test_cli_stdin_with_bad_lines_goes_on():
    code, lines = _run(stdin="Ковалёвой Анны Ивановны\n\n".encode() + b"\xff\xfe\n" + "Петрова И. С.\n".encode())
    assert code == 1
    assert [line["normalized"] for line in lines] == ["Ковалёва Анна Ивановна", None, None, "Петрова И. С."]
    assert "empty" in lines[1]["error"] and "UTF-8" in lines[2]["error"]


def test_cli_places_and_dates():
    assert _run(["г. Акмолинска"], kind="place")[1][0]["normalized"] == "Акмолинск"
    assert _run(["1938 жылғы 9 сәуірде"], kind="date", lang="kk")[1][0]["normalized"] == "1938-04-09"
    assert _run(["на восемь лет"], kind="date")[1][0]["normalized"] is None


def test_cli_entry_point_and_help():
    cmd = [sys.executable, "-m", "pipeline", "normalize", "--kind", "person", "--lang", "kk"]
    done = subprocess.run(cmd, input="Тұрар Рысқұловтың\n".encode(), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["normalized"] == "Рысқұлов Тұрар"
    helped = subprocess.run(cmd[:4] + ["--help"], capture_output=True, timeout=120)
    assert b"--context" in helped.stdout and b"Examples" in helped.stdout
