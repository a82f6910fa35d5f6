"""A careless operator and a hostile machine against `testimony run`: a killed or terminated run
leaves no worker behind, a wrong --out is a usage error, a full disk stops the run cleanly and
leaves errors.jsonl whole, and the re-run completes."""

from __future__ import annotations

import errno
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

from pipeline import cli, export
from pipeline.errors import ExitCode
from tests import samples

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        code = cli.main(["run", *args])
    return code, stderr.getvalue()


def make_scans(root: Path, count: int = 12) -> Path:
    root.mkdir(parents=True)
    for i in range(1, count + 1):
        samples.save_png(root / f"card_{i:02d}.png", [f"Учётная карточка № {i}", *samples.RU_LINES[1:]])
    return root


def live_processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every live (not zombie) process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


def processes_in_group(pgid: int) -> list[int]:
    return [pid for pid, _, group in live_processes() if group == pgid]


def children_of(parent: int) -> list[int]:
    return [pid for pid, ppid, _ in live_processes() if ppid == parent]


def start_run(scans: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline", "run", str(scans), "--out", str(out), "--jobs", "2",
               "--no-entities", "--no-progress"]
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_for_workers(proc: subprocess.Popen, out: Path) -> list[int]:
    """The run's worker processes, once they have written a record (so they are past start-up)."""
    deadline = time.monotonic() + 240
    while not export.record_paths(out) or len(children_of(proc.pid)) < 2:
        assert proc.poll() is None, f"the run ended too early: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, "no record written in time"
        time.sleep(0.05)
    return children_of(proc.pid)


