"""End to end through the CLI: every input kind, every bad input, re-runs, exit codes, progress."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from pipeline import batch, cli, export
from tests import samples

KK_PARAGRAPHS = [
    "Мұрағат анықтамасы. Бекмағамбетова Үміт 1903 жылы Қарқаралы қаласында туған.",
    "Ол 1937 жылғы қарашада тұтқындалып, сегіз жылға сотталды, кейін толық ақталды.",
]
RU_PARAGRAPHS = [
    "Справка о реабилитации. Ковалёва Анна Ивановна, 1901 года рождения, уроженка города Вильно.",
    "Арестована 3 марта 1938 года, осуждена Особым совещанием при НКВД СССР на пять лет.",
]
GOOD = {
    "ru.png": "png",
    "kk.jpg": "jpeg",
    "cards/two_pages.tif": "tiff",
    "cards/scanned.pdf": "pdf",
    "digital.pdf": "pdf",
    "mixed.pdf": "pdf",
    "named_wrong.pdf": "png",
}
BAD = {
    "empty.png": "EmptyFile",
    "cut.pdf": "CorruptFile",
    "locked.pdf": "EncryptedPdf",
    "page.png": "UnsupportedFormat",
    "bomb.png": "ImageTooLarge",
}


def make_inputs(root: Path) -> Path:
    (root / "cards").mkdir(parents=True)
    samples.save_png(root / "ru.png", samples.RU_LINES)
    samples.save_jpeg(root / "kk.jpg", samples.KK_LINES)
    samples.save_tiff(root / "cards" / "two_pages.tif", [samples.RU_LINES, samples.KK_LINES])
    samples.save_image_pdf(root / "cards" / "scanned.pdf", [samples.KK_LINES])
    samples.save_text_pdf(root / "digital.pdf", [RU_PARAGRAPHS, KK_PARAGRAPHS])
    samples.save_mixed_pdf(root / "mixed.pdf", KK_PARAGRAPHS + RU_PARAGRAPHS[:1], samples.RU_LINES)
    samples.save_png(root / "named_wrong.pdf", ["Протокол допроса", "обвиняемой Ковалёвой А. И."])
    (root / "empty.png").write_bytes(b"")
    samples.save_truncated_pdf(root / "cut.pdf", root / "digital.pdf")
    samples.save_encrypted_pdf(root / "locked.pdf")
    (root / "page.png").write_text("<!DOCTYPE html><html>Service unavailable</html>")
    samples.save_bomb_png(root / "bomb.png")
    (root / "cards" / "README.md").write_text("Опись: карточки учёта заключённых.", encoding="utf-8")
    return root


def run_cli(*args: str) -> tuple[int, str]:
    stderr = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(stderr):
        code = cli.main(["run", *args])
    return code, stderr.getvalue()


def load_outputs(out: Path) -> dict[str, dict]:
    records = {}
    for path in out.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["document"]["source"]] = record
    return records


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return make_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def first_run(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "2", "--no-progress")
    return out, code, stderr


def test_some_documents_failed_gives_exit_status_1(first_run):
    _, code, stderr = first_run
    assert code == 1, stderr
    assert "12 documents: 7 written" in stderr and "5 failed" in stderr
    assert "ignored 1 notes/metadata files (cards/README.md)" in stderr


def test_every_good_document_has_a_valid_record(first_run, inputs):
    out, _, _ = first_run
    records = load_outputs(out)
    assert set(records) == set(GOOD)
    for source, record in records.items():
        assert export.contract_problems(record) == [], source
        data = (inputs / source).read_bytes()
        import hashlib

        assert record["document"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["document"]["format"] == GOOD[source]
        assert (out / f"{record['document']['id']}.json").exists()


def test_methods_per_page(first_run):
    records = load_outputs(first_run[0])
    methods = {source: [p["method"] for p in r["pages"]] for source, r in records.items()}
    assert methods["digital.pdf"] == ["text-layer", "text-layer"]
    assert methods["mixed.pdf"] == ["text-layer", "ocr"]
    assert methods["cards/two_pages.tif"] == ["ocr", "ocr"]
    assert methods["cards/scanned.pdf"] == ["ocr"]
    for record in records.values():
        for page in record["pages"]:
            if page["method"] == "ocr":
                assert 0 < page["ocr_confidence"] <= 1 and page["dpi"] == 300
            else:
                assert page["ocr_confidence"] is None


def test_text_and_languages(first_run):
    records = load_outputs(first_run[0])
    digital = records["digital.pdf"]
    assert digital["pages"][0]["text"].startswith("Справка о реабилитации")
    assert digital["document"]["languages"] == ["ru", "kk"]
    assert {s["lang"] for s in digital["pages"][1]["language_spans"]} == {"kk"}
    kk_scan = records["kk.jpg"]
    assert kk_scan["document"]["languages"] == ["kk"]
    assert "Мұрағат" in kk_scan["pages"][0]["text"]
    assert records["ru.png"]["document"]["languages"] == ["ru"]
    assert "Ковалёва" in records["ru.png"]["pages"][0]["text"] or "Ковалева" in records["ru.png"]["pages"][0]["text"]
    tiff = records["cards/two_pages.tif"]
    assert [s["lang"] for p in tiff["pages"] for s in p["language_spans"]] == ["ru", "kk"]
    assert all(r["persons"] == [] for r in records.values())


def test_entities_are_found_and_normalised(first_run):
    records = load_outputs(first_run[0])
    digital = {(e["label"], e["normalized"]) for e in records["digital.pdf"]["entities"]}
    assert {("PERSON", "Ковалёва Анна Ивановна"), ("DATE", "1938-03-03"), ("PLACE", "Вильно"),
            ("ORG", "Особое совещание при НКВД СССР")} <= digital
    assert all(e["bbox"] is None for e in records["digital.pdf"]["entities"])
    scan = records["ru.png"]["entities"]
    assert {"PERSON", "DATE"} <= {e["label"] for e in scan}
    for entity in scan:  # boxes lie on the page image
        x0, y0, x1, y1 = entity["bbox"]
        page = records["ru.png"]["pages"][entity["page"] - 1]
        assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
    ids = [e["id"] for r in records.values() for e in r["entities"][:3]]
    assert all(i.startswith("e") for i in ids)


def test_bad_inputs_each_have_an_error_record_and_a_line_on_stderr(first_run):
    out, _, stderr = first_run
    entries = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    errors = {e["file"]: e for e in entries if e["level"] == "error"}
    assert {name: e["error"] for name, e in errors.items()} == BAD
    for name, entry in errors.items():
        assert entry["stage"] == "ingest" and entry["message"].startswith(name) and entry["hint"]
        assert name in stderr
    warnings = [e for e in entries if e["level"] == "warning"]
    assert [w["file"] for w in warnings] == ["named_wrong.pdf"]


def test_rerun_skips_finished_documents(first_run, inputs):
    out, _, _ = first_run
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "2", "--no-progress")
    assert code == 1  # the bad files still fail
    assert "0 written, 7 already done, 5 failed" in stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")} == before


def test_force_and_a_new_pipeline_version_reprocess(inputs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    one = inputs / "digital.pdf"
    assert run_cli(str(one), "--out", str(out), "--no-progress")[0] == 0
    code, stderr = run_cli(str(one), "--out", str(out), "--no-progress")
    assert "0 written, 1 already done" in stderr
    code, stderr = run_cli(str(one), "--out", str(out), "--no-progress", "--force")
    assert "1 written" in stderr
    monkeypatch.setattr(batch, "__version__", "9.9.9")
    code, stderr = run_cli(str(one), "--out", str(out), "--no-progress")
    assert "1 written" in stderr
    (record,) = load_outputs(out).values()
    assert record["document"]["pipeline_version"] == "9.9.9"


def test_output_is_the_same_whatever_the_number_of_jobs(first_run, inputs, tmp_path):
    subset = tmp_path / "in"
    subset.mkdir()
    for name in ("ru.png", "mixed.pdf", "cards/two_pages.tif"):
        shutil.copy(inputs / name, subset / Path(name).name)
    out1, out2 = tmp_path / "j1", tmp_path / "j2"
    assert run_cli(str(subset), "--out", str(out1), "--jobs", "1", "--no-progress")[0] == 0
    assert run_cli(str(subset), "--out", str(out2), "--jobs", "2", "--no-progress")[0] == 0
    names = sorted(p.name for p in out1.glob("*.json"))
    assert names == sorted(p.name for p in out2.glob("*.json")) and len(names) == 3
    for name in names:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes()


def test_all_good_gives_exit_status_0_and_no_error_log(inputs, tmp_path):
    code, stderr = run_cli(str(inputs / "digital.pdf"), str(inputs / "ru.png"), "--out", str(tmp_path), "--no-progress")
    assert code == 0, stderr
    assert not (tmp_path / "errors.jsonl").exists()


@pytest.mark.parametrize(
    "args",
    [[], ["/no/such/folder"], ["x", "--jobs", "0"], ["x", "--lang", "de"], ["x", "--candidates", "russian"], ["x", "--candidates", "ru"]],
)
def test_usage_errors_give_exit_status_2(args, capsys):
    assert cli.main(["run", *args]) == 2
    assert capsys.readouterr().err


def test_progress_bar_shows_rate_and_eta_only_when_asked(inputs, tmp_path):
    stream = io.StringIO()
    options = batch.RunOptions(out_dir=tmp_path / "a", jobs=1, progress=True)
    batch.run([inputs / "digital.pdf"], options, stderr=stream)
    shown = stream.getvalue()
    assert "2/2" in shown and "page/s" in shown and "<" in shown
    quiet = io.StringIO()  # not a terminal: no bar
    batch.run([inputs / "digital.pdf"], batch.RunOptions(out_dir=tmp_path / "b", jobs=1), stderr=quiet)
    assert quiet.getvalue() == ""
