"""Cross-document person index (pipeline.index): what is merged, what stays apart, and why."""

from __future__ import annotations

import json

import pytest

from pipeline import cli, index
from pipeline.export import write_json_atomic


def person(pid, surname, given=None, patronymic=None, birth=None, gender=None, events=(), aliases=(), relations=()):
    full = " ".join(p for p in (surname, given, patronymic) if p)
    out = {"id": pid, "name": {"full": full, "surname": surname, "given": given, "patronymic": patronymic},
           "gender": gender, "birth": {"date": birth, "place": None}, "events": list(events), "mentions": [],
           "relations": list(relations)}
    if aliases:
        out["aliases"] = list(aliases)
    return out


def record(doc_id, *persons, source=None):
    return {"schema": "testimony-record/1",
            "document": {"id": doc_id, "source": source or f"{doc_id}.png", "sha256": doc_id * 4, "page_count": 1,
                         "languages": ["ru"], "pipeline_version": "test"},
            "pages": [], "entities": [], "persons": list(persons)}


def merged(*records):
    return index.build_index(records)


def arrest(date):
    return {"type": "arrest", "date": date, "place": None, "evidence": []}


# (case, person in document A, person in document B, one person?)
PAIRS = [
    ("same full name", person("p1", "Соколова", "Вера", "Андреевна", gender="female"),
     person("p1", "Соколова", "Вера", "Андреевна", gender="female"), True),
    ("initials vs full name", person("p1", "Соколова", "В.", "А."),
     person("p1", "Соколова", "Вера", "Андреевна"), True),
    ("Kazakh and Russian spelling", person("p1", "Исқақова", "Бибігүл"),
     person("p1", "Искакова", "Бибигуль", birth="1910"), True),
    ("Kazakh and Russian spelling, same letters", person("p1", "Исқақов", "Жұмабек"),
     person("p1", "Искаков", "Жумабек"), True),
    ("Latin look-alike letters from OCR", person("p1", "Kравец", "Eва", "Яковлевна"),
     person("p1", "Кравец", "Ева", "Яковлевна"), True),
    ("patronymic in Kazakh and Russian form", person("p1", "Нұрмағамбетова", "Ләззат", "Санжарқызы"),
     person("p1", "Нурмагамбетова", "Ляззат", "Санжаровна"), True),
    ("double surname", person("p1", "Тухачевская-Аронштам", "Нина", "Евгеньевна"),
     person("p1", "Тухачевская", "Нина", "Евгеньевна"), True),
    ("maiden name given as an alias", person("p1", "Петрова", "Анна", "Ивановна", aliases=["Смирнова Анна Ивановна"]),
     person("p1", "Смирнова", "Анна", "Ивановна"), True),
    ("surname case form left by OCR", person("p1", "Гордеевой", "Лидия", "Павловна"),
     person("p1", "Гордеева", "Лидия", "Павловна"), True),
    ("same surname, different birth years", person("p1", "Иванова", "Мария", "Петровна", birth="1902"),
     person("p1", "Иванова", "Мария", "Петровна", birth="1908"), False),
    ("same surname, different given names", person("p1", "Иванова", "Мария"),
     person("p1", "Иванова", "Анна"), False),
    ("same surname and given, different patronymics", person("p1", "Иванова", "Мария", "Петровна"),
     person("p1", "Иванова", "Мария", "Ильинична"), False),
    ("husband and wife", person("p1", "Корнилов", "Иван", gender="male"),
     person("p1", "Корнилова", "Ирина", gender="female"), False),
    ("surname alone", person("p1", "Кузнецов"), person("p1", "Кузнецов"), False),
    ("surname alone with the same birth year", person("p1", "Кузнецов", birth="1899"),
     person("p1", "Кузнецов", "Петр", "Ильич", birth="1899"), True),
    ("one initial and a full name, nothing else", person("p1", "Иванова", "А."), person("p1", "Иванова", "Анна"),
     False),
    ("one initial with the birth year", person("p1", "Иванова", "А.", birth="1905"),
     person("p1", "Иванова", "Анна", birth="1905"), True),
    ("initials that disagree", person("p1", "Соколова", "В.", "А."), person("p1", "Соколова", "Вера", "Ивановна"),
     False),
]


@pytest.mark.parametrize("a,b,same", [p[1:] for p in PAIRS], ids=[p[0] for p in PAIRS])
def test_merge_or_not(a, b, same):
    lines = merged(record("aaaa", a), record("bbbb", b))
    assert len(lines) == (1 if same else 2)
    if same:
        (line,) = lines
        assert line["match"]["rule"] == "merged" and line["match"]["reasons"]
        assert sorted(s["document"] for s in line["sources"]) == ["aaaa", "bbbb"]


