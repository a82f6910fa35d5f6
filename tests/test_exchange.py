"""Exports (`testimony export`): CSV, JSON Lines, TEI P5, schema.org JSON-LD, EAC-CPF.

The records are built here from invented texts (Russian and Kazakh, made-up people), written
to an output folder the way `testimony run` writes them, and exported through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.exchange import edtf, is_reviewed, tei
from pipeline.exchange.records import latest_status
from pipeline.export import contract_problems, write_json_atomic

try:
    from pipeline.review import store
except ImportError:  # the review feature is optional
    store = None

TEI = "{http://www.tei-c.org/ns/1.0}"
EAC = "{urn:isbn:1-931666-33-4}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
SCHEMA = "https://schema.org/"

RU_ID, KK_ID, PLAIN_ID = "a1b2c3d4e5f60718", "0f1e2d3c4b5a6978", "99aa88bb77cc66dd"

RU_PAGE_1 = (
    "СПРАВКА\n\n"
    "Гражданин Сейтказиев Ерлан Маратович, 1902 года рождения, уроженец г. Акмолинска,\n"
    "арестован 15.VIII.1937 г. в г. Караганде. Осужден Особым совещанием при НКВД СССР\n"
    "10/III-38 г. по ст. 58-10 УК РСФСР на 8 лет ИТЛ.\n\n"
    "Жена — Сейтказиева Айгуль Кайратовна, около 1937 г. выслана в Акмолинский лагерь.\n\n"
    'Примечание: в деле лист с надписью <script>alert("x")</script> & "кавычки" ]]>\x0c'
)
RU_PAGE_2 = (
    "Освобожден осенью 1946 г. Вновь арестован 3 марта 1949 г. в г. Караганде.\n"
    "Реабилитирован 12 июня 1989 г. Прокуратурой Карагандинской области."
)
KK_PAGE = (
    "Мұрағат анықтамасы\n\n"
    "Бекмағамбетова Үміт Сәрсенқызы 1903 жылы Қарқаралы қаласында туған. "
    "1937 жылғы 15 тамызда тұтқындалды, 1938/1946 жылдары лагерьде болды. 1941 жылы қайтыс болды."
)
PLAIN_PAGE = "Опись дела № 114. Листов: 12."


def entity(pages: list[str], eid: str, label: str, page: int, text: str, normalized, after: int = 0) -> dict:
    start = pages[page - 1].index(text, after)
    return {"id": eid, "label": label, "text": text, "page": page, "start": start, "end": start + len(text),
            "lang": "ru", "normalized": normalized, "confidence": 0.9, "bbox": None}


def record(doc_id: str, source: str, languages: list[str], pages: list[str], entities, persons, **extra) -> dict:
    data = {
        "schema": "testimony-record/1",
        "document": {"id": doc_id, "source": source, "sha256": doc_id + "0" * 48, "page_count": len(pages),
                     "languages": languages, "pipeline_version": "0.2.0"},
        "pages": [{"page": n, "method": "text-layer", "text": text, "ocr_confidence": None,
                   "language_spans": [{"start": 0, "end": len(text), "lang": languages[0], "confidence": 0.99}]}
                  for n, text in enumerate(pages, start=1)],
        "entities": entities,
        "persons": persons,
        **extra,
    }
    assert contract_problems(data) == [], contract_problems(data)
    return data


def ru_record() -> dict:
    pages = [RU_PAGE_1, RU_PAGE_2]
    e = [
        entity(pages, "e1", "PERSON", 1, "Сейтказиев Ерлан Маратович", "Сейтказиев Ерлан Маратович"),
        entity(pages, "e2", "DATE", 1, "1902 года", "1902"),
        entity(pages, "e3", "PLACE", 1, "г. Акмолинска", "Акмолинск"),
        entity(pages, "e4", "DATE", 1, "15.VIII.1937 г.", "1937-08-15"),
        entity(pages, "e5", "PLACE", 1, "г. Караганде", "Караганда"),
        entity(pages, "e6", "ORG", 1, "Особым совещанием при НКВД СССР", "Особое совещание при НКВД СССР"),
        entity(pages, "e7", "DATE", 1, "10/III-38 г.", "1938-03-10"),
        entity(pages, "e8", "PERSON", 1, "Сейтказиева Айгуль Кайратовна", "Сейтказиева Айгуль Кайратовна"),
        entity(pages, "e9", "DATE", 1, "около 1937 г.", "1937~"),
        entity(pages, "e10", "PLACE", 1, "Акмолинский лагерь", "Акмолинский лагерь"),
        entity(pages, "e11", "DATE", 2, "осенью 1946 г.", "1946-23"),
        entity(pages, "e12", "DATE", 2, "3 марта 1949 г.", "1949-03-03"),
        entity(pages, "e13", "PLACE", 2, "г. Караганде", "Караганда"),
        entity(pages, "e14", "DATE", 2, "12 июня 1989 г.", "1989-06-12"),
        entity(pages, "e15", "ORG", 2, "Прокуратурой Карагандинской области", "Прокуратура Карагандинской области"),
    ]
    husband = {
        "id": "p1",
        "name": {"full": "Сейтказиев Ерлан Маратович", "surname": "Сейтказиев", "given": "Ерлан",
                 "patronymic": "Маратович"},
        "birth": {"date": "1902", "place": "Акмолинск"},
        "events": [
            {"type": "arrest", "date": "1937-08-15", "place": "Караганда", "evidence": ["e4", "e5"]},
            {"type": "sentence", "date": "1938-03-10", "place": None, "evidence": ["e6", "e7"],
             "organ": "Особое совещание при НКВД СССР", "organ_id": "e6", "charge": "58-10 УК РСФСР",
             "term": "8 лет ИТЛ", "term_years": 8},
            {"type": "release", "date": "1946-23", "place": None, "evidence": ["e11"]},
            {"type": "arrest", "date": "1949-03-03", "place": "Караганда", "evidence": ["e12", "e13"]},
            {"type": "rehabilitation", "date": "1989-06-12", "place": None, "evidence": ["e14", "e15"],
             "organ": "Прокуратура Карагандинской области"},
        ],
        "mentions": ["e1"],
        "gender": "male",
        "relations": [{"type": "spouse", "person": "p2"}],
    }
    wife = {
        "id": "p2",
        "name": {"full": "Сейтказиева Айгуль Кайратовна", "surname": "Сейтказиева", "given": "Айгуль",
                 "patronymic": "Кайратовна"},
        "birth": {"date": None, "place": None},
        "events": [{"type": "transfer", "date": "1937~", "place": "Акмолинский лагерь", "evidence": ["e9", "e10"]}],
        "mentions": ["e8"],
        "gender": "female",
        "aliases": ["Сейтказиева А. К."],
        "relations": [{"type": "spouse", "person": "p1"}],
    }
    return record(RU_ID, "batch7/дело_114.pdf", ["ru"], pages, e, [husband, wife])


def kk_record() -> dict:
    pages = [KK_PAGE]
    e = [
        entity(pages, "e1", "PERSON", 1, "Бекмағамбетова Үміт Сәрсенқызы", "Бекмағамбетова Үміт Сәрсенқызы"),
        entity(pages, "e2", "DATE", 1, "1903 жылы", "1903"),
        entity(pages, "e3", "PLACE", 1, "Қарқаралы қаласында", "Қарқаралы"),
        entity(pages, "e4", "DATE", 1, "1937 жылғы 15 тамызда", "1937-08-15"),
        entity(pages, "e5", "DATE", 1, "1938/1946 жылдары", "1938/1946"),
        entity(pages, "e6", "DATE", 1, "1941 жылы", "1941"),
    ]
    for item in e:
        item["lang"] = "kk"
    person = {
        "id": "p1",
        "name": {"full": "Бекмағамбетова Үміт Сәрсенқызы", "surname": "Бекмағамбетова", "given": "Үміт",
                 "patronymic": "Сәрсенқызы"},
        "birth": {"date": "1903", "place": "Қарқаралы"},
        "events": [
            {"type": "arrest", "date": "1937-08-15", "place": None, "evidence": ["e4"]},
            {"type": "sentence", "date": "1938/1946", "place": None, "evidence": ["e5"], "term": "8 жыл"},
            {"type": "death", "date": "1941", "place": None, "evidence": ["e6"]},
            {"type": "rehabilitation", "date": None, "place": None, "evidence": []},  # "ақталды", no date
        ],
        "mentions": ["e1"],
    }
    return record(KK_ID, "batch7/kk_card.png", ["kk"], pages, e, [person])


def plain_record() -> dict:
    return record(PLAIN_ID, "batch7/опись.png", ["ru"], [PLAIN_PAGE], [], [])


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    for data in (ru_record(), kk_record(), plain_record()):
        write_json_atomic(out / f"{data['document']['id']}.json", data)
    # what else a run leaves in the folder: none of it is a record
    write_json_atomic(out / "run.json", {"run": "r1", "documents": 3})
    (out / "errors.jsonl").write_text('{"file": "bad.pdf", "error": "CorruptFile"}\n', encoding="utf-8")
    (out / "persons.jsonl").write_text(
        json.dumps({"id": "P1", "name": {"full": "X"}, "sources": [{"document": RU_ID, "person": "p1"}]}) + "\n",
        encoding="utf-8")
    (out / "list.json").write_text("[1, 2]", encoding="utf-8")
    (out / f".{RU_ID}.json.host-1.abc.tmp").write_text('{"schema": "testimony-record/1"', encoding="utf-8")
    mark(out, RU_ID, "in_progress")
    mark(out, RU_ID, "reviewed")
    mark(out, KK_ID, "reviewed")
    mark(out, KK_ID, "in_progress")  # reopened: not reviewed any more
    return out


def mark(out: Path, doc_id: str, status: str) -> None:
    """A reviewer's status decision, stored the way the review page stores it."""
    if store is not None:
        store.submit(out, doc_id, {"action": "document_status", "status": status}, "ak")
    else:
        (out / "reviews").mkdir(exist_ok=True)
        with open(out / "reviews" / f"{doc_id}.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"action": "document_status", "value": status}) + "\n")


def records_on_disk(out: Path) -> list[dict]:
    ids = sorted([RU_ID, KK_ID, PLAIN_ID])
    return [json.loads((out / f"{doc_id}.json").read_text(encoding="utf-8")) for doc_id in ids]


def run_export(*args) -> int:
    return cli.main(["export", *map(str, args)])


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_one_row_per_person_with_events_as_columns(out_dir, tmp_path):
    target = tmp_path / "persons.csv"
    assert run_export(out_dir, "--format", "csv", "--out", target) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel needs the BOM for Cyrillic
    rows = read_csv(target)
    assert [(r["document_id"], r["person_id"]) for r in rows] == [(KK_ID, "p1"), (RU_ID, "p1"), (RU_ID, "p2")]

    husband = rows[1]
    assert husband["source"] == "batch7/дело_114.pdf"
    assert (husband["full_name"], husband["surname"], husband["given_name"], husband["patronymic"]) == (
        "Сейтказиев Ерлан Маратович", "Сейтказиев", "Ерлан", "Маратович")
    assert (husband["birth_date"], husband["birth_place"]) == ("1902", "Акмолинск")
    # two arrests: both kept, in order, positions lining up across the arrest columns
    assert husband["events"] == ("arrest 1937-08-15 Караганда | sentence 1938-03-10 | release 1946-23 | "
                                 "arrest 1949-03-03 Караганда | rehabilitation 1989-06-12")
    assert husband["arrest_date"] == "1937-08-15 | 1949-03-03"
    assert husband["arrest_place"] == "Караганда | Караганда"
    assert husband["sentence_date"] == "1938-03-10"
    assert husband["sentence_organ"] == "Особое совещание при НКВД СССР"
    assert husband["sentence_charge"] == "58-10 УК РСФСР"
    assert husband["sentence_term"] == "8 лет ИТЛ"
    assert husband["sentence_term_years"] == "8"
    assert husband["other_event_details"] == ""  # organ_id links an entity: not a value
    assert husband["gender"] == "male"
    assert husband["release_date"] == "1946-23"
    assert husband["rehabilitation_date"] == "1989-06-12"
    assert husband["rehabilitation_organ"] == "Прокуратура Карагандинской области"
    assert husband["death_date"] == "" and husband["transfer_date"] == ""
    assert husband["mentions"] == "Сейтказиев Ерлан Маратович"

    wife = rows[2]
    assert (wife["birth_date"], wife["birth_place"]) == ("", "")
    assert (wife["transfer_date"], wife["transfer_place"]) == ("1937~", "Акмолинский лагерь")
    assert wife["relations"] == "spouse: Сейтказиев Ерлан Маратович (p1)"
    assert wife["aliases"] == "Сейтказиева А. К."

    kazakh = rows[0]
    assert kazakh["full_name"] == "Бекмағамбетова Үміт Сәрсенқызы"
    assert (kazakh["sentence_date"], kazakh["sentence_term"]) == ("1938/1946", "8 жыл")
    assert kazakh["death_date"] == "1941"
    assert kazakh["rehabilitation_date"] == ""  # no date: the events column still shows the event
    assert kazakh["events"] == "arrest 1937-08-15 | sentence 1938/1946 | death 1941 | rehabilitation"


def test_csv_round_trips_every_event(out_dir, tmp_path):
    target = tmp_path / "persons.csv"
    assert run_export(out_dir, "--format", "csv", "--out", target) == 0
    rows = {(r["document_id"], r["person_id"]): r for r in read_csv(target)}
    for data in records_on_disk(out_dir):
        for person in data["persons"]:
            row = rows.pop((data["document"]["id"], person["id"]))
            for kind in {e["type"] for e in person["events"]}:
                same_type = [e for e in person["events"] if e["type"] == kind]
                assert row[f"{kind}_date"].split(" | ") == [e["date"] or "" for e in same_type]
    assert rows == {}


def test_csv_to_stdout_and_without_bom(out_dir, capsysbinary):
    assert run_export(out_dir, "--format", "csv", "--no-bom") == 0
    out = capsysbinary.readouterr().out
    assert not out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8"))))
    assert len(rows) == 3


# --- JSON Lines ----------------------------------------------------------------------------------


def without_review(data: dict) -> dict:
    """A record as the pipeline wrote it: reviewed documents carry the review's state in "review"."""
    return {key: value for key, value in data.items() if key != "review"}


def test_jsonl_lines_are_the_records(out_dir, capsysbinary):
    assert run_export(out_dir, "--format", "jsonl") == 0
    captured = capsysbinary.readouterr()
    lines = [json.loads(line) for line in captured.out.decode("utf-8").splitlines()]
    assert [without_review(line) for line in lines] == records_on_disk(out_dir)
    by_id = {line["document"]["id"]: line for line in lines}
    assert by_id[PLAIN_ID] == json.loads((out_dir / f"{PLAIN_ID}.json").read_text(encoding="utf-8"))  # unreviewed
    if store is not None:
        assert by_id[RU_ID]["review"]["status"] == "reviewed"
    assert b"list.json" not in captured.err and b"run.json" not in captured.err  # quietly not records
    assert "exported 3 documents, 3 persons as jsonl" in captured.err.decode("utf-8")


def test_jsonl_to_a_file(out_dir, tmp_path):
    target = tmp_path / "sub" / "all.jsonl"
    assert run_export(out_dir, "--format", "jsonl", "--out", target) == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [without_review(json.loads(line)) for line in lines] == records_on_disk(out_dir)
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no temp file left


# --- TEI -------------------------------------------------------------------------------------------


def tei_files(out_dir: Path, tmp_path: Path) -> dict[str, ET.Element]:
    folder = tmp_path / "tei"
    assert run_export(out_dir, "--format", "tei", "--out", folder) == 0
    return {path.stem: ET.parse(path).getroot() for path in sorted(folder.glob("*.xml"))}


def test_tei_one_well_formed_file_per_document(out_dir, tmp_path):
    roots = tei_files(out_dir, tmp_path)
    assert sorted(roots) == sorted([RU_ID, KK_ID, PLAIN_ID])
    root = roots[RU_ID]
    assert root.tag == f"{TEI}TEI"
    assert root.findtext(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}titleStmt/{TEI}title") == "batch7/дело_114.pdf"
    assert root.find(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}publicationStmt") is not None
    assert root.find(f"{TEI}teiHeader/{TEI}fileDesc/{TEI}sourceDesc") is not None
    languages = root.findall(f"{TEI}teiHeader/{TEI}profileDesc/{TEI}langUsage/{TEI}language")
    assert [(lang.get("ident"), lang.text) for lang in languages] == [("ru", "Russian")]
    kk_lang = roots[KK_ID].find(f"{TEI}teiHeader/{TEI}profileDesc/{TEI}langUsage/{TEI}language")
    assert kk_lang.get("ident") == "kk"


def test_tei_page_text_survives_with_entities_inline(out_dir, tmp_path):
    root = tei_files(out_dir, tmp_path)[RU_ID]
    divs = root.findall(f"{TEI}text/{TEI}body/{TEI}div")
    assert [(d.get("type"), d.get("n")) for d in divs] == [("page", "1"), ("page", "2")]
    assert len(divs[0].findall(f"{TEI}p")) == 4  # split on blank lines
    for div, text in zip(divs, (RU_PAGE_1, RU_PAGE_2)):
        expected = re.sub(r"\n[ \t\f\v]*\n\s*", "", text).replace("\x0c", " ")
        paragraphs = "".join("".join(p.itertext()) for p in div.findall(f"{TEI}p"))
        assert paragraphs == expected  # escaped, not dropped: <script>, &, quotes, ]]>

    names = {n.get(XML_ID): n for n in root.iter(f"{TEI}persName") if n.get(XML_ID)}
    assert names["e1"].get("ref") == "#p1" and "".join(names["e1"].itertext()) == "Сейтказиев Ерлан Маратович"
    assert names["e8"].get("ref") == "#p2"
    dates = {d.get(XML_ID): d for d in root.iter(f"{TEI}date")}
    assert dates["e4"].get("when") == "1937-08-15" and dates["e4"].text == "15.VIII.1937 г."
    assert dates["e2"].get("when") == "1902"
    assert (dates["e9"].get("when"), dates["e9"].get("precision"), dates["e9"].get("when-custom")) == (
        "1937", "low", "1937~")
    assert (dates["e11"].get("notBefore"), dates["e11"].get("notAfter")) == ("1946-09", "1946-11")
    assert dates["e11"].get("when-custom") == "1946-23" and dates["e11"].get("datingMethod") == "#edtf"
    places = {p.get(XML_ID): p for p in root.iter(f"{TEI}placeName") if p.get(XML_ID)}
    assert places["e3"].get("key") == "Акмолинск" and places["e3"].text == "г. Акмолинска"
    orgs = [o for o in root.iter(f"{TEI}orgName") if o.get(XML_ID)]
    assert [o.get("key") for o in orgs] == ["Особое совещание при НКВД СССР", "Прокуратура Карагандинской области"]
    assert root.find(f".//{TEI}calendar[@{XML_ID}='edtf']") is not None


def test_tei_list_person(out_dir, tmp_path):
    roots = tei_files(out_dir, tmp_path)
    people = {p.get(XML_ID): p for p in roots[RU_ID].iter(f"{TEI}person")}
    assert sorted(people) == ["p1", "p2"]
    husband = people["p1"]
    name = husband.find(f"{TEI}persName")
    assert name.findtext(f"{TEI}surname") == "Сейтказиев"
    assert name.findtext(f"{TEI}forename") == "Ерлан"
    patronymic = name.find(f"{TEI}addName")
    assert (patronymic.get("type"), patronymic.text) == ("patronymic", "Маратович")
    born = husband.find(f"{TEI}birth")
    assert born.get("when") == "1902" and born.findtext(f"{TEI}placeName") == "Акмолинск"
    events = husband.findall(f"{TEI}event")
    assert [(e.get("type"), e.get("when") or e.get("notBefore")) for e in events] == [
        ("arrest", "1937-08-15"), ("sentence", "1938-03-10"), ("release", "1946-09"),
        ("arrest", "1949-03-03"), ("rehabilitation", "1989-06-12")]
    assert events[0].get("source") == "#e4 #e5"
    assert events[0].find(f"{TEI}desc/{TEI}placeName").text == "Караганда"
    sentence = {d.get("type"): "".join(d.itertext()) for d in events[1].findall(f"{TEI}desc")}
    assert sentence == {"organ": "Особое совещание при НКВД СССР", "charge": "58-10 УК РСФСР", "term": "8 лет ИТЛ",
                        "term_years": "8"}
    assert people["p2"].find(f"{TEI}birth") is None  # unknown birth: no element
    assert people["p2"].findtext(f"{TEI}persName[@type='alias']") == "Сейтказиева А. К."
    relations = roots[RU_ID].findall(f".//{TEI}listRelation/{TEI}relation")  # both directions in the record: one here
    assert [(r.get("name"), r.get("mutual")) for r in relations] == [("spouse", "#p1 #p2")]

    kazakh = roots[KK_ID].find(f".//{TEI}person")
    assert kazakh.find(f"{TEI}death").get("when") == "1941"
    sentence = kazakh.find(f"{TEI}event[@type='sentence']")
    assert (sentence.get("from"), sentence.get("to")) == ("1938", "1946")
    assert roots[PLAIN_ID].find(f"{TEI}standOff") is None  # no persons, no listPerson


@pytest.mark.parametrize("value, attrs", [
    ("1937-08-15", {"when": "1937-08-15"}),
    ("1937-08", {"when": "1937-08"}),
    ("1902", {"when": "1902"}),
    ("1937~", {"when": "1937", "precision": "low", "when-custom": "1937~", "datingMethod": "#edtf"}),
    ("1937?", {"when": "1937", "cert": "low", "when-custom": "1937?", "datingMethod": "#edtf"}),
    ("1937-21", {"notBefore": "1937-03", "notAfter": "1937-05", "when-custom": "1937-21", "datingMethod": "#edtf"}),
    ("193X", {"notBefore": "1930", "notAfter": "1939", "when-custom": "193X", "datingMethod": "#edtf"}),
    ("1938/1946", {"from": "1938", "to": "1946", "when-custom": "1938/1946", "datingMethod": "#edtf"}),
    ("../1946-23", {"to": "1946-11", "when-custom": "../1946-23", "datingMethod": "#edtf"}),
    ("XXXX-08-15", {"when-custom": "XXXX-08-15", "datingMethod": "#edtf"}),
    ("15.VIII.1937", {}),
    (None, {}),
])
def test_tei_date_attributes(value, attrs):
    assert tei.date_attrs(value, precision=True) == attrs


def test_edtf_reader_form():
    assert [edtf.human(v) for v in ("1937-08-15", "1937~", "1937?", "1946-23", "193X", "1938/1946")] == [
        "1937-08-15", "ca. 1937", "1937?", "autumn 1946", "1930s", "1938 – 1946"]


# --- JSON-LD ---------------------------------------------------------------------------------------


def _offline_loader(url, options=None):
    raise AssertionError(f"the JSON-LD must not need the network (asked for {url})")


def test_jsonld_expands_offline_with_pyld(out_dir, tmp_path):
    jsonld = pytest.importorskip("pyld.jsonld")
    target = tmp_path / "persons.jsonld"
    assert run_export(out_dir, "--format", "jsonld", "--out", target) == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["@context"] == {"@vocab": SCHEMA}
    expanded = jsonld.expand(document, {"documentLoader": _offline_loader})
    flat = jsonld.flatten(expanded, None, {"documentLoader": _offline_loader})
    nodes = flat["@graph"] if isinstance(flat, dict) else flat
    people = {n["@id"]: n for n in nodes if f"{SCHEMA}Person" in n.get("@type", [])}

    def value(node, prop):
        return [v.get("@value", v.get("@id")) for v in node.get(SCHEMA + prop, [])]

    husband = people[f"urn:testimony:{RU_ID}:p1"]
    assert value(husband, "name") == ["Сейтказиев Ерлан Маратович"]
    assert value(husband, "familyName") == ["Сейтказиев"]
    assert value(husband, "givenName") == ["Ерлан"]
    assert value(husband, "additionalName") == ["Маратович"]
    assert value(husband, "birthDate") == ["1902"]
    wife = people[f"urn:testimony:{RU_ID}:p2"]
    assert value(wife, "birthDate") == []
    assert value(wife, "spouse") == [f"urn:testimony:{RU_ID}:p1"]
    kazakh = people[f"urn:testimony:{KK_ID}:p1"]
    assert value(kazakh, "name") == ["Бекмағамбетова Үміт Сәрсенқызы"]
    assert value(kazakh, "deathDate") == ["1941"]
    by_id = {n["@id"]: n for n in nodes}
    birth_place = by_id[value(kazakh, "birthPlace")[0]]
    assert value(birth_place, "name") == ["Қарқаралы"]

    subjects = [by_id[i] for i in value(husband, "subjectOf")]
    work = next(n for n in subjects if f"{SCHEMA}CreativeWork" in n["@type"])
    assert value(work, "name") == ["batch7/дело_114.pdf"]
    happenings = [n for n in subjects if f"{SCHEMA}Event" in n["@type"]]
    assert sorted(value(e, "name")[0] for e in happenings) == ["arrest", "arrest", "rehabilitation", "release",
                                                               "sentence"]
    sentence = next(e for e in happenings if value(e, "name") == ["sentence"])
    assert value(by_id[value(sentence, "organizer")[0]], "name") == ["Особое совещание при НКВД СССР"]

    nquads = jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                         "documentLoader": _offline_loader})
    assert f'<urn:testimony:{KK_ID}:p1> <{SCHEMA}birthDate> "1903" .' in nquads


