"""The `testimony` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Iterator, Optional, Sequence

from pipeline import __version__, export
from pipeline.errors import ExitCode, OutputUnavailable, TestimonyError, UsageError

DESCRIPTION = """\
Turn scans of archival documents (Russian, Kazakh, or both on a page) into
JSON records: page text with languages, entities (persons, dates, places,
organisations, normalised) and person records (birth, arrest, sentence,
transfer, release, death, rehabilitation, each with its evidence). One JSON
file per document, named after the first 16 hex digits of the file's sha256,
in the output folder."""

RUN_EPILOG = """\
Inputs: PNG, JPEG, TIFF (multi-page too) and PDF files, or folders searched
recursively. A PDF page with a real text layer is read as text; other pages
are rendered at 300 DPI and OCR'd.

Files that cannot be read (empty, damaged, encrypted, not a document) are
listed in OUT/errors.jsonl and on stderr; the others are processed.
A re-run skips documents whose JSON already exists for the same content and
pipeline version (use --force to redo them). A run that was killed can be
started again with the same command: finished records are kept, and none is
ever half-written. OUT/run.json sums up the last run.

With --scheduler tcp://HOST:PORT the pages are read by the workers of a Dask
cluster (`dask scheduler` on one machine, `dask worker tcp://HOST:PORT
--nthreads 1 --nworkers N` on each); the inputs must be readable at the same
path on every worker, and the records are written here.

SIGTERM ends a run as Ctrl-C does (run.json says "interrupted"); worker processes
end with the run, even when it is killed. When the output folder stops taking
files (disk full, read-only), the run stops with a message: free space and run
the same command again.

