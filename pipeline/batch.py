"""Batch: run the stages over many files, page by page, in parallel.

The unit of work is a page, so one long PDF keeps every core busy. Pages
are handed out through a bounded window (memory stays flat however large
the batch), a document is written the moment its last page is done, and a
file that fails becomes an error record while the others go on.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, TextIO

from pipeline import __version__, export, imaging, ingest, language, ocr
from pipeline.errors import ExitCode, InputError, TestimonyError
from pipeline.ingest import SourceFile
from pipeline.model import Document, DocumentInfo, LanguageSpan, Page

LANG_CHOICES = ("auto", "ru", "kk")


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
    ignored: list[str] = field(default_factory=list)  # notes and metadata found beside the scans
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.documents_failed if self.failed else ExitCode.ok

    def line(self) -> str:
        rate = self.pages / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.documents} documents: {self.written} written, {self.skipped} already done, "
            f"{self.failed} failed; {self.pages} pages ({self.ocr_pages} OCR, {self.text_layer_pages} text layer) "
            f"in {self.seconds:.1f} s ({rate:.2f} pages/s)"
            + (f"; {self.warnings} warnings" if self.warnings else "")
            + (f"; ignored {len(self.ignored)} notes/metadata files ({', '.join(self.ignored[:3])}"
               f"{', ...' if len(self.ignored) > 3 else ''})" if self.ignored else "")
        )


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
        content = ingest.load_page(src, number)
        if content.text is not None:
            page = Page(number=number, method="text-layer", text=content.text)
        else:
            image, dpi = imaging.prepare_for_ocr(content.image, content.dpi)
            result = ocr.ocr_page(image, dpi, lang=self.options.lang, extra_languages=self.extra_languages)
            page = Page(
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
        page.language_spans = self.tag(page.text)
        if self.extractor is not None:
            page.entities = self.extractor.extract(page)
        return page, content.warnings

    def tag(self, text: str) -> list[LanguageSpan]:
        if self.options.lang == "auto":
            return self.tagger.tag(text)
        return [LanguageSpan(0, len(text), self.options.lang, 1.0)] if text else []


_worker_reader: Optional[PageReader] = None  # one per worker process, set by _init_worker


def _init_worker(options: PageOptions) -> None:
    global _worker_reader
    _worker_reader = PageReader(options)


def _read_in_worker(src: SourceFile, number: int) -> tuple[Page, list[str]]:
    assert _worker_reader is not None, "worker was not initialised"
    page, warnings = _worker_reader.read(src, number)
    page.words = []  # not part of the JSON yet; keep the inter-process traffic small
    return page, warnings


@dataclass
class _Pending:
    src: SourceFile
    pages: dict[int, Page] = field(default_factory=dict)
    failed: bool = False


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

    # -- reporting ---------------------------------------------------------
    def _say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stderr)
        else:
            print(text, file=self.stderr, flush=True)

    def _fail(self, src: SourceFile, error: BaseException, page: Optional[int] = None) -> None:
        self.summary.failed += 1
        entry = self.log.record(src.source, error, sha256=src.sha256 or None, page=page)
        if not isinstance(error, TestimonyError):
            entry_hint = "This looks like a bug in the pipeline; please report it with the file."
            self._say(f"error: {src.source}: unexpected {type(error).__name__}: {error}. {entry_hint}")
            self._say("".join(traceback.format_exception(error)).rstrip())
        else:
            where = f" (page {page})" if page else ""
            self._say(f"error{where}: {error}")

    def _warn(self, src: SourceFile, message: str) -> None:
        self.summary.warnings += 1
        self.log.warn(src.source, message, sha256=src.sha256 or None)
        self._say(f"warning: {message}")

    # -- planning ----------------------------------------------------------
    def plan(self, inputs: Iterable[Path]) -> list[SourceFile]:
        """Inspect every input; keep those that need work, record those that cannot be read."""
        todo: list[SourceFile] = []
        seen: dict[str, str] = {}
        for src in ingest.discover(inputs, exclude=[self.out_dir]):
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

    # -- running -----------------------------------------------------------
    def run(self, inputs: Iterable[Path]) -> RunSummary:
        started = time.monotonic()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        todo = self.plan(inputs)
        total_pages = sum(src.page_count for src in todo)
        if todo:
            self._bar = _progress_bar(total_pages, self.stderr, enabled=self.show_progress)
            try:
                if self.options.jobs <= 1:
                    self._run_inline(todo)
                else:
                    self._run_parallel(todo)
            finally:
                if self._bar is not None:
                    self._bar.close()
                    self._bar = None
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _run_inline(self, todo: list[SourceFile]) -> None:
        reader = PageReader(self.options.page_options())
        for src in todo:
            pending = _Pending(src)
            for number in range(1, src.page_count + 1):
                try:
                    page, warnings = reader.read(src, number)
                except Exception as error:
                    self._fail(src, error, page=number)
                    self._bar.update(src.page_count - number + 1)
                    break
                self._page_done(pending, page, warnings)

    def _run_parallel(self, todo: list[SourceFile]) -> None:
        tasks = deque((index, number) for index, src in enumerate(todo) for number in range(1, src.page_count + 1))
        pending = {index: _Pending(src) for index, src in enumerate(todo)}
        while tasks:
            # A worker killed by the system (out of memory, a crash in a native
            # library) breaks the pool: fail the documents it was reading and
            # go on with a fresh pool.
            self._drain_pool(todo, tasks, pending)

    def _drain_pool(self, todo: list[SourceFile], tasks: deque, pending: dict[int, _Pending]) -> None:
        window = max(2, self.options.jobs * 3)
        in_flight: dict[Future, tuple[int, int]] = {}
        with ProcessPoolExecutor(
            max_workers=self.options.jobs, initializer=_init_worker, initargs=(self.options.page_options(),)
        ) as pool:
            try:
                while tasks or in_flight:
                    while tasks and len(in_flight) < window:
                        index, number = tasks.popleft()
                        if pending[index].failed:
                            self._bar.update(1)
                            continue
                        in_flight[pool.submit(_read_in_worker, todo[index], number)] = (index, number)
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for future in done:
                        index, number = in_flight[future]
                        self._collect(future, pending[index], number)
                        del in_flight[future]
            except BrokenProcessPool:
                for future, (index, number) in in_flight.items():
                    state = pending[index]
                    if not state.failed:
                        state.failed = True
                        self._fail(state.src, TestimonyError(
                            f"{state.src.source}: a worker process died while reading page {number}.",
                            hint="The machine may have run out of memory (try fewer --jobs), or the file "
                            "crashes a library: check it, or run it alone with --jobs 1.",
                        ), page=number)
                    self._bar.update(1)
            except BaseException:
                for future in in_flight:
                    future.cancel()
                raise

    def _collect(self, future: Future, state: _Pending, number: int) -> None:
        try:
            page, warnings = future.result()
        except BrokenProcessPool:
            raise
        except Exception as error:
            if not state.failed:
                state.failed = True
                self._fail(state.src, error, page=number)
            self._bar.update(1)
            return
        if state.failed:
            self._bar.update(1)
        else:
            self._page_done(state, page, warnings)

    def _page_done(self, state: _Pending, page: Page, warnings: list[str]) -> None:
        for message in warnings:
            self._warn(state.src, message)
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
            from pipeline.entities import harmonize_names

            harmonize_names([e for page in pages for e in page.entities])
        info = DocumentInfo(
            id=src.id,
            source=src.source,
            sha256=src.sha256,
            page_count=src.page_count,
            languages=language.document_languages((p.text, p.language_spans) for p in pages),
            pipeline_version=__version__,
            format=src.format,
        )
        document = Document(info=info, pages=pages, warnings=list(src.warnings))
        try:
            path = export.write_document(document, self.out_dir)
        except TestimonyError as error:
            self._fail(src, error)
            return
        self.summary.written += 1
        self.summary.outputs.append(path)
        state.pages.clear()


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