def test_kazakh_and_russian_patronymic_merge_when_given_names_agree():
    lines = merged(record("aaaa", person("p1", "Нұрмағамбетова", "Зейнеп", "Санжарқызы")),
                   record("bbbb", person("p1", "Нурмагамбетова", "Зейнеп", "Санжаровна")))
    assert len(lines) == 1
    assert "patronymic in Russian and Kazakh form" in lines[0]["match"]["reasons"][0]


def test_no_group_holds_two_people_who_contradict_each_other():
    """ "Иванова А. И., 1905" fits both Annas, but the two Annas differ: she joins only one of them."""
    lines = merged(record("aaaa", person("p1", "Иванова", "Анна", "Ивановна", birth="1905")),
                   record("bbbb", person("p1", "Иванова", "Анна", "Ивановна", birth="1911")),
                   record("cccc", person("p1", "Иванова", "А.", "И.", birth="1905")))
    assert len(lines) == 2
    by_year = {line["birth"]["date"]: line for line in lines}
    assert sorted(s["document"] for s in by_year["1905"]["sources"]) == ["aaaa", "cccc"]


def test_two_people_of_one_document_never_merge():
    lines = merged(record("aaaa", person("p1", "Иванова", "Анна"), person("p2", "Иванова", "А.", "И.")),
                   record("bbbb", person("p1", "Иванова", "Анна", "Ивановна")))
    assert len(lines) == 2


def test_merged_line_keeps_every_event_with_its_document_and_conflicting_births():
    lines = merged(record("aaaa", person("p1", "Соколова", "Вера", "Андреевна", birth="1902",
                                         events=[arrest("1937-08-15")])),
                   record("bbbb", person("p1", "Соколова", "Вера", "Андреевна", birth="1902~",
                                         events=[arrest("1937-08-17")])))
    (line,) = lines
    assert [(e["date"], e["document"]) for e in line["events"]] == [("1937-08-15", "aaaa"), ("1937-08-17", "bbbb")]
    assert line["birth"]["date"] == "1902" and line["birth"]["alternatives"] == [{"date": "1902~"}]


def test_relations_point_at_index_ids():
    lines = merged(record("aaaa", person("p1", "Корнилова", "Ольга", "Петровна", gender="female",
                                         relations=[{"type": "spouse", "person": "p2"}]),
                          person("p2", "Корнилов", "И.", "С.", gender="male",
                                 relations=[{"type": "spouse", "person": "p1"}])))
    by_name = {line["name"]["surname"]: line for line in lines}
    assert by_name["Корнилова"]["relations"] == [{"type": "spouse", "person": by_name["Корнилов"]["id"]}]


def test_index_command_writes_persons_jsonl(tmp_path, capsys):
    write_json_atomic(tmp_path / "aaaaaaaaaaaaaaaa.json", record("aaaaaaaaaaaaaaaa", person("p1", "Соколова", "Вера")))
    write_json_atomic(tmp_path / "bbbbbbbbbbbbbbbb.json", record("bbbbbbbbbbbbbbbb", person("p1", "Соколова", "В.",
                                                                                         birth="1902")))
    (tmp_path / "errors.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "cccccccccccccccc.json").write_text("{not json", encoding="utf-8")
    assert cli.main(["index", str(tmp_path)]) == 0
    lines = [json.loads(line) for line in (tmp_path / "persons.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2  # one initial and no patronymic or shared birth year: kept apart
    assert "2 person records" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp"))


def test_index_command_on_a_missing_folder(tmp_path, capsys):
    assert cli.main(["index", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_ids_are_stable_across_runs():
    records = [record("aaaa", person("p1", "Соколова", "Вера", "Андреевна")),
               record("bbbb", person("p1", "Соколова", "Вера", "Андреевна"))]
    assert [line["id"] for line in merged(*records)] == [line["id"] for line in merged(*reversed(records))]


def test_index_keeps_persons_not_whole_records_in_memory(tmp_path):
    """An archive's output folder holds far more page text than fits in memory: the index reads the
    records one at a time and keeps only their persons (40 records of 400,000 Cyrillic characters,
    35 MB of memory when held together)."""
    import tracemalloc

    page_text = "Выписка из протокола Особого совещания при НКВД СССР. " * 7500  # ~400 kB
    for n in range(40):
        doc_id = f"{n:016x}"
        rec = record(doc_id, person("p1", "Соколова", "Вера", "Андреевна"), person("p2", f"Иванов{n}", "Пётр"))
        rec["pages"] = [{"number": 1, "text": page_text}]
        write_json_atomic(tmp_path / f"{doc_id}.json", rec)
    tracemalloc.start()
    try:
        _, people, read = index.write_index(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (people, read) == (41, 80)
    assert peak < 10_000_000  # one record being read (file bytes, text, parsed), not forty