def wait_until_gone(pgid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while processes_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return processes_in_group(pgid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_workers_end_when_the_main_process_is_killed(tmp_path):
    scans = make_scans(tmp_path / "in")
    proc = start_run(scans, tmp_path / "out")
    try:
        workers = wait_for_workers(proc, tmp_path / "out")
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the main process alone, as `kill -9 PID` does
        proc.wait()
        left = wait_until_gone(proc.pid, 10)  # workers, and any tesseract they had started
    finally:
        proc.stderr.close()
        for pid in processes_in_group(proc.pid):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"processes outlived the killed run: {left}"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_sigterm_ends_the_run_like_ctrl_c_and_a_rerun_completes(tmp_path):
    scans = make_scans(tmp_path / "in")
    out = tmp_path / "out"
    proc = start_run(scans, out)
    try:
        wait_for_workers(proc, out)
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=60)
        stderr = proc.stderr.read().decode()
        left = wait_until_gone(proc.pid, 10)
    finally:
        proc.stderr.close()
        for pid in processes_in_group(proc.pid):
            os.kill(pid, signal.SIGKILL)
    assert code == ExitCode.interrupted, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert left == []
    done = len(export.record_paths(out))
    assert done < 12, "the run was not stopped in the middle"
    code, stderr = run_cli(str(scans), "--out", str(out), "--jobs", "1", "--no-entities", "--no-progress")
    assert code == ExitCode.ok, stderr
    assert len(export.record_paths(out)) == 12


# -- operator mistakes ------------------------------------------------------------

def assert_one_clear_line(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("testimony: error: ") and "Traceback" not in stderr
    for word in words:
        assert word in lines[0], stderr


@pytest.fixture
def scans(tmp_path) -> Path:
    return make_scans(tmp_path / "in", count=1)


def test_out_naming_an_existing_file_is_a_usage_error(scans, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    code, stderr = run_cli(str(scans), "--out", str(target), "--no-progress")
    assert code == ExitCode.usage
    assert_one_clear_line(stderr, str(target), "is a file, not a folder")
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write to, root included: a read-only tmpfs where we may mount one,
    else (not root) a folder without write permission."""
    path = tmp_path / "ro"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    yield path
    subprocess.run(["umount", str(path)], check=True)


@pytest.mark.parametrize("where", ["the folder", "a new subfolder of it"])
def test_a_read_only_out_is_a_usage_error(scans, read_only_dir, where):
    out = read_only_dir if where == "the folder" else read_only_dir / "new" / "out"
    code, stderr = run_cli(str(scans), "--out", str(out), "--no-progress")
    assert code == ExitCode.usage
    assert_one_clear_line(stderr, str(out), "cannot write")


# -- a full disk ---------------------------------------------------------------------

def test_a_line_cut_short_by_a_full_disk_is_undone(tmp_path, monkeypatch):
    log = export.ErrorLog(tmp_path, run_id="r1")
    log.record("first.pdf", ValueError("first"))
    size = log.path.stat().st_size
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 40:
            return real_write(fd, data[:40])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        log.record("second.pdf", ValueError("second " * 20))
    monkeypatch.undo()
    assert log.path.stat().st_size == size
    log.record("third.pdf", ValueError("third"))
    assert [json.loads(line)["file"] for line in log.path.read_text().splitlines()] == ["first.pdf", "third.pdf"]


def test_a_torn_last_line_is_cut_off_when_the_log_is_opened(tmp_path):
    whole = json.dumps({"file": "a.pdf", "level": "error"}) + "\n"
    (tmp_path / export.ERRORS_FILE).write_text(whole + '{"file": "b.pdf", "lev', encoding="utf-8")
    export.ErrorLog(tmp_path, run_id="r2").record("c.pdf", ValueError("c"))
    lines = (tmp_path / export.ERRORS_FILE).read_text().splitlines()
    assert [json.loads(line)["file"] for line in lines] == ["a.pdf", "c.pdf"]


@pytest.fixture
def small_disk(tmp_path):
    """A 512 KB file system (tmpfs), so that a batch fills it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    path = tmp_path / "disk"
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield path
    subprocess.run(["umount", str(path)], check=True)


def make_batch(root: Path, count: int) -> Path:
    """`count` born-digital PDFs with long pages (records of ~10 KB) and as many broken files."""
    root.mkdir()
    for i in range(count):
        paragraphs = [f"Справка № {i}. " + " ".join(samples.RU_LINES) * 12]
        samples.save_text_pdf(root / f"doc_{i:02d}.pdf", [paragraphs])
        (root / f"doc_{i:02d}_broken.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00" * 50 + f"{i}".encode())
    return root


def test_a_full_disk_stops_the_run_cleanly_and_a_rerun_completes(tmp_path, small_disk):
    inputs = make_batch(tmp_path / "in", count=40)
    filler = small_disk / "filler.bin"
    filler.write_bytes(b"\0" * (352 * 1024))  # leave about 160 KB: room for a dozen records
    out = small_disk / "out"
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "1", "--no-entities", "--no-progress")
    assert code == ExitCode.output_failed, stderr
    assert "No space left on device" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    written = export.record_paths(out)
    assert 0 < len(written) < 40
    for line in (out / export.ERRORS_FILE).read_bytes().decode("utf-8").splitlines():
        json.loads(line)  # every line whole
    for path in written:
        assert export.contract_problems(json.loads(path.read_text(encoding="utf-8"))) == []

    filler.unlink()
    code, stderr = run_cli(str(inputs), "--out", str(out), "--jobs", "1", "--no-entities", "--no-progress")
    assert code == ExitCode.documents_failed, stderr  # the broken files, and nothing else
    assert len(export.record_paths(out)) == 40
    failed = [json.loads(line) for line in (out / export.ERRORS_FILE).read_text(encoding="utf-8").splitlines()]
    assert {entry["file"] for entry in failed if entry["level"] == "error"} == {
        f"doc_{i:02d}_broken.pdf" for i in range(40)
    }


@pytest.mark.parametrize("args, words", [
    (["--jobs", "100000"], ["--jobs 100000 is more than this machine can use", "use at most"]),
    (["--out", ""], ["--out needs a folder name"]),
])
def test_a_jobs_count_past_the_machine_and_an_empty_out_are_usage_errors(scans, tmp_path, capsys, args, words):
    arguments = [str(scans), *args] if "--out" in args else [str(scans), "--out", str(tmp_path / "out"), *args]
    code, stderr = run_cli(*arguments, "--no-progress")
    assert code == ExitCode.usage
    error = stderr.strip().splitlines()[-1]
    assert error.startswith("testimony run: error: ") and all(word in error for word in words), stderr
    assert not (tmp_path / "out").exists() and not list(Path.cwd().glob("*.json"))


def test_an_empty_folder_is_said_so(tmp_path):
    (tmp_path / "scans" / "opis_1").mkdir(parents=True)
    code, stderr = run_cli(str(tmp_path / "scans"), "--out", str(tmp_path / "out"), "--no-progress")
    assert code == ExitCode.ok
    assert f"warning: {tmp_path / 'scans'} holds no files to read" in stderr


def test_index_and_export_into_a_read_only_folder_say_so_in_one_line(scans, tmp_path, read_only_dir, capsys):
    out = tmp_path / "out"
    assert run_cli(str(scans), "--out", str(out), "--no-progress", "--jobs", "1")[0] == ExitCode.ok
    capsys.readouterr()
    assert cli.main(["index", str(read_only_dir)]) == ExitCode.output_failed
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot write" in lines[0] and "persons.jsonl" in lines[0]
    target = read_only_dir / "persons.csv"
    assert cli.main(["export", str(out), "--format", "csv", "--out", str(target)]) == ExitCode.output_failed
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and f"cannot write {target}:" in lines[0], lines
