"""Batch: run the stages over many files, page by page, in parallel.

The unit of work is a page, so one long PDF keeps every core busy. The
pages of a PDF go out in runs (`page_runs`): a worker reads the run's text
layers together, finds their entities in one model call per language, and
hands back the pages that need OCR, which then go out one by one. Tasks are
handed out through a bounded window (memory stays flat however large the
batch), a document is written the moment its last page is done, and a file
that fails becomes an error record while the others go on.

Where pages are read is a `PageExecutor`: in this process (`--jobs 1`),
worker processes on this machine (`LocalPool`), or the workers of a Dask
cluster (`DaskPool`, `--scheduler`). Whichever it is, documents are put
together and written here, in the process that runs the batch, so the
output does not depend on it. At the end the run's summary goes to stderr
and to OUT/run.json.
"""

from __future__ import annotations

import datetime as _dt
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Optional, TextIO

from pipeline import __version__, export, imaging, ingest, language, lifeline, ocr
from pipeline.filenames import printable
from pipeline.errors import ExitCode, InputError, OutputError, TestimonyError, UsageError
from pipeline.ingest import SourceFile
from pipeline.model import Document, DocumentInfo, LanguageSpan, Page

LANG_CHOICES = ("auto", "ru", "kk")
# Text-layer pages a worker reads together: one model call for ten pages costs about
# half of ten calls of one (bench/page_stages.py), and a run is still short enough
# that a 300-page PDF is shared among many workers.
RUN_PAGES = 10


@dataclass(frozen=True)
class PageOptions:
    """What a worker needs to know to read a page (picklable, small)."""

    lang: str = "auto"  # "auto" or the language every document is known to be in
    candidates: tuple[str, ...] = language.DEFAULT_CANDIDATES
    entities: bool = True  # False: text and languages only (faster, no NER models loaded)


@dataclass
class RunOptions:
    out_dir: Path = Path("outputs")
    lang: str = "auto"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    candidates: tuple[str, ...] = language.DEFAULT_CANDIDATES
    progress: Optional[bool] = None  # None: show a bar when stderr is a terminal
    entities: bool = True
    scheduler: Optional[str] = None  # None: this machine; "local": a Dask LocalCluster; "tcp://HOST:PORT"

    def page_options(self) -> PageOptions:
        return PageOptions(lang=self.lang, candidates=tuple(self.candidates), entities=self.entities)


@dataclass
class RunSummary:
    documents: int = 0
    written: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    ocr_pages: int = 0
    text_layer_pages: int = 0
    warnings: int = 0
    entities: int = 0  # in the documents written
    persons: int = 0
    ignored: list[str] = field(default_factory=list)  # notes and metadata found beside the scans
    failures: list[dict] = field(default_factory=list)  # one per failed document: file, id, page, error, message
    seconds: float = 0.0
    started: str = ""  # ISO 8601, local time with offset
    finished: str = ""
    status: str = "complete"  # "interrupted" (Ctrl-C), "failed" (the run could not go on)
    outputs: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.documents_failed if self.failed else ExitCode.ok

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        rate = self.pages_per_second
        return (
            f"{self.documents} documents: {self.written} written, {self.skipped} already done, "
            f"{self.failed} failed; {self.pages} pages ({self.ocr_pages} OCR, {self.text_layer_pages} text layer) "
            f"in {self.seconds:.1f} s ({rate:.2f} pages/s); {self.entities} entities, {self.persons} persons"
            + (f"; {self.warnings} warnings" if self.warnings else "")
            + (f"; ignored {len(self.ignored)} notes/metadata files ({', '.join(self.ignored[:3])}"
               f"{', ...' if len(self.ignored) > 3 else ''})" if self.ignored else "")
        )

    def to_dict(self, options: RunOptions, inputs: Iterable[Path] = ()) -> dict:
        """What OUT/run.json holds."""
        return {
            "schema": "testimony-run/1",
            "pipeline_version": __version__,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "inputs": [printable(path) for path in inputs],  # a name that is not UTF-8 as filenames.py shows it
            "options": {
                "out": printable(options.out_dir),
                "lang": options.lang,
                "candidates": list(options.candidates),
                "jobs": options.jobs,
                "scheduler": options.scheduler,
                "force": options.force,
                "entities": options.entities,
            },
            "documents": self.documents,
            "written": self.written,
            "skipped": self.skipped,
            "failed": self.failed,
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "text_layer_pages": self.text_layer_pages,
            "pages_per_second": round(self.pages_per_second, 3),
            "entities": self.entities,
            "persons": self.persons,
            "warnings": self.warnings,
            "failures": list(self.failures),
            "ignored": list(self.ignored),
        }


