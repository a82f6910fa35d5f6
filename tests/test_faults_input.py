"""Inputs a careless or hostile batch holds, through `testimony run`: names that are not UTF-8,
small files that ask for gigabytes of pixels, pipes and devices, files that vanish, PDFs
with no pages, pages too small, blank or black. Each is read or reported in words (file,
what is wrong, what to do), never silently skipped, and a good document beside it is written.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pipeline import export, ingest
from pipeline.cli import main
from tests import samples

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *inputs, out: Path, extra=()) -> tuple[int, str]:
    code = main(["run", *map(str, inputs), "--out", str(out), "--jobs", "1", "--no-progress", "--no-entities", *extra])
    return code, capsys.readouterr().err


def records(out: Path) -> dict[str, dict]:
    """The written records by their source."""
    found = {}
    for path in export.record_paths(out):
        record = json.loads(path.read_text(encoding="utf-8"))
        found[record["document"]["source"]] = record
    return found


def log_lines(out: Path) -> list[dict]:
    path = out / "errors.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def good_pdf(path: Path, words: str = "Ковалёва Анна Ивановна") -> Path:
    return samples.save_text_pdf(path, [[f"Справка. Гражданка {words}, 1901 года рождения, реабилитирована."]])


def bytes_path(folder: Path, *names: bytes) -> Path:
    """A path whose last parts are raw bytes (a name that is not UTF-8), as Python shows it."""
    return Path(os.fsdecode(os.path.join(os.fsencode(folder), *names)))


# -- names that are not UTF-8 --------------------------------------------------------------------
NAMES = {
    "протокол допроса.pdf": "cp1251",  # a Windows share
    "справка.pdf": "cp866",  # a zip made on DOS or an old Windows
    "déclaration.pdf": "cp1252",
}


def test_names_that_are_not_utf8_are_read_recorded_and_resumed(tmp_path, capsys):
    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    good_pdf(scans / "good.pdf", "Сидорова Мария")
    for index, (name, encoding) in enumerate(NAMES.items()):
        good_pdf(bytes_path(scans, name.encode(encoding)), f"Иванова Анна {index}")
    folder = bytes_path(scans, "дело 7".encode("cp1251"))
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 cut short")
    good_pdf(folder / "лист.pdf", "Петрова Ольга")  # a UTF-8 name in a cp1251 folder

    code, err = run(capsys, scans, out=out)

    assert code == 1  # the broken one
    written = records(out)
    for name, encoding in NAMES.items():
        document = written[name]["document"]
        assert document["source_encoding"] == encoding
        assert (scans / os.fsdecode(document["source"].encode(encoding))).is_file()  # the transcoding is reversible
    assert "source_encoding" not in written["good.pdf"]["document"]  # UTF-8 names: as before
    (error,) = [line for line in log_lines(out) if line["level"] == "error"]
    assert error["file"] == "дело 7/broken.pdf" and "truncated" in error["message"]
    assert "дело 7/broken.pdf: the PDF is truncated" in err
    # the whole path is read in one code page: the UTF-8 name in that folder comes out as cp1251 reads it
    odd = [source for source in written if source.startswith("дело 7/")]
    assert len(odd) == 1 and written[odd[0]]["document"]["source_encoding"] == "cp1251"
    assert os.fsdecode(odd[0].encode("cp1251")) == os.path.relpath(folder / "лист.pdf", scans)
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["written"] == 5

    code, err = run(capsys, scans, out=out)  # a re-run skips what is done and retries the broken one
    assert code == 1
    again = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (again["written"], again["skipped"], again["failed"]) == (0, 5, 1)


def test_a_file_named_on_the_command_line_in_a_folder_that_is_not_utf8(tmp_path, capsys):
    folder = bytes_path(tmp_path, "архив".encode("cp866"))
    folder.mkdir()
    path = good_pdf(bytes_path(folder, "карта 12.pdf".encode("cp866")))
    out = tmp_path / "out"
    code, err = run(capsys, path, out=out)
    assert code == 0, err
    (record,) = records(out).values()
    assert (record["document"]["source"], record["document"]["source_encoding"]) == ("карта 12.pdf", "cp866")
    run_json = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run_json["inputs"] == [str(tmp_path / "архив" / "карта 12.pdf")]


# -- memory bombs ----------------------------------------------------------------------------------
def test_small_files_asking_for_gigabytes_stay_within_the_pixel_budget(tmp_path):
    """A 20000 pt PDF page (6.9 GB at 300 DPI after rescaling) and a 6000 px PNG that says 100 DPI
    (2 GB at 300 DPI) are read within the budget, with warnings; the run's memory stays far below."""
    from fpdf import FPDF

    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    pdf = FPDF(unit="pt", format=(20000, 20000))
    pdf.add_page()
    pdf.output(str(scans / "poster.pdf"))
    Image.new("L", (6000, 6000), 255).save(scans / "big.png", dpi=(100, 100), optimize=True)
    assert (scans / "poster.pdf").stat().st_size < 2000 and (scans / "big.png").stat().st_size < 100_000
    good_pdf(scans / "good.pdf")
    script = (
        "import resource, sys\n"
        "from pipeline.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, "run", str(scans), "--out", str(out), "--jobs", "1", "--no-progress",
         "--no-entities"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    peak_mb = max(int(kb) for kb in proc.stdout.split()) / 1024
    assert peak_mb < 1200, peak_mb  # the two bombs would have asked 6900 MB and 2000 MB
    written = records(out)
    assert set(written) == {"poster.pdf", "big.png", "good.pdf"}
    poster, big = written["poster.pdf"], written["big.png"]
    assert poster["pages"][0]["width"] * poster["pages"][0]["height"] <= 120_000_000
    assert big["pages"][0]["width"] * big["pages"][0]["height"] <= 120_000_000
    assert any("rendered at 39 DPI instead of 300" in w for w in poster["document"]["warnings"])
    assert any("read at 182 DPI instead of 300" in w and "120 megapixels" in w for w in big["document"]["warnings"])
    warned = {(line["file"], line["message"]) for line in log_lines(out) if line["level"] == "warning"}
    assert ("big.png", "big.png: page 1 is blank: no text found.") in warned


def test_an_image_over_the_budget_is_an_error_with_what_to_do(tmp_path, capsys):
    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    samples.save_bomb_png(scans / "bomb.png")  # 144 megapixels decoded
    good_pdf(scans / "good.pdf")
    code, err = run(capsys, scans, out=out)
    assert code == 1
    (error,) = log_lines(out)
    assert error["error"] == "ImageTooLarge" and error["file"] == "bomb.png"
    assert "300-400 DPI" in error["hint"] and "split the page" in error["hint"]
    assert set(records(out)) == {"good.pdf"}


# -- pipes, devices, vanished files ----------------------------------------------------------------
@pytest.fixture
def no_hang():
    """Fail instead of hanging forever when something opens a pipe with no writer."""
    def fail(*_):
        raise AssertionError("the run blocked (it opened a named pipe?)")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_a_named_pipe_on_the_command_line_is_an_error_and_never_opened(tmp_path, capsys, no_hang):
    fifo = tmp_path / "scan.pdf"
    os.mkfifo(fifo)
    good = good_pdf(tmp_path / "good.pdf")
    out = tmp_path / "out"
    code, err = run(capsys, fifo, good, out=out)
    assert code == 1
    (error,) = log_lines(out)
    assert error["error"] == "NotARegularFile" and error["file"] == "scan.pdf"
    assert error["message"] == "scan.pdf: a named pipe (FIFO), not a file; skipped, nothing was read from it."
    assert "Only regular files are read" in error["hint"]
    assert "scan.pdf: a named pipe (FIFO), not a file" in err
    assert set(records(out)) == {"good.pdf"}


def test_pipes_and_devices_in_a_folder_are_named_for_what_they_are(tmp_path, capsys, no_hang):
    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    os.mkfifo(scans / "pipe.png")
    (scans / "zero.pdf").symlink_to("/dev/zero")
    (scans / "gone.pdf").symlink_to(scans / "nowhere.pdf")
    good_pdf(scans / "good.pdf")
    code, err = run(capsys, scans, out=out)
    assert code == 1
    messages = {line["file"]: line["message"] for line in log_lines(out)}
    assert messages["pipe.png"] == "pipe.png: a named pipe (FIFO), not a file; skipped, nothing was read from it."
    assert messages["zero.pdf"].startswith("zero.pdf: a device (character special file), not a file; skipped")
    assert "does not exist" in messages["gone.pdf"]
    assert not any("empty" in message for message in messages.values())
    assert set(records(out)) == {"good.pdf"}


@pytest.mark.parametrize("stage", ["inspect", "load_page"])
def test_a_file_that_vanishes_while_the_batch_runs_is_said_so(tmp_path, capsys, monkeypatch, stage):
    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    samples.save_png(scans / "card.png")
    good_pdf(scans / "good.pdf")
    original = getattr(ingest, stage)

    def moved_away(src, *args):
        if src.source == "card.png":
            src.path.unlink(missing_ok=True)
        return original(src, *args)

    monkeypatch.setattr(ingest, stage, moved_away)
    code, err = run(capsys, scans, out=out)
    assert code == 1
    (error,) = log_lines(out)
    assert error["error"] == "FileVanished"
    assert error["message"] == "card.png: disappeared while the batch ran (moved or deleted?)."
    assert "damaged" not in err and "card.png: disappeared while the batch ran" in err
    assert set(records(out)) == {"good.pdf"}


# -- empty PDFs, tiny, blank and black pages ---------------------------------------------------------
def test_a_pdf_with_no_pages_says_so(tmp_path, capsys):
    import pypdfium2 as pdfium

    empty = pdfium.PdfDocument.new()
    empty.save(tmp_path / "empty.pdf")
    empty.close()
    good = good_pdf(tmp_path / "good.pdf")
    out = tmp_path / "out"
    code, err = run(capsys, tmp_path / "empty.pdf", good, out=out)
    assert code == 1
    (error,) = log_lines(out)
    assert error["message"] == "empty.pdf: the PDF has no pages."
    assert "Success" not in err and "empty.pdf: the PDF has no pages." in err
    assert set(records(out)) == {"good.pdf"}


def test_a_one_pixel_image_is_an_empty_page_with_a_warning_naming_the_file(tmp_path, capsys):
    scans, out = tmp_path / "scans", tmp_path / "out"
    scans.mkdir()
    Image.new("L", (1, 1), 0).save(scans / "dot.png")
    Image.new("RGB", (1, 1), (200, 10, 10)).save(scans / "red.jpg")
    good_pdf(scans / "good.pdf")
    code, err = run(capsys, scans, out=out)
    assert code == 0, err
    written = records(out)
    assert written["dot.png"]["pages"][0]["text"] == ""
    assert written["dot.png"]["document"]["warnings"] == ["dot.png: page 1 is too small to read (1x1 pixels): its text is empty."]
    assert "warning: red.jpg: page 1 is too small to read (1x1 pixels)" in err
    assert "tesseract" not in err.lower() and "scale" not in err


def test_blank_black_and_tiny_pages_are_written_with_warnings(tmp_path, capsys):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("sans", fname=samples.SANS)
    pdf.set_font("sans", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Справка. Гражданка Ковалёва Анна Ивановна, 1901 года рождения, реабилитирована.")
    pdf.add_page()  # blank
    pdf.add_page()
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")  # all black
    pdf.add_page(format=(0.36, 0.36))  # 1 pt square
    path = tmp_path / "case.pdf"
    pdf.output(str(path))
    out = tmp_path / "out"
    code, err = run(capsys, path, out=out)
    assert code == 0, err
    (record,) = records(out).values()
    assert [page["text"] == "" for page in record["pages"]] == [False, True, True, True]
    blank, black, tiny = record["document"]["warnings"]
    assert (blank, black) == ("case.pdf: page 2 is blank: no text found.", "case.pdf: page 3 is all black: no text found.")
    assert tiny.startswith("case.pdf: page 4 is too small to read (") and tiny.endswith(" pixels): its text is empty.")
    warned = [line for line in log_lines(out) if line["level"] == "warning"]
    assert [line["message"] for line in warned] == record["document"]["warnings"]
    assert [line["page"] for line in warned] == [2, 3, 4]
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["warnings"] == 3
    assert "3 warnings" in err


def test_links_to_folders_are_followed_once_and_loops_end(tmp_path):
    scans = tmp_path / "scans"
    (scans / "fond_1").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere" / "opis_2"
    elsewhere.mkdir(parents=True)
    samples.save_png(scans / "fond_1" / "card.png", samples.RU_LINES)
    samples.save_png(elsewhere / "letter.png", ["Письмо", "Дорогая мама"])
    (scans / "opis_2").symlink_to(elsewhere, target_is_directory=True)  # a folder kept on another disk
    (scans / "fond_1" / "up").symlink_to(scans, target_is_directory=True)  # a loop
    (scans / "again").symlink_to(scans / "fond_1", target_is_directory=True)  # the same folder twice
    found = [src.source for src in ingest.discover([scans])]
    assert sorted(found) == ["fond_1/card.png", "opis_2/letter.png"]


def test_the_review_page_finds_the_scan_of_a_name_that_is_not_utf8(tmp_path, capsys):
    from pipeline.review.images import PageImages

    scans, out = tmp_path / "scans", tmp_path / "out"
    folder = bytes_path(scans, "фонд 3".encode("cp866"))
    folder.mkdir(parents=True)
    samples.save_png(bytes_path(folder, "карточка Петровой.png".encode("cp1251")), samples.RU_LINES)
    assert run(capsys, scans, out=out)[0] == 0
    (record,) = records(out).values()
    assert record["document"]["source_encoding"] in ("cp866", "cp1251")
    for images in (PageImages(out), PageImages(out, inputs=[scans])):  # the inputs of run.json, or named
        assert images.png(record, 1) is not None
