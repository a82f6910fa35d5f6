"""Export: the contract's JSON Schema, consistency checks, atomic writes, the error log."""

from __future__ import annotations

import json

import pytest

from pipeline import export
from pipeline.errors import EmptyFile, OutputError
from pipeline.model import Document, DocumentInfo, LanguageSpan, Page

TEXT = "Справка о реабилитации\n\nКовалёва Анна Ивановна"


def make_document() -> Document:
    page = Page(
        number=1, method="ocr", text=TEXT, ocr_confidence=0.91,
        language_spans=[LanguageSpan(0, len(TEXT), "ru", 0.99)], width=100, height=200, dpi=300, ocr_lang="Cyrillic",
    )
    info = DocumentInfo(
        id="3f2a9c0d1e7b4a55", source="batch7/case.png", sha256="3f2a9c0d1e7b4a55" + "0" * 48,
        page_count=1, languages=["ru"], pipeline_version="0.1.0", format="png",
    )
    return Document(info=info, pages=[page])


def record(**changes) -> dict:
    data = export.document_to_dict(make_document())
    for path, value in changes.items():
        target = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value
    return data


def test_a_good_record_passes():
    assert export.contract_problems(record()) == []


def test_the_contract_example_entity_and_person_pass():
    data = record()
    start = TEXT.index("Ковалёва")
    data["entities"] = [{
        "id": "e1", "label": "PERSON", "text": TEXT[start:], "page": 1, "start": start, "end": len(TEXT),
        "lang": "ru", "normalized": "Ковалёва Анна Ивановна", "confidence": 0.87, "bbox": [10, 20, 90, 40],
    }]
    data["persons"] = [{
        "id": "p1",
        "name": {"full": "Ковалёва Анна Ивановна", "surname": "Ковалёва", "given": "Анна", "patronymic": "Ивановна"},
        "birth": {"date": "1900", "place": None},
        "events": [{"type": "arrest", "date": "1937-08-15", "place": "Москва", "evidence": ["e1"]},
                   {"type": "release", "date": "1946~", "place": None, "evidence": []},
                   {"type": "transfer", "date": "1937-23", "place": None, "evidence": []},
                   {"type": "sentence", "date": "1938/1946", "place": None, "evidence": []}],
        "mentions": ["e1"],
    }]
    assert export.contract_problems(data) == []


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"schema": "testimony-record/2"}, "schema"),
        ({"document.id": "XYZ"}, "document/id"),
        ({"document.sha256": "abc"}, "document/sha256"),
        ({"pages.0.method": "magic"}, "pages/0/method"),
        ({"pages.0.ocr_confidence": 91}, "pages/0/ocr_confidence"),
        ({"pages.0.language_spans": [{"start": 0, "end": 5, "lang": "russian", "confidence": 1}]}, "lang"),
        ({"entities": [{"id": "e1", "label": "MISC"}]}, "entities/0"),
        ({"persons": [{"id": "p1", "name": {"full": "", "surname": None, "given": None, "patronymic": None},
                       "birth": {"date": None, "place": None}, "events": [], "mentions": []}]}, "name/full"),
        ({"persons": [{"id": "p1", "name": {"full": None, "surname": None, "given": None, "patronymic": None},
                       "birth": {"date": "15.VIII.1937", "place": None}, "events": [], "mentions": []}]}, "birth/date"),
    ],
)
def test_schema_rejects(changes, fragment):
    problems = export.contract_problems(record(**changes))
    assert any(fragment in p for p in problems), problems


def test_language_spans_must_cover_the_text():
    spans = [{"start": 0, "end": 10, "lang": "ru", "confidence": 0.9}]
    problems = export.contract_problems(record(**{"pages.0.language_spans": spans}))
    assert any("language_spans" in p for p in problems)


def test_entity_offsets_must_match_the_text():
    data = record()
    data["entities"] = [{"id": "e1", "label": "PERSON", "text": "Иванов", "page": 1, "start": 0, "end": 6,
                         "lang": "ru", "normalized": None, "confidence": 0.5, "bbox": None}]
    assert any("offsets" in p for p in export.contract_problems(data))


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    path = export.write_document(make_document(), tmp_path)
    assert path.name == "3f2a9c0d1e7b4a55.json"
    assert json.loads(path.read_text(encoding="utf-8"))["pages"][0]["text"] == TEXT
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_broken_record_is_never_written(tmp_path):
    # A bad value is mended (tests/test_faults_values.py); a page out of order is the structure itself.
    doc = make_document()
    doc.pages[0].number = 2
    with pytest.raises(OutputError, match="contract"):
        export.write_document(doc, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_result_needs_same_content_and_version(tmp_path):
    doc = make_document()
    export.write_document(doc, tmp_path)
    assert export.existing_result(tmp_path, doc.info.id, doc.info.sha256, "0.1.0")
    assert export.existing_result(tmp_path, doc.info.id, doc.info.sha256, "0.2.0") is None
    assert export.existing_result(tmp_path, doc.info.id, "f" * 64, "0.1.0") is None
    (tmp_path / f"{doc.info.id}.json").write_text('{"document": {"sha2')  # truncated by hand
    assert export.existing_result(tmp_path, doc.info.id, doc.info.sha256, "0.1.0") is None


def test_error_log_lines(tmp_path):
    log = export.ErrorLog(tmp_path, run_id="r1")
    log.record("a/b.pdf", EmptyFile("a/b.pdf: the file is empty (0 bytes).", hint="Copy it again."), sha256="ab" * 32)
    log.warn("c.pdf", "c.pdf: read as PNG image.")
    first, second = [json.loads(line) for line in (tmp_path / "errors.jsonl").read_text().splitlines()]
    assert first["file"] == "a/b.pdf" and first["stage"] == "ingest" and first["error"] == "EmptyFile"
    assert first["hint"] == "Copy it again." and first["id"] == "ab" * 8 and first["level"] == "error"
    assert second["level"] == "warning" and second["sha256"] is None