def family_record() -> dict:
    """A mother and her son, relations in both directions as the records hold them."""
    text = "Касымова Зейнеп, её сын Касымов Болат, её сестра Касымова Роза."
    pages = [text]
    e = [entity(pages, "e1", "PERSON", 1, "Касымова Зейнеп", "Касымова Зейнеп"),
         entity(pages, "e2", "PERSON", 1, "Касымов Болат", "Касымов Болат"),
         entity(pages, "e3", "PERSON", 1, "Касымова Роза", "Касымова Роза")]

    def person(pid, full, mention, relations):
        surname, given = full.split()
        return {"id": pid, "name": {"full": full, "surname": surname, "given": given, "patronymic": None},
                "birth": {"date": None, "place": None}, "events": [], "mentions": [mention],
                "relations": [{"type": kind, "person": other} for kind, other in relations]}

    return record("c0ffee00c0ffee00", "family.png", ["ru"], pages, e, [
        person("p1", "Касымова Зейнеп", "e1", [("child", "p2"), ("sibling", "p3")]),
        person("p2", "Касымов Болат", "e2", [("parent", "p1"), ("relative", "p3")]),
        person("p3", "Касымова Роза", "e3", [("sibling", "p1"), ("relative", "p2")]),
    ])


def test_relations_in_each_format():
    from pipeline.exchange import jsonld, tabular

    data = family_record()
    root = ET.fromstring(tei.document_xml(data))
    relations = [(r.get("name"), r.get("active"), r.get("passive"), r.get("mutual"))
                 for r in root.iter(f"{TEI}relation")]
    assert relations == [("parent", "#p1", "#p2", None), ("sibling", None, None, "#p1 #p3"),
                         ("relative", None, None, "#p2 #p3")]
    nodes = {n["@id"]: n for n in jsonld.record_nodes(data)}
    mother, son = nodes["urn:testimony:c0ffee00c0ffee00:p1"], nodes["urn:testimony:c0ffee00c0ffee00:p2"]
    assert mother["children"] == [{"@id": "urn:testimony:c0ffee00c0ffee00:p2"}]
    assert mother["sibling"] == [{"@id": "urn:testimony:c0ffee00c0ffee00:p3"}]
    assert son["parent"] == [{"@id": "urn:testimony:c0ffee00c0ffee00:p1"}]
    assert son["relatedTo"] == [{"@id": "urn:testimony:c0ffee00c0ffee00:p3"}]
    rows = tabular.person_rows(data)
    assert rows[0]["relations"] == "child: Касымов Болат (p2) | sibling: Касымова Роза (p3)"


