"""A value never costs the document (issue 13, point 1).

Every kind of value in a record gets one bad value: the record is still written, the value is
null (or its optional item is gone, with what cites it), and a warning names the place, the text
and the value. Then two sentences through the real pipeline: a chronology's "1899, 12 мая." and
the decade "в 30-х годах" come out as valid dates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import cli, export
from pipeline.errors import OutputError
from pipeline.model import Document, DocumentInfo, Entity, LanguageSpan, Page
from tests import samples

TEXT = ("Иванов Иван Петрович, 1899 г.р., уроженец г. Омска.\n"
        "Арестован 15 августа 1937 г. органами НКВД; в 30-х годах жил в Москве.")
ENTITIES = [  # label, text, normalized: e1 ... e7 in reading order
    ("PERSON", "Иванов Иван Петрович", "Иванов Иван Петрович"),
    ("DATE", "1899 г.р.", "1899"),
    ("PLACE", "г. Омска", "Омск"),
    ("DATE", "15 августа 1937 г.", "1937-08-15"),
    ("ORG", "НКВД", "НКВД"),
    ("DATE", "30-х годах", "193X"),
    ("PLACE", "Москве", "Москва"),
]


def make_document() -> Document:
    entities = []
    for n, (label, text, normalized) in enumerate(ENTITIES):
        start = TEXT.index(text)
        entities.append(Entity(label, text, start, start + len(text), "ru", normalized, 0.9, [10 * n, 5, 10 * n + 9, 15]))
    page = Page(number=1, method="ocr", text=TEXT, ocr_confidence=0.9,
                language_spans=[LanguageSpan(0, 52, "ru", 0.9), LanguageSpan(52, len(TEXT), "ru", 0.8)],
                width=100, height=100, dpi=300, ocr_lang="Cyrillic", entities=entities)
    info = DocumentInfo(id="3f2a9c0d1e7b4a55", source="batch/chronicle.png", sha256="3f2a9c0d1e7b4a55" + "0" * 48,
                        page_count=1, languages=["ru"], pipeline_version="0.1.0", format="png")
    ivanov = {
        "id": "p1",
        "name": {"full": "Иванов Иван Петрович", "surname": "Иванов", "given": "Иван", "patronymic": "Петрович"},
        "gender": "male",
        "aliases": ["Иванов И. П."],
        "birth": {"date": "1899", "place": "Омск", "evidence": ["e2", "e3"],
                  "alternatives": [{"date": "1900", "place": None, "evidence": ["e2"]}]},
        "relations": [{"type": "spouse", "person": "p2"}],
        "events": [
            {"type": "arrest", "date": "1937-08-15", "place": None, "evidence": ["e4", "e5"], "organ": "НКВД"},
            {"type": "residence", "date": "193X", "place": "Москва", "evidence": ["e6", "e7"]},
            {"type": "sentence", "date": None, "place": None, "evidence": [], "term": "8 лет", "term_years": 8},
        ],
        "mentions": ["e1"],
    }
    wife = {"id": "p2", "name": {"full": None, "surname": None, "given": None, "patronymic": None},
            "gender": None, "birth": {"date": None, "place": None},
            "relations": [{"type": "spouse", "person": "p1"}], "events": [], "mentions": []}
    return Document(info=info, pages=[page], persons=[ivanov, wife])


def write(doc: Document, out: Path) -> tuple[dict, list[str]]:
    """Write through export.write_document; the record must be written and keep the contract."""
    said: list[str] = []
    path = export.write_document(doc, out, warn=said.append)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert export.contract_problems(record) == []
    assert record["document"]["warnings"] == doc.warnings == said
    return record, said


def entity(n: int):
    return lambda doc: doc.pages[0].entities[n - 1]


def person(doc: Document, n: int = 1) -> dict:
    return doc.persons[n - 1]


def _set(getter, key, value):
    def mutate(doc):
        target = getter(doc)
        if isinstance(target, dict):
            target[key] = value
        else:
            setattr(target, key, value)
    return mutate


# (case, mutation, where the value is in the written record, what it becomes, words of the warning)
NULLED = [
    ("DATE normalized", _set(entity(6), "normalized", "193Y"), ("entities", 5, "normalized"), None,
     ["entity e6 '30-х годах'", "normalized value '193Y' is not a valid date", "set to null"]),
    ("DATE normalized, level 2 digit", _set(entity(4), "normalized", "1937-XX-15"), ("entities", 3, "normalized"),
     None, ["entity e4 '15 августа 1937 г.'", "'1937-XX-15' is not a valid date"]),
    ("PERSON normalized", _set(entity(1), "normalized", ""), ("entities", 0, "normalized"), None,
     ["entity e1 'Иванов Иван Петрович'", "normalized", "set to null"]),
    ("PLACE normalized", _set(entity(3), "normalized", 17), ("entities", 2, "normalized"), None,
     ["entity e3 'г. Омска'", "normalized", "17"]),
    ("ORG normalized", _set(entity(5), "normalized", ["НКВД"]), ("entities", 4, "normalized"), None,
     ["entity e5 'НКВД'", "normalized"]),
    ("bbox negative", _set(entity(2), "bbox", [0, -3, 5, 5]), ("entities", 1, "bbox"), None,
     ["entity e2 '1899 г.р.'", "bbox", "set to null"]),
    ("bbox short", _set(entity(7), "bbox", [0, 3, 5]), ("entities", 6, "bbox"), None, ["entity e7 'Москве'", "bbox"]),
    ("entity lang", _set(entity(3), "lang", "russian"), ("entities", 2, "lang"), "und",
     ["entity e3 'г. Омска'", "lang", "'russian'", "set to 'und'"]),
    ("span lang", lambda doc: setattr(doc.pages[0].language_spans[1], "lang", "RU"),
     ("pages", 0, "language_spans", 1, "lang"), "und", ["page 1", "language_spans 1 lang", "'RU'", "set to 'und'"]),
    ("span gap", lambda doc: setattr(doc.pages[0].language_spans[1], "start", 60),
     ("pages", 0, "language_spans"), [], ["page 1", "language_spans", "gap or overlap at 60", "set to []"]),
    ("ocr confidence", lambda doc: setattr(doc.pages[0], "ocr_confidence", 91.0), ("pages", 0, "ocr_confidence"),
     None, ["page 1", "ocr_confidence", "91.0", "set to null"]),
    ("birth date", lambda doc: person(doc)["birth"].update(date="XXXX-05"), ("persons", 0, "birth", "date"), None,
     ["person p1 (Иванов Иван Петрович)", "birth date value 'XXXX-05' is not a valid date", "set to null"]),
    ("birth place", lambda doc: person(doc)["birth"].update(place=""), ("persons", 0, "birth", "place"), None,
     ["person p1 (Иванов Иван Петрович)", "birth place", "set to null"]),
    ("alternative birth date", lambda doc: person(doc)["birth"]["alternatives"][0].update(date="около 1900"),
     ("persons", 0, "birth", "alternatives", 0, "date"), None, ["birth alternatives 0 date", "'около 1900'"]),
    ("event date", lambda doc: person(doc)["events"][1].update(date="30-е годы"),
     ("persons", 0, "events", 1, "date"), None,
     ["person p1 (Иванов Иван Петрович), event 2 (residence)", "date value '30-е годы' is not a valid date"]),
    ("event place", lambda doc: person(doc)["events"][1].update(place=""), ("persons", 0, "events", 1, "place"),
     None, ["event 2 (residence)", "place", "set to null"]),
    ("name part", lambda doc: person(doc)["name"].update(given=""), ("persons", 0, "name", "given"), None,
     ["person p1", "name given", "set to null"]),
    ("gender", lambda doc: person(doc).update(gender="f"), ("persons", 0, "gender"), None, ["gender", "'f'"]),
]


@pytest.mark.parametrize("case, mutate, where, value, words", NULLED, ids=[c[0] for c in NULLED])
def test_a_bad_value_is_set_to_null_and_said(tmp_path, case, mutate, where, value, words):
    doc = make_document()
    mutate(doc)
    record, said = write(doc, tmp_path)
    target = record
    for key in where:
        target = target[key]
    assert target == value
    assert len(said) == 1 and said[0].startswith("batch/chronicle.png: ")
    for word in words:
        assert word in said[0], (word, said[0])
    assert len(record["entities"]) == len(ENTITIES) and len(record["persons"]) == 2  # nothing else lost


def test_an_entity_with_a_bad_label_goes_with_its_citations(tmp_path):
    doc = make_document()
    entity(6)(doc).label = "MISC"
    record, said = write(doc, tmp_path)
    assert [e["id"] for e in record["entities"]] == ["e1", "e2", "e3", "e4", "e5", "e7"]
    assert record["persons"][0]["events"][1]["evidence"] == ["e7"]
    assert said == ["batch/chronicle.png: entity e6 '30-х годах': label 'MISC' is not one of "
                    "['PERSON', 'DATE', 'PLACE', 'ORG']; removed, with its citations"]


def test_an_entity_whose_offsets_slipped_goes_with_its_citations(tmp_path):
    doc = make_document()
    entity(2)(doc).start += 1
    record, said = write(doc, tmp_path)
    assert "e2" not in {e["id"] for e in record["entities"]}
    birth = record["persons"][0]["birth"]
    assert birth["evidence"] == ["e3"] and birth["alternatives"][0]["evidence"] == []
    assert birth["date"] == "1899"  # the value stays; only the citation of the dropped entity goes
    assert len(said) == 1 and "entity e2 '1899 г.р.'" in said[0] and "does not match its offsets" in said[0]


def test_an_entity_with_a_float_offset_goes_instead_of_crashing_the_check(tmp_path):
    doc = make_document()
    entity(3)(doc).start = float(entity(3)(doc).start)  # 12.0 passes JSON Schema as an integer, but slices fail
    record, said = write(doc, tmp_path)
    assert "e3" not in {e["id"] for e in record["entities"]} and record["persons"][0]["birth"]["evidence"] == ["e2"]
    assert len(said) == 1 and "entity e3 'г. Омска': page and offsets must be whole numbers; removed" in said[0]


def test_an_entity_confidence_out_of_range_costs_only_that_entity(tmp_path):
    doc = make_document()
    entity(5)(doc).confidence = 1.5
    record, said = write(doc, tmp_path)
    assert [e["id"] for e in record["entities"]] == ["e1", "e2", "e3", "e4", "e6", "e7"]
    assert record["persons"][0]["events"][0]["evidence"] == ["e4"]
    assert "entity e5 'НКВД': confidence 1.5 is greater than the maximum of 1" in said[0]


@pytest.mark.parametrize("mutate, where, words", [
    (lambda doc: person(doc)["events"][0].update(type="arest"), ("events", 0), ["event 1 (arest)", "type 'arest'"]),
    (lambda doc: person(doc)["relations"][0].update(type="friend"), ("relations", 0), ["relations 0 type"]),
    (lambda doc: person(doc)["relations"][0].update(person="p9"), ("relations", 0),
     ["relations 0", "relation to p9, who is not in the record"]),
    (lambda doc: person(doc)["aliases"].append(""), ("aliases", 1), ["aliases 1"]),
], ids=["event type", "relation type", "relation to nobody", "empty alias"])
def test_a_bad_item_of_a_person_goes_alone(tmp_path, mutate, where, words):
    doc = make_document()
    mutate(doc)
    kept = json.loads(json.dumps(person(doc)[where[0]]))
    record, said = write(doc, tmp_path)
    assert record["persons"][0][where[0]] == kept[:where[1]] + kept[where[1] + 1:]
    assert len(said) == 1 and "person p1 (Иванов Иван Петрович)" in said[0] and said[0].endswith("removed")
    for word in words:
        assert word in said[0], (word, said[0])


@pytest.mark.parametrize("bad_id", ["x1", "e99"])
def test_a_bad_evidence_id_is_removed_from_the_list(tmp_path, bad_id):
    doc = make_document()
    person(doc)["events"][1]["evidence"].append(bad_id)
    person(doc)["mentions"].append(bad_id)
    person(doc)["birth"]["alternatives"][0]["evidence"].insert(0, bad_id)
    record, said = write(doc, tmp_path)
    assert record["persons"][0]["events"][1]["evidence"] == ["e6", "e7"]
    assert record["persons"][0]["mentions"] == ["e1"]
    assert record["persons"][0]["birth"]["alternatives"][0]["evidence"] == ["e2"]
    assert len(said) == 3 and all(repr(bad_id) in s or bad_id in s for s in said)
    assert any("event 2 (residence): evidence 2" in s for s in said) and any("mentions 1" in s for s in said)


def test_optional_event_details_that_break_the_contract_are_removed(tmp_path):
    doc = make_document()
    person(doc)["events"][0]["organ"] = ""
    person(doc)["events"][2]["term_years"] = -8
    record, said = write(doc, tmp_path)
    assert "organ" not in record["persons"][0]["events"][0]
    assert record["persons"][0]["events"][2] == {"type": "sentence", "date": None, "place": None, "evidence": [],
                                                 "term": "8 лет"}
    assert len(said) == 2 and any("event 3 (sentence): term_years -8" in s for s in said)


def test_a_person_with_a_bad_id_goes_with_the_relations_to_it(tmp_path):
    doc = make_document()
    person(doc, 2)["id"] = "wife"
    record, said = write(doc, tmp_path)
    assert [p["id"] for p in record["persons"]] == ["p1"]
    assert "relations" not in record["persons"][0] or record["persons"][0]["relations"] == []
    assert "person wife: id 'wife' does not match" in said[0] and said[0].endswith("removed, with the relations to it")
    assert said[1:] == ["batch/chronicle.png: person p1 (Иванов Иван Петрович): relations 0 relation to p2, "
                        "who is not in the record; removed"]  # p1's relation named p2, its id as written


def test_several_bad_values_each_get_their_own_warning(tmp_path):
    doc = make_document()
    entity(6)(doc).normalized = "193Y"
    person(doc)["birth"]["date"] = "1899-13"
    person(doc)["events"][1]["date"] = "193Y"
    record, said = write(doc, tmp_path)
    assert record["entities"][5]["normalized"] is None
    assert record["persons"][0]["birth"]["date"] is None and record["persons"][0]["events"][1]["date"] is None
    assert len(said) == 3
    assert person(doc)["birth"]["date"] == "1899-13"  # the record is mended, not the Document


def test_a_bug_in_the_mending_refuses_the_record_as_before(tmp_path, monkeypatch):
    def broken(record, findings, check):
        raise KeyError("oops")

    monkeypatch.setattr(export, "repair", broken)
    doc = make_document()
    entity(6)(doc).normalized = "193Y"
    with pytest.raises(OutputError, match="entities/5/normalized.*mending failed"):
        export.write_document(doc, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mutate", [
    lambda doc: setattr(doc.pages[0], "number", 2),
    lambda doc: setattr(doc.info, "page_count", 2),
    lambda doc: setattr(doc.info, "id", "not-an-id"),
    lambda doc: setattr(doc.pages[0], "method", "magic"),
], ids=["page number", "page count", "document id", "page method"])
def test_a_broken_document_structure_is_still_refused(tmp_path, mutate):
    doc = make_document()
    mutate(doc)
    with pytest.raises(OutputError, match="breaks the output contract"):
        export.write_document(doc, tmp_path, warn=lambda message: pytest.fail(message))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["193X", "19XX", "1937-XX", "1937-08-XX", "1937-XX-XX", "XXXX-08-15", "193X~",
                                   "1937-23", "1937?", "1937%", "1938/1946", "../1950", "1937-08-15/1938-09-20"])
def test_the_contract_takes_what_the_pipeline_emits_and_edtf_level_1(tmp_path, value):
    edtf = pytest.importorskip("edtf")
    assert str(edtf.parse_edtf(value)) == value  # valid EDTF
    doc = make_document()
    entity(6)(doc).normalized = value
    person(doc)["birth"]["date"] = value
    person(doc)["events"][1]["date"] = value
    record, said = write(doc, tmp_path)
    assert said == [] and record["persons"][0]["birth"]["date"] == value


# --- the two sentences through the real pipeline --------------------------------------------

def test_a_chronology_and_a_decade_through_the_pipeline_give_valid_dates(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    samples.save_text_pdf(inputs / "chronology.pdf", [[
        "Тухачевская Нина Евгеньевна. Биографическая хроника",
        "1899, 12 мая. – Родилась в г. Самаре.",
        "В 30-х годах работала в Москве, в конце 20-х окончила университет.",
    ]])
    assert cli.main(["run", str(inputs), "--out", str(tmp_path / "out"), "--no-progress", "--jobs", "1"]) == 0
    [path] = export.record_paths(tmp_path / "out")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert export.contract_problems(record) == [] and record["document"]["warnings"] == []
    dates = {e["text"]: e["normalized"] for e in record["entities"] if e["label"] == "DATE"}
    assert dates == {"1899, 12 мая": "1899-05-12", "30-х годах": "193X", "20-х": "192X"}
    assert [p["birth"]["date"] for p in record["persons"]] == ["1899-05-12"]  # was XXXX-05-12: record lost


def test_every_wrong_value_in_entities_and_persons_is_mended(tmp_path):
    """Mutations of the full record's entities, persons, spans and OCR confidence (the schema test's
    wrong values in every place): the mended record keeps the contract and says what it changed."""
    from pipeline.sanitize import repair
    from tests.test_export_fast_schema import full_record, mutations

    mendable = (("entities",), ("persons",), ("pages", 0, "language_spans"), ("pages", 0, "ocr_confidence"))
    seen = 0
    for number, (label, data) in enumerate(mutations(full_record())):
        if number % 7:  # every seventh of ~9000 mutations: jsonschema takes ~4 ms on each broken record
            continue
        if not label.startswith(tuple(repr(m)[:-1] for m in mendable)) or label.startswith(("('entities',)",
                                                                                          "('persons',)")):
            continue  # the lists themselves broken: a bug in document_to_dict, refused
        findings = export.contract_findings(data)
        if not findings:
            continue
        seen += 1
        said, left = repair(data, findings, export.contract_findings)
        assert left == [] and said, (label, left)
        assert data["document"]["warnings"] == said
    assert seen > 400


@pytest.mark.parametrize("where, bad", [
    ("event", "1937-02-29"), ("birth", "1938-04-31"), ("entity", "1937-02-30"), ("event", "1937-08-15/1938-02-29"),
])
def test_a_day_no_calendar_has_is_set_to_null_and_said(tmp_path, where, bad):
    doc = make_document()
    if where == "event":
        person(doc)["events"][0]["date"] = bad
    elif where == "birth":
        person(doc)["birth"]["date"] = bad
    else:
        entity(4)(doc).normalized = bad
    record, said = write(doc, tmp_path)
    assert len(said) == 1 and repr(bad) in said[0] and "not a valid date" in said[0]
    values = {"event": record["persons"][0]["events"][0]["date"], "birth": record["persons"][0]["birth"]["date"],
              "entity": record["entities"][3]["normalized"]}
    assert values[where] is None


def test_a_year_from_context_never_makes_a_day_the_calendar_lacks(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    samples.save_text_pdf(inputs / "card.pdf", [[
        "Иванов Иван Петрович арестован 15.08.1937 г. в г. Караганде.",
        "Умер 29 февраля в лагере.",
    ]])
    assert cli.main(["run", str(inputs), "--out", str(tmp_path / "out"), "--jobs", "1", "--no-progress"]) == 0
    (record,) = [json.loads(p.read_text(encoding="utf-8")) for p in export.record_paths(tmp_path / "out")]
    (death,) = [e for p in record["persons"] for e in p["events"] if e["type"] == "death"]
    assert death["date"] in (None, "XXXX-02-29") and death.get("date_without_year") == "02-29"
