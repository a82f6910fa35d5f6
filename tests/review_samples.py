"""An output folder to review: a generated scan and its record, made by hand so every box is known.

The record is what the pipeline would write for the scan (contract-valid,
entity boxes from the font's metrics), with one hostile line: OCR text that
looks like HTML and script, which the review page must show as text.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PIL import ImageFont

from pipeline import __version__, export
from tests import samples

FONT_SIZE = 42
LINES = [
    "СПРАВКА",
    "Гражданка Ковалёва Анна Ивановна, 1901 года рождения,",
    "арестована 3 марта 1938 года в г. Акмолинске.",
    "<script>alert(1)</script> <img src=x onerror=alert(2)>",
]
HOSTILE = "<script>alert(1)</script>"
ENTITIES = [  # (label, text, normalized)
    ("PERSON", "Ковалёва Анна Ивановна", "Ковалёва Анна Ивановна"),
    ("DATE", "1901", "1901"),
    ("DATE", "3 марта 1938", "1938-03-03"),
    ("PLACE", "Акмолинске", "Акмолинск"),
    ("ORG", HOSTILE, None),
]


def _bbox(line_no: int, col0: int, col1: int) -> list[int]:
    font = ImageFont.truetype(samples.MONO, FONT_SIZE)
    line = LINES[line_no]
    top = 80 + line_no * int(FONT_SIZE * 1.9)
    return [int(80 + font.getlength(line[:col0])), top, int(80 + font.getlength(line[:col1])) + 1, top + FONT_SIZE + 8]


def build_record(sha256: str, source: str, width: int, height: int) -> dict:
    text = "\n".join(LINES)
    entities = []
    for label, surface, normalized in ENTITIES:
        start = text.index(surface)
        line_no = text[:start].count("\n")
        line_start = text.rfind("\n", 0, start) + 1
        entities.append({
            "id": f"e{len(entities) + 1}",
            "label": label,
            "text": surface,
            "page": 1,
            "start": start,
            "end": start + len(surface),
            "lang": "ru",
            "normalized": normalized,
            "confidence": 0.9,
            "bbox": _bbox(line_no, start - line_start, start - line_start + len(surface)),
        })
    return {
        "schema": export.SCHEMA_ID,
        "document": {
            "id": sha256[:16],
            "source": source,
            "sha256": sha256,
            "page_count": 1,
            "languages": ["ru"],
            "pipeline_version": __version__,
            "format": "png",
            "warnings": [],
        },
        "pages": [{
            "page": 1,
            "method": "ocr",
            "text": text,
            "ocr_confidence": 0.93,
            "language_spans": [{"start": 0, "end": len(text), "lang": "ru", "confidence": 0.99}],
            "width": width,
            "height": height,
            "dpi": 300,
            "ocr_model": "Cyrillic",
        }],
        "entities": entities,
        "persons": [{
            "id": "p1",
            "name": {"full": "Ковалёва Анна Ивановна", "surname": "Ковалёва", "given": "Анна", "patronymic": "Ивановна"},
            "birth": {"date": "1901", "place": None, "evidence": ["e2"]},
            "events": [{"type": "arrest", "date": "1938-03-03", "place": "Акмолинск", "evidence": ["e3", "e4"]}],
            "mentions": ["e1"],
        }],
    }


def make_review_output(root: Path, *, run_json: bool = True, second: bool = True) -> tuple[Path, Path, dict]:
    """(output folder, input root, record) under `root`; the scan is INPUT/cards/kovaleva.png.

    With `second`, a second, text-only record (no input file) so the list has two documents.
    """
    inputs, out = root / "inputs", root / "out"
    (inputs / "cards").mkdir(parents=True)
    out.mkdir(parents=True)
    scan = inputs / "cards" / "kovaleva.png"
    image = samples.text_image(LINES, size=FONT_SIZE)
    image.save(scan, format="PNG", dpi=(300, 300))
    sha256 = hashlib.sha256(scan.read_bytes()).hexdigest()
    record = build_record(sha256, "cards/kovaleva.png", image.width, image.height)
    assert export.contract_problems(record) == [], export.contract_problems(record)
    export.write_json_atomic(out / f"{record['document']['id']}.json", record)
    if second:
        other = json.loads(json.dumps(record))
        other_sha = hashlib.sha256(b"a document whose scan is elsewhere").hexdigest()
        other["document"].update(id=other_sha[:16], sha256=other_sha, source="elsewhere/missing.png")
        export.write_json_atomic(out / f"{other_sha[:16]}.json", other)
    if run_json:
        (out / "run.json").write_text(
            json.dumps({"schema": "testimony-run/1", "inputs": [str(inputs)], "options": {"out": str(out)}}),
            encoding="utf-8",
        )
    return out, inputs, record