def test_jsonld_gender_and_aliases(out_dir, capsysbinary):
    assert run_export(out_dir, "--format", "jsonld") == 0
    document = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    wife = next(n for n in document["@graph"] if n["@id"] == f"urn:testimony:{RU_ID}:p2")
    assert wife["gender"] == {"@id": "https://schema.org/Female"}
    assert wife["alternateName"] == ["Сейтказиева А. К."]


# --- EAC-CPF ---------------------------------------------------------------------------------------


def test_eac_cpf_one_record_per_person(out_dir, tmp_path):
    folder = tmp_path / "eac"
    assert run_export(out_dir, "--format", "eac-cpf", "--out", folder) == 0
    files = sorted(p.name for p in folder.glob("*.xml"))
    assert files == [f"{KK_ID}-p1.xml", f"{RU_ID}-p1.xml", f"{RU_ID}-p2.xml"]
    root = ET.parse(folder / f"{RU_ID}-p1.xml").getroot()
    assert root.tag == f"{EAC}eac-cpf"
    control = root.find(f"{EAC}control")
    assert control.findtext(f"{EAC}recordId") == f"testimony-{RU_ID}-p1"
    assert control.findtext(f"{EAC}maintenanceStatus") == "new"
    assert control.findtext(f"{EAC}maintenanceAgency/{EAC}agencyName") == "testimony"
    event = control.find(f"{EAC}maintenanceHistory/{EAC}maintenanceEvent")
    assert event.findtext(f"{EAC}eventType") == "created" and event.findtext(f"{EAC}agentType") == "machine"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event.find(f"{EAC}eventDateTime").get("standardDateTime"))
    assert control.findtext(f"{EAC}sources/{EAC}source/{EAC}sourceEntry") == "batch7/дело_114.pdf"

    identity = root.find(f"{EAC}cpfDescription/{EAC}identity")
    assert identity.findtext(f"{EAC}entityType") == "person"
    parts = {p.get("localType"): p.text for p in identity.findall(f"{EAC}nameEntry/{EAC}part")}
    assert parts == {"surname": "Сейтказиев", "forename": "Ерлан", "patronymic": "Маратович"}
    description = root.find(f"{EAC}cpfDescription/{EAC}description")
    born = description.find(f"{EAC}existDates/{EAC}dateRange/{EAC}fromDate")
    assert born.get("standardDate") == "1902"
    place = description.find(f"{EAC}places/{EAC}place")
    assert (place.findtext(f"{EAC}placeRole"), place.findtext(f"{EAC}placeEntry")) == ("birth", "Акмолинск")
    items = description.findall(f"{EAC}biogHist/{EAC}chronList/{EAC}chronItem")
    dates = [item.find(f"{EAC}date") for item in items]
    assert [d.get("standardDate") or d.get("notBefore") for d in dates] == [
        "1937-08-15", "1938-03-10", "1946-09", "1949-03-03", "1989-06-12"]
    assert dates[2].text == "autumn 1946" and dates[2].get("notAfter") == "1946-11"
    assert [i.find(f"{EAC}event").get("localType") for i in items] == [
        "arrest", "sentence", "release", "arrest", "rehabilitation"]
    assert "term: 8 лет ИТЛ" in items[1].findtext(f"{EAC}event")
    assert items[0].findtext(f"{EAC}placeEntry") == "Караганда"
    resource = root.find(f"{EAC}cpfDescription/{EAC}relations/{EAC}resourceRelation")
    assert resource.get("resourceRelationType") == "subjectOf"

    wife = ET.parse(folder / f"{RU_ID}-p2.xml").getroot()
    assert wife.find(f".//{EAC}existDates") is None  # birth unknown, no death
    assert wife.findtext(f".//{EAC}localDescription[@localType='gender']/{EAC}term") == "female"
    assert wife.findtext(f".//{EAC}nameEntry[@localType='alias']/{EAC}part") == "Сейтказиева А. К."
    transfer = wife.find(f".//{EAC}chronItem/{EAC}date")
    assert (transfer.get("standardDate"), transfer.text) == ("1937", "ca. 1937")
    relation = wife.find(f".//{EAC}cpfRelation")
    assert relation.get("cpfRelationType") == "family"
    assert relation.findtext(f"{EAC}relationEntry") == "Сейтказиев Ерлан Маратович"

    kazakh = ET.parse(folder / f"{KK_ID}-p1.xml").getroot()
    span = kazakh.find(f".//{EAC}existDates/{EAC}dateRange")
    assert span.find(f"{EAC}fromDate").get("standardDate") == "1903"
    assert span.find(f"{EAC}toDate").get("standardDate") == "1941"
    term = kazakh.findall(f".//{EAC}chronItem")[1]
    assert term.find(f"{EAC}dateRange/{EAC}fromDate").get("standardDate") == "1938"
    assert term.find(f"{EAC}dateRange/{EAC}toDate").get("standardDate") == "1946"


