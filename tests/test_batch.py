"""End to end through the CLI: every input kind, every bad input, re-runs, exit codes, progress."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import dask
import distributed
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

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
    for path in export.record_paths(out):
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


def test_run_summary_in_run_json(first_run):
    out, _, stderr = first_run
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))
    records = load_outputs(out)
    assert summary["schema"] == "testimony-run/1" and summary["status"] == "complete"
    assert summary["pipeline_version"] == batch.__version__
    assert summary["started"] <= summary["finished"] and summary["seconds"] > 0
    assert summary["options"]["jobs"] == 2 and summary["options"]["scheduler"] is None
    assert {k: summary[k] for k in ("documents", "written", "skipped", "failed")} == {
        "documents": 12, "written": 7, "skipped": 0, "failed": 5}
    assert (summary["pages"], summary["ocr_pages"], summary["text_layer_pages"]) == (10, 7, 3)
    assert summary["pages_per_second"] == pytest.approx(summary["pages"] / summary["seconds"], rel=0.01)
    assert summary["entities"] == sum(len(r["entities"]) for r in records.values()) > 0
    assert summary["persons"] == sum(len(r["persons"]) for r in records.values())
    assert {f["file"]: f["error"] for f in summary["failures"]} == BAD
    assert all(f["message"] and f["hint"] for f in summary["failures"])
    assert summary["ignored"] == ["cards/README.md"]
    assert f"{summary['entities']} entities, {summary['persons']} persons" in stderr and "pages/s" in stderr


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


def test_person_records_and_the_index(first_run):
    out = first_run[0]
    records = load_outputs(out)
    (anna,) = [p for p in records["digital.pdf"]["persons"] if p["name"]["surname"] == "Ковалёва"]
    assert anna["name"]["given"] == "Анна" and anna["birth"] == {"date": "1901", "place": "Вильно",
                                                                "evidence": anna["birth"]["evidence"]}
    assert ("arrest", "1938-03-03") in [(e["type"], e["date"]) for e in anna["events"]]
    sentence = next(e for e in anna["events"] if e["type"] == "sentence")
    assert sentence["organ"] == "Особое совещание при НКВД СССР" and sentence["term_years"] == 5
    ids = {e["id"] for e in records["digital.pdf"]["entities"]}
    assert set(anna["mentions"]) <= ids and set(sentence["evidence"]) <= ids
    lines = [json.loads(line) for line in (out / "persons.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(len(line["sources"]) for line in lines) == sum(len(r["persons"]) for r in records.values())
    # the same woman is in ru.png, digital.pdf and mixed.pdf: one line, three sources, and why
    (kovaleva,) = [line for line in lines if line["name"]["surname"] == "Ковалёва" and line["name"]["given"] == "Анна"]
    assert len(kovaleva["sources"]) >= 2 and kovaleva["match"]["rule"] == "merged"


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
    before = {p.name: p.stat().st_mtime_ns for p in export.record_paths(out)}
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "2", "--no-progress")
    assert code == 1  # the bad files still fail
    assert "0 written, 7 already done, 5 failed" in stderr
    assert {p.name: p.stat().st_mtime_ns for p in export.record_paths(out)} == before


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
    # four pages of one document go to different workers and come back in any order
    samples.save_image_pdf(subset / "long.pdf", [samples.RU_LINES, samples.KK_LINES, samples.RU_LINES[1:], samples.KK_LINES[1:]])
    # thirteen pages in two runs of text layers, a scan among them handed back for OCR
    case = [("text", [RU_PARAGRAPHS[k % 2], KK_PARAGRAPHS[k % 2]]) for k in range(13)]
    case[8] = ("image", samples.RU_LINES)
    samples.save_pdf(subset / "case.pdf", case)
    outputs = {}
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"j{jobs}"
        assert run_cli(str(subset), "--out", str(out), "--jobs", jobs, "--no-progress")[0] == 0
        outputs[jobs] = {p.name: p.read_bytes() for p in export.record_paths(out)}
    assert len(outputs["1"]) == 5
    assert outputs["1"] == outputs["2"] == outputs["3"]
    long = next(json.loads(data) for data in outputs["1"].values() if b'"long.pdf"' in data)
    assert [p["method"] for p in long["pages"]] == ["ocr"] * 4 and long["entities"]
    record = next(json.loads(data) for data in outputs["1"].values() if b'"case.pdf"' in data)
    assert [p["method"] for p in record["pages"]] == ["text-layer"] * 8 + ["ocr"] + ["text-layer"] * 4
    assert {e["page"] for e in record["entities"] if e["label"] == "DATE"} == set(range(1, 14))


def test_pdfs_go_out_in_even_runs_of_pages_and_images_page_by_page():
    def runs(fmt: str, count: int) -> list[tuple[int, ...]]:
        return batch.page_runs(batch.SourceFile(path=Path("x"), source="x", format=fmt, page_count=count))

    assert runs("pdf", 1) == [(1,)] and runs("tiff", 3) == [(1,), (2,), (3,)]
    assert runs("pdf", 10) == [tuple(range(1, 11))]
    assert [len(r) for r in runs("pdf", 13)] == [6, 7] and [len(r) for r in runs("pdf", 300)] == [10] * 30
    for count in range(2, 60):
        got = runs("pdf", count)
        assert [n for run in got for n in run] == list(range(1, count + 1))
        assert max(map(len, got)) <= batch.RUN_PAGES and max(map(len, got)) - min(map(len, got)) <= 1


def test_a_run_that_fails_is_read_again_page_by_page_and_the_error_names_its_page(tmp_path, monkeypatch):
    from pipeline.entities import EntityExtractor

    inputs = tmp_path / "in"
    inputs.mkdir()
    samples.save_text_pdf(inputs / "case.pdf", [RU_PARAGRAPHS, KK_PARAGRAPHS, RU_PARAGRAPHS, KK_PARAGRAPHS])
    samples.save_text_pdf(inputs / "other.pdf", [RU_PARAGRAPHS, KK_PARAGRAPHS])
    extract_pages = EntityExtractor.extract_pages
    calls = []

    def failing(self, pages):
        calls.append([p.number for p in pages])
        if any(p.number == 3 for p in pages):
            raise RuntimeError("a bug in a rule")
        return extract_pages(self, pages)

    monkeypatch.setattr(EntityExtractor, "extract_pages", failing)
    out = tmp_path / "out"
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "1", "--no-progress")
    assert code == 1 and "2 documents: 1 written, 0 already done, 1 failed" in stderr
    assert [1, 2, 3, 4] in calls and [3] in calls  # the run, then its pages alone
    (entry,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert entry["file"] == "case.pdf" and entry["page"] == 3 and "a bug in a rule" in entry["message"]
    assert list(load_outputs(out)) == ["other.pdf"]


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


def test_a_worker_that_dies_fails_only_its_document(inputs, tmp_path, monkeypatch):
    """A page that kills its worker process (as a crash in a native library would): that document gets
    an error record; the pages that were out with it are read again on a fresh pool and written."""
    import os

    from pipeline import ingest

    subset = tmp_path / "in"
    subset.mkdir()
    for name in ("ru.png", "kk.jpg", "digital.pdf", "cards/two_pages.tif"):
        shutil.copy(inputs / name, subset / Path(name).name)
    samples.save_png(subset / "crash.png", ["Этот файл роняет процесс."])
    samples.save_text_pdf(subset / "crash.pdf", [RU_PARAGRAPHS, KK_PARAGRAPHS, RU_PARAGRAPHS])  # on page 2
    load_page, load_text_page = ingest.load_page, ingest.load_text_page

    def crashing(load):
        def load_or_crash(src, number, *args, **kwargs):
            if src.source == "crash.png" or (src.source, number) == ("crash.pdf", 2):
                os._exit(3)  # the pool's workers are forked from this process and inherit the patch
            return load(src, number, *args, **kwargs)
        return load_or_crash

    monkeypatch.setattr(ingest, "load_page", crashing(load_page))
    monkeypatch.setattr(ingest, "load_text_page", crashing(load_text_page))
    code, stderr = run_cli(str(subset), "--out", str(tmp_path / "out"), "--jobs", "2", "--no-entities", "--no-progress")
    assert code == 1, stderr
    assert "6 documents: 4 written, 0 already done, 2 failed" in stderr
    entries = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert {(e["file"], e["page"]) for e in entries} == {("crash.png", 1), ("crash.pdf", 2)}
    assert all("worker process died" in e["message"] for e in entries)
    assert set(load_outputs(tmp_path / "out")) == {"ru.png", "kk.jpg", "digital.pdf", "two_pages.tif"}


def local_cluster():
    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )


def test_a_dask_cluster_writes_the_same_records(first_run, inputs, tmp_path):
    """Pages read by two Dask worker processes on loopback; records written here: byte for byte the local run's,
    and the same error records for the bad files."""
    out = tmp_path / "dask"
    with local_cluster() as cluster:
        address = cluster.scheduler_address
        code, stderr = run_cli(str(inputs), "--out", str(out), "--scheduler", address, "--no-progress")
    assert code == 1, stderr
    assert "12 documents: 7 written" in stderr and "5 failed" in stderr
    local = {p.name: p.read_bytes() for p in export.record_paths(first_run[0])}
    assert {p.name: p.read_bytes() for p in export.record_paths(out)} == local
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {e["file"]: e["error"] for e in errors if e["level"] == "error"} == BAD
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert summary["options"]["scheduler"] == address and summary["pages"] == 10


class CrashOn(WorkerPlugin):
    """A Dask worker plugin standing in for a file that crashes a native library on its workers."""

    def __init__(self, source: str):
        self.source = source

    def setup(self, worker):
        import os

        from pipeline import ingest

        load_page = ingest.load_page

        def crashing(src, number, *args, **kwargs):
            if src.source == self.source:
                os._exit(3)
            return load_page(src, number, *args, **kwargs)

        ingest.load_page = crashing


def test_a_lost_dask_worker_fails_only_its_document(inputs, tmp_path):
    subset = tmp_path / "in"
    subset.mkdir()
    for name in ("digital.pdf", "ru.png"):
        shutil.copy(inputs / name, subset / name)
    samples.save_png(subset / "crash.png", ["Этот файл роняет процесс."])
    # the scheduler runs in this process: it gives up on a page after the first worker the page kills
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), local_cluster() as cluster:
        with distributed.Client(cluster) as client:
            client.register_plugin(CrashOn("crash.png"))
        code, stderr = run_cli(str(subset), "--out", str(tmp_path / "out"), "--scheduler",
                               cluster.scheduler_address, "--no-entities", "--no-progress")
    assert code == 1, stderr
    assert "3 documents: 2 written, 0 already done, 1 failed" in stderr
    (entry,) = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert entry["file"] == "crash.png" and "Dask workers died" in entry["message"]


def test_scheduler_local_and_an_unreachable_scheduler(inputs, tmp_path):
    one = inputs / "digital.pdf"
    assert run_cli(str(one), "--out", str(tmp_path / "inline"), "--jobs", "1", "--no-entities", "--no-progress")[0] == 0
    code, stderr = run_cli(str(one), "--out", str(tmp_path / "local"), "--scheduler", "local", "--jobs", "1",
                           "--no-entities", "--no-progress")
    assert code == 0, stderr
    inline, local = (export.record_paths(tmp_path / d) for d in ("inline", "local"))
    assert [p.read_bytes() for p in inline] == [p.read_bytes() for p in local] and len(local) == 1
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, stderr = run_cli(str(one), "--out", str(tmp_path / "none"), "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in stderr
    assert cli.main(["run", str(one), "--scheduler", "127.0.0.1:8786"]) == 2  # no scheme