class PageReader:
    """Reads pages: ingest -> clean -> OCR (or the text layer) -> language tags.

    One per worker process, so the language profiles load once per worker,
    not once per page.
    """

    def __init__(self, options: PageOptions):
        self.options = options
        self.tagger = language.LanguageTagger(candidates=options.candidates) if options.lang == "auto" else None
        self.extra_languages = tuple(c for c in options.candidates if c not in language.DEFAULT_CANDIDATES)
        self.extractor = None
        if options.entities:
            from pipeline.entities import EntityExtractor  # spaCy is slow to import: only when used

            self.extractor = EntityExtractor()

    def read(self, src: SourceFile, number: int) -> tuple[Page, list[str]]:
        """The page and its warnings (a page rendered smaller, a blank page: the record is written)."""
        content = ingest.load_page(src, number)
        warnings = list(content.warnings)
        if content.text is not None:
            page = Page(number=number, method="text-layer", text=content.text)
        else:
            try:
                page = self._ocr(src, number, content, warnings)
            except TestimonyError as error:
                if error.message.startswith(src.source):
                    raise
                # imaging and ocr do not know the file: the message must name it
                raise type(error)(f"{src.source}: page {number}: {error.message}", hint=error.hint) from error
        page.language_spans = self.tag(page.text)
        if self.extractor is not None:
            page.entities = self.extractor.extract(page)
        return page, warnings

    def _ocr(self, src: SourceFile, number: int, content: ingest.PageContent, warnings: list[str]) -> Page:
        prepared = imaging.prepare_page(content.image, content.dpi)
        content.image = None  # the cleaned copy is all OCR needs: free the page's pixels
        where = f"{src.source}: page {number}"
        if prepared.dpi < prepared.wanted_dpi and src.format != "pdf":  # a PDF page says so when rendered
            warnings.append(
                f"{where} is large for its {content.dpi} DPI; read at {prepared.dpi} DPI instead of "
                f"{prepared.wanted_dpi} to stay within the limit of {imaging.MAX_PAGE_PIXELS / 1e6:.0f} "
                "megapixels a page, so small print may not be read."
            )
        width, height = prepared.image.size
        if prepared.too_small or prepared.uniform is not None:
            if prepared.too_small:
                warnings.append(f"{where} is too small to read ({width}x{height} pixels): its text is empty.")
            else:
                colour = {0: "all black", 255: "blank"}.get(prepared.uniform, "one flat shade")
                warnings.append(f"{where} is {colour}: no text found.")
            return Page(number=number, method="ocr", text="", width=width, height=height, dpi=prepared.dpi)
        result = ocr.ocr_page(prepared.image, prepared.dpi, lang=self.options.lang,
                              extra_languages=self.extra_languages)
        if not result.text.strip():
            warnings.append(f"{where}: no text found (the page may be blank, or its writing too faint).")
        return Page(
            number=number,
            method="ocr",
            text=result.text,
            ocr_confidence=result.confidence,
            words=result.words,
            width=result.width,
            height=result.height,
            dpi=result.dpi,
            ocr_lang=result.model,
        )

    def read_text_pages(self, src: SourceFile, numbers: tuple[int, ...]) -> tuple[list[Page], list[int]]:
        """The pages of `numbers` that have a text layer, their entities found together; and the
        numbers of the others, which need OCR and are read one by one with `read`."""
        pages: list[Page] = []
        deferred: list[int] = []
        for number in numbers:
            content = ingest.load_text_page(src, number)
            if content is None:
                deferred.append(number)
                continue
            page = Page(number=number, method="text-layer", text=content.text)
            page.language_spans = self.tag(page.text)
            pages.append(page)
        if self.extractor is not None and pages:
            for page, entities in zip(pages, self.extractor.extract_pages(pages)):
                page.entities = entities
        return pages, deferred

    def tag(self, text: str) -> list[LanguageSpan]:
        if self.options.lang == "auto":
            return self.tagger.tag(text)
        return [LanguageSpan(0, len(text), self.options.lang, 1.0)] if text else []