# --- reviewed only, errors -----------------------------------------------------------------------


def test_is_reviewed_reads_the_latest_status(out_dir):
    assert is_reviewed(out_dir, RU_ID)
    assert not is_reviewed(out_dir, KK_ID)  # reviewed, then reopened
    assert not is_reviewed(out_dir, PLAIN_ID)  # never reviewed


def test_latest_status_line(tmp_path):
    (tmp_path / "reviews").mkdir()
    log = tmp_path / "reviews" / f"{RU_ID}.jsonl"
    log.write_text('{"action": "document_status", "value": "in_progress"}\n'
                   '{"action": "mark_reviewed"}\n'
                   '{"action": "correct", "tru\n', encoding="utf-8")
    assert latest_status(tmp_path, RU_ID) == "reviewed"  # a cut-off last line does not undo the status
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"action": "document_status", "new": {"status": "in_progress"}}\n')
    assert latest_status(tmp_path, RU_ID) == "in_progress"
    assert latest_status(tmp_path, KK_ID) is None


def test_reviewed_only(out_dir, tmp_path, capsysbinary):
    assert run_export(out_dir, "--format", "jsonl", "--reviewed-only") == 0
    captured = capsysbinary.readouterr()
    ids = [json.loads(line)["document"]["id"] for line in captured.out.decode("utf-8").splitlines()]
    assert ids == [RU_ID]
    assert "2 not reviewed left out" in captured.err.decode("utf-8")

    target = tmp_path / "reviewed.csv"
    assert run_export(out_dir, "--format", "csv", "--out", target, "--reviewed-only") == 0
    assert {r["document_id"] for r in read_csv(target)} == {RU_ID}

    folder = tmp_path / "eac"
    assert run_export(out_dir, "--format", "eac-cpf", "--out", folder, "--reviewed-only") == 0
    assert sorted(p.name for p in folder.glob("*.xml")) == [f"{RU_ID}-p1.xml", f"{RU_ID}-p2.xml"]