Exit status: 0 all documents succeeded, 1 some documents failed, 2 usage error
(nothing was processed), 3 the output folder could not be written and the run
stopped, 130 interrupted."""


MAX_JOBS_PER_CORE = 4  # pages are CPU-bound: more workers than this only fill memory


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number, not {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    cores = os.cpu_count() or 1
    if jobs > MAX_JOBS_PER_CORE * cores:
        raise argparse.ArgumentTypeError(
            f"--jobs {jobs} is more than this machine can use: it has {cores} cores and each worker holds "
            f"about 300 MB of models; use at most {MAX_JOBS_PER_CORE * cores} (one per core is fastest)"
        )
    return jobs


def _out_dir(value: str) -> Path:
    if not value.strip():
        raise argparse.ArgumentTypeError("--out needs a folder name (it is created if it does not exist)")
    return Path(value)


def _scheduler(value: str) -> str:
    if value == "local" or "://" in value:
        return value
    raise argparse.ArgumentTypeError(
        f"--scheduler takes 'local' or the scheduler's address, e.g. tcp://10.0.0.5:8786 (got {value!r})"
    )


def _languages(value: str) -> tuple[str, ...]:
    codes = tuple(code.strip().lower() for code in value.split(",") if code.strip())
    bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
    if not codes or bad:
        raise argparse.ArgumentTypeError(
            f"--candidates takes ISO 639-1 codes separated by commas, e.g. ru,kk,de (got {value!r})"
        )
    return codes


def build_parser() -> argparse.ArgumentParser:
    from pipeline.language import DEFAULT_CANDIDATES

    parser = argparse.ArgumentParser(
        prog="testimony", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"testimony {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run",
        help="process documents into JSON records",
        description="Process documents into one JSON record each.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files or folders to process")
    run.add_argument(
        "--out", type=_out_dir, default=Path("outputs"), metavar="DIR",
        help="folder for the JSON records and errors.jsonl (default: outputs/)",
    )
    run.add_argument(
        "--lang", choices=("auto", "ru", "kk"), default="auto",
        help="language of the documents: 'auto' (default) detects it per page and paragraph, "
        "which is right for mixed Russian/Kazakh pages; 'ru' or 'kk' when every document is "
        "known to be in that language (OCR uses that language's model and every paragraph is tagged with it)",
    )
    run.add_argument(
        "--jobs", type=_jobs, default=os.cpu_count() or 1, metavar="N",
        help=f"pages read in parallel (default: all {os.cpu_count() or 1} cores); 1 runs in this process; "
        "with --scheduler local, the number of Dask workers",
    )
    run.add_argument(
        "--candidates", type=_languages, default=DEFAULT_CANDIDATES, metavar="CODES",
        help="languages the detector may choose from, comma-separated (default: "
        f"{','.join(DEFAULT_CANDIDATES)}: Russian, Kazakh, and the German, Ukrainian, Polish and Belarusian "
        "papers of deported families, whose paragraphs get dates only). A paragraph in none of them is tagged 'und'; "
        "ru,kk alone makes the others 'und'",
    )
    run.add_argument(
        "--scheduler", type=_scheduler, default=None, metavar="ADDRESS",
        help="read pages on a Dask cluster: tcp://HOST:PORT of a running `dask scheduler`, or 'local' "
        "for a cluster of --jobs worker processes on this machine (default: worker processes without Dask)",
    )
    run.add_argument("--force", action="store_true", help="reprocess documents that already have a result")
    run.add_argument(
        "--no-entities", dest="entities", action="store_false",
        help="only page text and languages: skip entity extraction (faster; entities stay empty)",
    )
    bar = run.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always show the progress bar (default: only on a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")

    index = commands.add_parser(
        "index",
        help="list the people of a whole output folder in persons.jsonl",
        description="Read every document record in OUTPUT_DIR and write OUTPUT_DIR/persons.jsonl: one line "
        "per distinct person, mentions from different documents merged when their names agree (case forms, "
        "initials, Kazakh/Russian spelling, OCR look-alike letters, double and maiden surnames) and nothing "
        "contradicts (gender, birth year). Each line lists its sources and, under 'match', why they were "
        "joined. `testimony run` does this at the end of every run.",
    )
    index.add_argument("out_dir", type=Path, metavar="OUTPUT_DIR", help="folder of a `testimony run` (its --out)")

    from pipeline.exchange import command as exchange_command

    exchange_command.add_parser(commands)
    from pipeline import normalize_command

    normalize_command.add_parser(commands)

    review = commands.add_parser(
        "review",
        help="review the results in a local web page",
        description="Serve a local web page to review the records in OUTPUT_DIR: page images with the "
        "entity boxes, the text with entities highlighted, person records. Accept, reject, relabel or "
        "correct entities and person fields; decisions go to OUTPUT_DIR/reviews/<doc id>.jsonl, the "
        "pipeline's JSON is never changed.",
    )
    review.add_argument("out_dir", type=Path, metavar="OUTPUT_DIR", help="folder of a `testimony run` (its --out)")
    review.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    review.add_argument(
        "--host", default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; the page has no login, so "
        "0.0.0.0 only on a network you trust)",
    )
    review.add_argument(
        "--allow-host", action="append", default=[], metavar="NAME", dest="allow_hosts",
        help="a host name (or IP address) the page may be reached by, besides the --host address, "
        "localhost, and 127.0.0.1 and [::1] when bound to loopback or 0.0.0.0; repeatable. Requests "
        "for any other name are refused (403), which stops other web sites from using the page "
        "through DNS rebinding. E.g. with --host 0.0.0.0 on a LAN, colleagues reach "
        "http://fileserver:8000/ only with --allow-host fileserver",
    )
    review.add_argument(
        "--inputs", type=Path, action="append", metavar="DIR",
        help="input folder (or file) the documents were read from, to show page images; repeatable "
        "(default: the inputs OUTPUT_DIR/run.json records)",
    )
    review.add_argument(
        "--reviewer", default=None, metavar="NAME",
        help="name recorded with every decision (default: $USER; each reviewer can change it in the page)",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command == "run":
        return _run(args, parser)
    if args.command == "index":
        from pipeline import index

        return index.main(args.out_dir)
    if args.command == "export":
        from pipeline.exchange import command as exchange_command

        return exchange_command.run(args)
    if args.command == "review":
        return _review(args)
    if args.command == "normalize":
        from pipeline import normalize_command

        return normalize_command.run(args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse refuses first
    return ExitCode.usage


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from pipeline import batch

    candidates = tuple(dict.fromkeys(args.candidates))
    if args.lang == "auto" and len(candidates) < 2:
        print(
            "testimony: error: --candidates needs at least two languages to choose from; "
            "when every document is in one language, say so with --lang ru or --lang kk.",
            file=sys.stderr,
        )
        return ExitCode.usage
    if args.lang != "auto" and args.lang not in candidates:
        candidates = (args.lang, *candidates)
    missing = [str(path) for path in args.inputs if not path.exists()]
    if missing:
        print(
            f"testimony: error: input not found: {', '.join(missing)}. "
            "Check the path; folders are searched recursively.",
            file=sys.stderr,
        )
        return ExitCode.usage
    options = batch.RunOptions(
        out_dir=args.out, lang=args.lang, jobs=args.jobs, force=args.force,
        candidates=candidates, progress=args.progress, entities=args.entities, scheduler=args.scheduler,
    )
    try:
        export.check_output_folder(options.out_dir)
        with _sigterm_as_interrupt():
            summary = batch.run(args.inputs, options)
    except KeyboardInterrupt:
        print(
            "testimony: interrupted. Finished documents are saved; run the same command again to continue.",
            file=sys.stderr,
        )
        return ExitCode.interrupted
    except TestimonyError as error:  # the run itself could not go on (no scheduler, scheduler lost, disk full)
        print(f"testimony: error: {error}", file=sys.stderr)
        if isinstance(error, OutputUnavailable):
            return ExitCode.output_failed
        return ExitCode.usage if isinstance(error, UsageError) else ExitCode.documents_failed
    print(f"testimony: {summary.line()}", file=sys.stderr)
    if args.entities:
        from pipeline import index

        try:
            path, people, read = index.write_index(options.out_dir, sys.stderr)
            print(f"testimony: {read} person records -> {people} people in {path}", file=sys.stderr)
        except OSError as error:
            print(f"testimony: warning: could not write the person index ({error}); the documents are saved. "
                  f"Run `testimony index {options.out_dir}` to try again.", file=sys.stderr)
    if summary.failed:
        print(f"testimony: see {options.out_dir / 'errors.jsonl'} for what failed and what to do.", file=sys.stderr)
    return int(summary.exit_code)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (`kill`, systemd, a CI timeout) ends the run as Ctrl-C does: the records written are
    kept, run.json says `interrupted`, the workers stop."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding program): leave SIGTERM to it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _review(args: argparse.Namespace) -> int:
    if not args.out_dir.is_dir():
        print(f"testimony: error: {args.out_dir} is not a folder; give the --out folder of a `testimony run`.",
              file=sys.stderr)
        return ExitCode.usage
    if not 0 <= args.port <= 65535:
        print("testimony: error: --port must be 0 to 65535", file=sys.stderr)
        return ExitCode.usage
    missing = [str(path) for path in args.inputs or () if not path.exists()]
    if missing:
        print(f"testimony: error: --inputs not found: {', '.join(missing)}", file=sys.stderr)
        return ExitCode.usage
    from pipeline.review.app import ListenError, serve
    from pipeline.review.guard import host_name

    try:
        allow_hosts = [host_name(name) for name in args.allow_hosts]
    except ValueError as exc:
        print(f"testimony: error: --allow-host: {exc}", file=sys.stderr)
        return ExitCode.usage

    def ready(server) -> None:
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"testimony: reviewing {args.out_dir} at http://{host}:{server.server_port}/ (Ctrl+C to stop)",
              file=sys.stderr)

    try:
        serve(args.out_dir, host=args.host, port=args.port, inputs=args.inputs, reviewer=args.reviewer,
              allow_hosts=allow_hosts, ready=ready)
    except ListenError as exc:
        print(f"testimony: error: {exc}", file=sys.stderr)
        return ExitCode.usage
    except OSError as exc:
        print(f"testimony: error: cannot listen on {args.host}:{args.port} ({exc.strerror or exc}); "
              "try another --port.", file=sys.stderr)
        return ExitCode.usage
    except KeyboardInterrupt:
        print("testimony: review server stopped; decisions are saved as they are made.", file=sys.stderr)
    return 0