# -- where pages are read -------------------------------------------------------
_local = threading.local()  # per worker thread (a worker process has one): its PageReader


def _reader_for(options: PageOptions) -> PageReader:
    """This thread's PageReader: models load on a worker's first page, not on every page."""
    reader = getattr(_local, "reader", None)
    if reader is None or reader.options != options:
        reader = _local.reader = PageReader(options)
    return reader


def _init_worker(options: PageOptions, parent_pid: int) -> None:
    """A pool worker's start: it ends with the run (even a `kill -9` of it), and takes SIGTERM's
    default action (the run's own SIGTERM handler, inherited through fork, is for the run)."""
    lifeline.die_with_parent(parent_pid)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _reader_for(options)  # the language profiles load here, each NER model with the first text in its language


@dataclass
class TaskResult:
    """What a worker hands back for a task: the pages read, with their warnings, and the
    numbers of the pages left to be read one by one (they need OCR)."""

    pages: list[tuple[Page, list[str]]]
    deferred: list[int] = field(default_factory=list)


def page_runs(src: SourceFile) -> list[tuple[int, ...]]:
    """How a document's pages go out as tasks: a PDF in runs of at most RUN_PAGES pages, of
    near-equal length (13 pages: 6 + 7); an image file page by page. It depends on the document alone, so the
    entities found (batched per run) are the same whatever --jobs is."""
    numbers = range(1, src.page_count + 1)
    if src.format != "pdf" or src.page_count == 1:
        return [(n,) for n in numbers]
    count = -(-src.page_count // RUN_PAGES)
    bounds = [round(k * src.page_count / count) for k in range(count + 1)]
    return [tuple(numbers[a:b]) for a, b in zip(bounds, bounds[1:])]


def _read_pages(options: PageOptions, src: SourceFile, numbers: tuple[int, ...]) -> TaskResult:
    reader = _reader_for(options)
    if len(numbers) == 1:
        result = TaskResult([reader.read(src, numbers[0])])
    else:
        pages, deferred = reader.read_text_pages(src, numbers)
        result = TaskResult([(page, []) for page in pages], deferred)
    for page, _ in result.pages:
        page.words = []  # not part of the JSON yet; keep the inter-process traffic small
    return result


def _read_pages_on_dask(options: PageOptions, version: str, src: SourceFile, numbers: tuple[int, ...]) -> TaskResult:
    if version != __version__:
        raise TestimonyError(
            f"the Dask worker on {socket.gethostname()} runs testimony {__version__}, this run {version}.",
            hint="Install the same version of testimony on every machine of the cluster and restart its workers.",
        )
    if not src.path.exists():
        raise InputError(
            f"{src.source}: {printable(src.path)} cannot be read on the Dask worker on {socket.gethostname()}.",
            hint="Every worker reads the inputs itself: put them on a folder shared by all machines and "
            "mounted at the same path everywhere (NFS, SMB, a cloud bucket mounted with FUSE).",
        )
    return _read_pages(options, src, numbers)


class PageExecutor:
    """Reads pages somewhere and hands back futures of `TaskResult`.

    `window` is how many tasks may be out at once; `is_lost` tells a worker
    dying under a task from the task's own error; `retries_lost`: a worker's
    death also fails tasks that were only waiting beside the one that killed
    it, so the batch reads each of their pages again alone, and fails only the
    page that kills a worker on its own."""

    retries_lost = False

    def __enter__(self) -> "PageExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def window(self) -> int:
        return 1

    def submit(self, src: SourceFile, numbers: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def wait(self, futures: Iterable[Any]) -> Iterable[Any]:
        """At least one finished future of `futures`."""
        return wait(list(futures), return_when=FIRST_COMPLETED).done

    def is_lost(self, error: BaseException) -> bool:
        return False

    def lost_error(self, src: SourceFile, number: int) -> TestimonyError:
        return TestimonyError(
            f"{src.source}: a worker process died while reading page {number}.",
            hint="The machine may have run out of memory (try fewer --jobs), or the file "
            "crashes a library: check it, or run it alone with --jobs 1.",
        )

    def close(self) -> None:
        pass

    def abort(self, futures: Iterable[Any]) -> None:
        """Stop at once, `futures` unread: the run was interrupted (Ctrl-C, SIGTERM) or stopped."""
        for future in futures:
            future.cancel()


class InlinePool(PageExecutor):
    """`--jobs 1`: pages are read in this process, one at a time, as they are submitted."""

    def __init__(self, options: PageOptions):
        self.options = options
        _reader_for(options)

    def submit(self, src: SourceFile, numbers: tuple[int, ...]) -> Future:
        future: Future = Future()
        try:
            future.set_result(_read_pages(self.options, src, numbers))
        except Exception as error:
            future.set_exception(error)
        return future


class LocalPool(PageExecutor):
    """Worker processes on this machine, each with its own models."""

    retries_lost = True

    def __init__(self, options: PageOptions, jobs: int):
        self.options = options
        self.jobs = jobs
        self._pool: Optional[ProcessPoolExecutor] = None

    @property
    def window(self) -> int:
        # Deep enough that workers keep busy while this process builds and writes a finished
        # document (a run of ten text-layer pages takes ~0.2 s, a 20-page document's records ~60 ms).
        return max(2, self.jobs * 4)

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, initializer=_init_worker, initargs=(self.options, os.getpid())
            )
        return self._pool

    def submit(self, src: SourceFile, numbers: tuple[int, ...]) -> Future:
        try:
            return self._start().submit(_read_pages, self.options, src, numbers)
        except BrokenProcessPool:
            # A worker killed by the system (out of memory, a crash in a native
            # library) breaks the whole pool, and every task it had out reports
            # it: the next task goes to a fresh pool.
            self._replace()
            return self._start().submit(_read_pages, self.options, src, numbers)

    def is_lost(self, error: BaseException) -> bool:
        return isinstance(error, BrokenProcessPool)

    def _replace(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self, futures: Iterable[Any]) -> None:
        """The workers stop mid-page. The futures are not cancelled: the pool marks them all
        broken when its workers go (and fails on a cancelled one, Python 3.11)."""
        if self._pool is None:
            return
        self._pool.shutdown(wait=False)
        self._pool = None
        workers = multiprocessing.active_children()  # this run's only children are the pool's workers
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.join(timeout=5)


class DaskPool(PageExecutor):
    """The workers of a Dask cluster: `tcp://HOST:PORT`, or "local" for a LocalCluster of `jobs` workers.

    Each worker thread loads the models once (on its first page) and keeps
    them; pages go out with absolute paths, which must be readable at the same
    place on every worker. Results come back here to be written.

    A worker that dies makes Dask read its pages again elsewhere; a page on
    which workers keep dying (`distributed.scheduler.allowed-failures`) comes
    back as KilledWorker, and so do the pages queued on the same workers: the
    batch reads them again alone to tell the culprit from the bystanders."""

    retries_lost = True

    def __init__(self, options: PageOptions, address: str, jobs: int, say=print):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency
            raise UsageError("--scheduler needs Dask: pip install 'dask[distributed]'.") from None
        self.options = options
        self.say = say
        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR,
            )
            address = self.cluster.scheduler_address
        try:
            self.client = Client(address, set_as_default=False)  # timeout: distributed.comm.timeouts.connect
        except (OSError, TimeoutError) as error:
            if self.cluster is not None:
                self.cluster.close()
            raise UsageError(
                f"cannot reach the Dask scheduler at {address} ({error}).",
                hint="Start it with `dask scheduler` and check the address, the port and the firewall.",
            ) from None
        self._slots, self._checked = 0, 0.0
        self._waiting_said = False

    @property
    def window(self) -> int:
        now = time.monotonic()
        if now - self._checked > 2.0:  # workers may join or leave during the run
            try:
                self._slots = sum(self.client.nthreads().values())
            except (OSError, TimeoutError) as error:
                raise _scheduler_lost() from error
            self._checked = now
            if not self._slots and not self._waiting_said:
                self.say(f"waiting for Dask workers to join {self.client.scheduler.address} ...")
                self._waiting_said = True
        return max(2, self._slots * 3)

    def submit(self, src: SourceFile, numbers: tuple[int, ...]) -> Any:
        src = replace(src, path=Path(os.path.abspath(src.path)))
        return self.client.submit(_read_pages_on_dask, self.options, __version__, src, numbers, pure=False)

    def wait(self, futures: Iterable[Any]) -> Iterable[Any]:
        from dask.distributed import wait as dask_wait

        try:
            with self.client.as_current():
                return dask_wait(list(futures), return_when="FIRST_COMPLETED").done
        except (OSError, TimeoutError, CancelledError) as error:
            raise _scheduler_lost() from error

    def is_lost(self, error: BaseException) -> bool:
        from distributed import KilledWorker

        if isinstance(error, CancelledError):  # the client gave up on the scheduler and cancelled every page
            raise _scheduler_lost() from error
        return isinstance(error, KilledWorker)

    def lost_error(self, src: SourceFile, number: int) -> TestimonyError:
        return TestimonyError(
            f"{src.source}: Dask workers died while reading page {number}, on every try.",
            hint="A worker may run out of memory (give workers more with --memory-limit, or fewer threads), "
            "or the file crashes a library: check it, or run it alone with --jobs 1.",
        )

    def close(self) -> None:
        try:
            self.client.close()
        except (OSError, TimeoutError):  # the scheduler is gone already
            pass
        if self.cluster is not None:
            self.cluster.close()