@pytest.mark.skipif(store is None, reason="the review store is not installed")
def test_exports_carry_the_reviewers_corrections(out_dir, tmp_path):
    store.submit(out_dir, KK_ID, {"action": "correct_person_field", "person": "p1", "field": "birth.place",
                                  "value": "Қарқаралы ауданы"}, "ak")
    store.submit(out_dir, RU_ID, {"action": "reject", "entity": "e3"}, "ak")  # not a place after all
    target = tmp_path / "persons.csv"
    assert run_export(out_dir, "--format", "csv", "--out", target) == 0
    rows = {(r["document_id"], r["person_id"]): r for r in read_csv(target)}
    assert rows[(KK_ID, "p1")]["birth_place"] == "Қарқаралы ауданы"
    folder = tmp_path / "tei"
    assert run_export(out_dir, "--format", "tei", "--out", folder) == 0
    root = ET.parse(folder / f"{RU_ID}.xml").getroot()
    ids = {element.get(XML_ID) for element in root.iter() if element.get(XML_ID)}
    assert "e3" not in ids and "e4" in ids
    assert "г. Акмолинска" in "".join(root.find(f"{TEI}text").itertext())  # the text stays


def test_unreadable_json_is_reported_and_skipped(out_dir, capsysbinary):
    (out_dir / "deadbeefdeadbeef.json").write_text('{"schema": "testimony-rec', encoding="utf-8")
    assert run_export(out_dir, "--format", "jsonl") == 0
    captured = capsysbinary.readouterr()
    assert len(captured.out.splitlines()) == 3
    assert "deadbeefdeadbeef.json: not a readable JSON record" in captured.err.decode("utf-8")


