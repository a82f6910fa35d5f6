"""Resuming: a run killed with SIGKILL in the middle, started again, ends with every record complete."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from pipeline import __version__, cli, export
from tests import samples

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = 14  # 13 one-page scans and a 3-page TIFF


def run_cli(*args: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        code = cli.main(["run", *args])
    return code, stderr.getvalue()


def make_scans(root: Path) -> Path:
    root.mkdir()
    for i in range(1, DOCUMENTS):
        samples.save_png(root / f"card_{i:02d}.png", [f"Учётная карточка № {i}", *samples.RU_LINES[1:]])
    samples.save_tiff(root / "file.tif", [samples.RU_LINES, samples.KK_LINES, [f"Лист {DOCUMENTS}", "Конец дела."]])
    return root


def check_records(out: Path) -> list[dict]:
    """Every record in `out` parses and meets the contract; no two are of the same document."""
    records = [json.loads(path.read_text(encoding="utf-8")) for path in export.record_paths(out)]
    for record in records:
        assert export.contract_problems(record) == [], record["document"]["source"]
    assert len({r["document"]["source"] for r in records}) == len({r["document"]["id"] for r in records}) == len(records)
    return records


def test_a_run_killed_with_sigkill_resumes_to_a_complete_output(tmp_path):
    scans = make_scans(tmp_path / "in")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline", "run", str(scans), "--out", str(out), "--jobs", "2",
               "--no-entities", "--no-progress"]
    # its own process group, so that the kill takes the workers and their tesseracts too
    proc = subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while len(export.record_paths(out)) < 2:
            assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no record written in time"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    done = len(export.record_paths(out))
    assert 2 <= done < DOCUMENTS, "the run was not killed in the middle"
    check_records(out)  # what was there at the kill is whole
    for _ in range(100):  # the workers go with their parent's group
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("worker processes survived the kill")
    assert not (out / "run.json").exists()  # a killed run has no summary

    # What a kill between writing and renaming leaves (this one from the killed process), and a
    # temp file of another machine's run that may still be writing: the first goes, the second stays.
    record_id = json.loads(export.record_paths(out)[0].read_text(encoding="utf-8"))["document"]["id"]
    leftover = out / f".{record_id}.json.{export._host_tag()}-{proc.pid}.k2x9q0ab.tmp"
    leftover.write_text('{"schema": "testimony-rec')
    foreign = out / f".{record_id}.json.another-machine-4242.zz81mm0q.tmp"
    foreign.write_text('{"schema": "testimony-rec')

    code, stderr = run_cli(str(scans), "--out", str(out), "--jobs", "2", "--no-entities", "--no-progress")
    assert code == 0, stderr
    assert f"{DOCUMENTS} documents: {DOCUMENTS - done} written, {done} already done, 0 failed" in stderr
    records = check_records(out)
    assert len(records) == DOCUMENTS
    assert sorted(r["document"]["source"] for r in records) == sorted(p.name for p in scans.iterdir())
    assert not leftover.exists() and foreign.exists()
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == [foreign.name]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [export.RUN_FILE] + [f"{r['document']['id']}.json" for r in records])
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (summary["written"], summary["skipped"], summary["status"]) == (DOCUMENTS - done, done, "complete")

    # A record written by another pipeline version is redone; the others are kept.
    old = export.record_paths(out)[0]
    record = json.loads(old.read_text(encoding="utf-8"))
    record["document"]["pipeline_version"] = "0.1.0"
    old.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    code, stderr = run_cli(str(scans), "--out", str(out), "--jobs", "2", "--no-entities", "--no-progress")
    assert code == 0 and f"1 written, {DOCUMENTS - 1} already done" in stderr, stderr
    assert json.loads(old.read_text(encoding="utf-8"))["document"]["pipeline_version"] == __version__


def test_stale_temp_files_are_removed_only_when_their_writer_is_gone(tmp_path):
    host = export._host_tag()
    mine = tmp_path / f".0123456789abcdef.json.{host}-{os.getpid()}.aaaa1111.tmp"  # a writer still running
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = tmp_path / f".0123456789abcdef.json.{host}-{dead.pid}.bbbb2222.tmp"
    old_foreign = tmp_path / ".0123456789abcdef.json.other-host-77.cccc3333.tmp"
    unrelated = tmp_path / ".notes.tmp"
    for path in (mine, gone, old_foreign, unrelated):
        path.write_text("{")
    hour_ago = time.time() - export.FOREIGN_TEMP_AGE_S - 60
    os.utime(old_foreign, (hour_ago, hour_ago))
    assert sorted(export.remove_stale_temp_files(tmp_path)) == sorted([gone, old_foreign])
    assert mine.exists() and unrelated.exists()


def test_records_are_written_with_the_usual_permissions(tmp_path):
    export.write_json_atomic(tmp_path / "run.json", {"a": 1})
    assert (tmp_path / "run.json").stat().st_mode & 0o777 == export.FILE_MODE
    assert export.record_paths(tmp_path) == []


def test_ctrl_c_keeps_finished_records_and_says_so_in_run_json(tmp_path, monkeypatch):
    from pipeline import ingest

    scans = tmp_path / "in"
    scans.mkdir()
    for name in ("a.png", "b.png"):
        samples.save_png(scans / name, [f"Карточка {name}", *samples.RU_LINES[1:]])
    load_page = ingest.load_page

    def interrupted(src, number, *args, **kwargs):
        if src.source == "b.png":
            raise KeyboardInterrupt
        return load_page(src, number, *args, **kwargs)

    monkeypatch.setattr(ingest, "load_page", interrupted)
    out = tmp_path / "out"
    code, stderr = run_cli(str(scans), "--out", str(out), "--jobs", "1", "--no-entities", "--no-progress")
    assert code == 130 and "run the same command again to continue" in stderr
    assert [r["document"]["source"] for r in check_records(out)] == ["a.png"]
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (summary["status"], summary["written"], summary["pages"]) == ("interrupted", 1, 1)