def _scheduler_lost() -> TestimonyError:
    return TestimonyError(
        "the connection to the Dask scheduler was lost.",
        hint="The records written so far are kept; start the scheduler and its workers again and run the same "
        "command to continue.",
    )


@dataclass
class _Pending:
    src: SourceFile
    pages: dict[int, Page] = field(default_factory=dict)
    failed: bool = False
    page_warnings: dict[int, list[str]] = field(default_factory=dict)  # for document.warnings, in page order


class BatchRunner:
    """One run over a set of inputs; writes outputs and the error log as it goes."""

    def __init__(self, options: RunOptions, stderr: Optional[TextIO] = None):
        self.options = options
        self.stderr = stderr if stderr is not None else sys.stderr
        self.out_dir = Path(options.out_dir)
        self.log = export.ErrorLog(self.out_dir, run_id=uuid.uuid4().hex[:12])
        self.summary = RunSummary()
        self.show_progress = self.stderr.isatty() if options.progress is None else options.progress
        self._bar = None
        self._records = None  # RecordBuilder, made on first use (it loads pymorphy3)

    # -- reporting ---------------------------------------------------------
    def _say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stderr)
        else:
            print(text, file=self.stderr, flush=True)

    def _fail(self, src: SourceFile, error: BaseException, page: Optional[int] = None) -> None:
        self.summary.failed += 1
        entry = self._logged(self.log.record, src.source, error, sha256=src.sha256 or None, page=page)
        self.summary.failures.append(
            {key: entry[key] for key in ("file", "id", "page", "stage", "error", "message", "hint")}
        )
        if not isinstance(error, TestimonyError):
            entry_hint = "This looks like a bug in the pipeline; please report it with the file."
            self._say(f"error: {src.source}: unexpected {type(error).__name__}: {error}. {entry_hint}")
            self._say("".join(traceback.format_exception(error)).rstrip())
        else:
            where = f" (page {page})" if page else ""
            self._say(f"error{where}: {error}")

    def _warn(self, src: SourceFile, message: str, stage: str = "ingest", page: Optional[int] = None) -> None:
        self.summary.warnings += 1
        self._logged(self.log.warn, src.source, message, sha256=src.sha256 or None, stage=stage, page=page)
        self._say(f"warning: {message}")

    def _logged(self, write, *args, **kwargs) -> dict:
        """An errors.jsonl line, or the run stops: a failure that cannot be recorded would be lost."""
        try:
            return write(*args, **kwargs)
        except OSError as error:
            raise export.folder_unavailable(self.log.path, error) from error

    # -- planning ----------------------------------------------------------
    def plan(self, inputs: Iterable[Path]) -> list[SourceFile]:
        """Inspect every input; keep those that need work, record those that cannot be read."""
        todo: list[SourceFile] = []
        seen: dict[str, str] = {}
        found = ingest.discover(inputs, exclude=[self.out_dir])
        self._say_empty_folders(inputs, found)
        for src in found:
            if ingest.is_sidecar(src):
                self.summary.ignored.append(src.source)
                continue
            self.summary.documents += 1
            try:
                ingest.inspect(src)
            except InputError as error:
                self._fail(src, error)
                continue
            except Exception as error:  # a library failing on odd input must not stop the batch
                self._fail(src, error)
                continue
            if src.id in seen:
                self.summary.skipped += 1
                self._say(f"note: {src.source} has the same content as {seen[src.id]}; its result is {src.id}.json")
                continue
            seen[src.id] = src.source
            if not self.options.force and export.existing_result(self.out_dir, src.id, src.sha256, __version__):
                self.summary.skipped += 1
                continue
            for message in src.warnings:
                self._warn(src, message)
            todo.append(src)
        return todo

    def _say_empty_folders(self, inputs: Iterable[Path], found: list[SourceFile]) -> None:
        """A folder named on the command line with nothing in it to read is said so, not passed over."""
        for root in inputs:
            root = Path(root)
            if root.is_dir() and not any(src.path.is_relative_to(root) for src in found):
                self._say(f"warning: {printable(root)} holds no files to read (scans are PNG, JPEG, TIFF or "
                          "PDF files, in it or in its subfolders); nothing was done there.")

    # -- running -----------------------------------------------------------
    def run(self, inputs: Iterable[Path]) -> RunSummary:
        inputs = list(inputs)
        started = time.monotonic()
        self.summary.started = _now()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for path in export.remove_stale_temp_files(self.out_dir):
            self._say(f"note: removed {path.name}, left by an interrupted run")
        try:
            todo = self.plan(inputs)
            if todo:
                self._bar = _progress_bar(sum(src.page_count for src in todo), self.stderr, enabled=self.show_progress)
                try:
                    with self._executor() as executor:
                        self._run_pages(todo, executor)
                finally:
                    if self._bar is not None:
                        self._bar.close()
                        self._bar = None
        except BaseException as error:
            self.summary.status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            raise
        finally:
            self.summary.seconds = time.monotonic() - started
            self.summary.finished = _now()
            self._write_summary(inputs)
        return self.summary

    def _executor(self) -> PageExecutor:
        options = self.options.page_options()
        if self.options.scheduler:
            return DaskPool(options, self.options.scheduler, self.options.jobs, say=self._say)
        if self.options.jobs <= 1:
            return InlinePool(options)
        return LocalPool(options, self.options.jobs)

    def _write_summary(self, inputs: list[Path]) -> None:
        try:
            export.write_json_atomic(self.out_dir / export.RUN_FILE, self.summary.to_dict(self.options, inputs))
        except OSError as error:
            self._say(f"warning: cannot write {self.out_dir / export.RUN_FILE}: {error}")

    def _run_pages(self, todo: list[SourceFile], executor: PageExecutor) -> None:
        """Every page of `todo` through `executor`, at most `executor.window` tasks out at once.

        A task is a run of pages (`page_runs`). Pages a run hands back for OCR go out
        next, one by one; a run that fails is read again page by page, so that the
        error names its page and a worker's death is pinned on the page that caused it."""
        tasks = deque((index, numbers) for index, src in enumerate(todo) for numbers in page_runs(src))
        pending = {index: _Pending(src) for index, src in enumerate(todo)}
        suspects: deque = deque()  # pages out when a worker died, to be read again one at a time
        retried: set[tuple[int, tuple[int, ...]]] = set()
        in_flight: dict[Any, tuple[int, tuple[int, ...]]] = {}
        try:
            while tasks or suspects or in_flight:
                if suspects or any(key in retried for key in in_flight.values()):
                    # After a worker died, the pages it may have died on go again
                    # alone: the one that kills a worker on its own is the culprit.
                    if not in_flight:
                        index, numbers = suspects.popleft()
                        if pending[index].failed:
                            self._bar.update(len(numbers))
                            continue
                        in_flight[executor.submit(todo[index], numbers)] = (index, numbers)
                else:
                    window = executor.window
                    while tasks and len(in_flight) < window:
                        index, numbers = tasks.popleft()
                        if pending[index].failed:
                            self._bar.update(len(numbers))
                            continue
                        in_flight[executor.submit(todo[index], numbers)] = (index, numbers)
                if not in_flight:
                    continue
                for future in executor.wait(in_flight):
                    index, numbers = in_flight.pop(future)
                    state = pending[index]
                    try:
                        result = future.result()
                    except Exception as error:
                        lost = executor.is_lost(error)
                        if state.failed:
                            self._bar.update(len(numbers))
                        elif len(numbers) > 1:  # read its pages again one by one
                            alone = [(index, (number,)) for number in numbers]
                            if lost and executor.retries_lost:
                                retried.update(alone)
                                suspects.extend(alone)
                            else:
                                tasks.extendleft(reversed(alone))
                        elif lost and executor.retries_lost and (index, numbers) not in retried:
                            retried.add((index, numbers))
                            suspects.append((index, numbers))
                        else:
                            state.failed = True
                            self._fail(state.src, executor.lost_error(state.src, numbers[0]) if lost else error,
                                       page=numbers[0])
                            self._bar.update(1)
                        continue
                    if state.failed:
                        self._bar.update(len(numbers))
                        continue
                    tasks.extendleft((index, (number,)) for number in reversed(result.deferred))
                    for page, warnings in result.pages:
                        self._page_done(state, page, warnings)
        except BaseException:
            executor.abort(list(in_flight))
            raise

    def _page_done(self, state: _Pending, page: Page, warnings: list[str]) -> None:
        for message in warnings:
            self._warn(state.src, message, page=page.number)
        if warnings:
            state.page_warnings[page.number] = list(warnings)
        state.pages[page.number] = page
        self.summary.pages += 1
        if page.method == "ocr":
            self.summary.ocr_pages += 1
        else:
            self.summary.text_layer_pages += 1
        self._bar.update(1)
        if len(state.pages) == state.src.page_count:
            self._write(state)

    def _write(self, state: _Pending) -> None:
        src = state.src
        pages = [state.pages[n] for n in sorted(state.pages)]
        if self.options.entities:
            from pipeline.normalize import harmonize_names

            harmonize_names([e for page in pages for e in page.entities])
        info = DocumentInfo(
            id=src.id,
            source=src.source,
            sha256=src.sha256,
            page_count=src.page_count,
            languages=language.document_languages((p.text, p.language_spans) for p in pages),
            pipeline_version=__version__,
            format=src.format,
            source_encoding=src.source_encoding,
        )
        page_warnings = [message for number in sorted(state.page_warnings) for message in state.page_warnings[number]]
        document = Document(info=info, pages=pages, warnings=list(src.warnings) + page_warnings)
        if self.options.entities:
            self._add_persons(document)
        try:
            path = export.write_document(document, self.out_dir, warn=lambda message: self._warn(src, message, "export"))
        except OutputError as error:
            cause = export.folder_failure(error)
            if cause is not None:  # no later document could be written either: stop
                raise export.folder_unavailable(export.output_path(self.out_dir, src.id), cause) from error
            self._fail(src, error)
            return
        self.summary.written += 1
        self.summary.entities += sum(len(page.entities) for page in pages)
        self.summary.persons += len(document.persons)
        self.summary.outputs.append(path)
        state.pages.clear()


    def _add_persons(self, document: Document) -> None:
        """Person records from the document's entities; a failure here keeps the text and entities."""
        if self._records is None:
            from pipeline.records import RecordBuilder

            self._records = RecordBuilder()
        try:
            document.persons = self._records.build(document)
        except Exception as error:  # a bug in the rules must not cost the page texts
            message = (f"{document.info.source}: person records could not be built "
                       f"({type(error).__name__}: {error}); the text and entities are saved. Please report this file.")
            document.warnings.append(message)
            self._say(f"warning: {message}")
            self.summary.warnings += 1


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _progress_bar(total: int, stream: TextIO, enabled: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="page",
        desc="pages",
        file=stream,
        disable=not enabled,
        dynamic_ncols=True,
        smoothing=0.1,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
    )


def run(inputs: Iterable[Path], options: RunOptions, stderr: Optional[TextIO] = None) -> RunSummary:
    """Process every document under `inputs` into `options.out_dir`."""
    return BatchRunner(options, stderr=stderr).run(inputs)