def test_missing_folder_is_a_usage_error(tmp_path, capsys):
    assert run_export(tmp_path / "nowhere", "--format", "csv") == 2
    err = capsys.readouterr().err
    assert "output folder" in err and "not found" in err and "testimony run --out" in err


@pytest.mark.parametrize("fmt, unit", [("tei", "document"), ("eac-cpf", "person")])
def test_xml_formats_need_a_folder(out_dir, capsys, fmt, unit):
    assert run_export(out_dir, "--format", fmt) == 2
    assert f"one XML file per {unit}" in capsys.readouterr().err
    assert run_export(out_dir, "--format", fmt, "--out", out_dir / "run.json") == 2
    assert "needs a folder" in capsys.readouterr().err


def test_single_file_format_refuses_a_folder(out_dir, tmp_path, capsys):
    assert run_export(out_dir, "--format", "csv", "--out", tmp_path) == 2
    assert "is a folder" in capsys.readouterr().err


def test_unknown_format_is_a_usage_error(out_dir, capsys):
    assert run_export(out_dir, "--format", "xlsx") == 2
    assert "invalid choice" in capsys.readouterr().err


def test_empty_folder_exports_nothing(tmp_path, capsysbinary):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_export(empty, "--format", "csv", "--no-bom") == 0
    captured = capsysbinary.readouterr()
    assert captured.out.decode("utf-8").splitlines()[0].startswith("document_id,source,person_id")
    assert "no document records" in captured.err.decode("utf-8")
