"""`testimony export`: the command line of the exports (added to pipeline.cli's subcommands)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import ExitCode

EXPORT_EPILOG = """\
Formats:
  csv      one row per person of a document: document id, source, person id, name parts,
           birth date and place, then per event type its date, place and details
           (arrest_date, sentence_organ, sentence_charge, sentence_term, ...); several
           events of one type share a cell, joined with " | " in the same order in every
           column of that type. Written as UTF-8 with a byte-order mark so that Excel shows
           Cyrillic and Kazakh letters correctly (--no-bom for other tools). A cell that
           starts with = + - @, a tab or a carriage return gets a leading ' so that a
           spreadsheet shows it as text instead of running it as a formula.
  jsonl    one document record a line, exactly the JSON of the <id>.json files.
  tei      TEI P5 XML, one file per document (<id>.xml): the page text with names,
           places, organisations and dates marked where they occur, and the persons in
           a listPerson. --out must be a folder.
  jsonld   schema.org JSON-LD: one @graph of Person nodes (names, birth, death, events
           as Event nodes) and the source documents. Its @context is inline, so it
           needs no network to read.
  eac-cpf  EAC-CPF 2010 authority records, one XML file per person
           (<document id>-<person id>.xml). --out must be a folder.

Without --out, csv, jsonl and jsonld go to standard output. Only the document records
(<id>.json) in OUTPUT_DIR are read; errors.jsonl, run.json, persons.jsonl and reviews/ are not
exported. Reviewers' decisions are applied: a corrected name is the name in every format.
Dates stay in the records' EDTF form (1937-08-15, 1937~, 1937-23 for autumn); the
XML formats add W3C date attributes where one fits.

Exit status: 0 exported (also when there was nothing to export), 2 usage error
(OUTPUT_DIR missing, tei/eac-cpf without --out, --out not usable), 3 the export
could not be written (disk full, read-only folder)."""


def add_parser(commands) -> argparse.ArgumentParser:
    from pipeline.exchange import FORMATS

    parser = commands.add_parser(
        "export",
        help="export results as CSV, JSON Lines, TEI, schema.org JSON-LD or EAC-CPF",
        description="Export the JSON records of an output folder to a format archives exchange.",
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR",
                        help="the folder `testimony run --out` wrote the records to")
    parser.add_argument("--format", required=True, choices=FORMATS, dest="format",
                        help="what to write (see below)")
    parser.add_argument("--out", type=Path, metavar="PATH",
                        help="file to write (csv, jsonl, jsonld; default: standard output) or folder "
                        "(tei, eac-cpf; required)")
    parser.add_argument("--reviewed-only", action="store_true",
                        help="only documents a reviewer marked reviewed (OUTPUT_DIR/reviews/<id>.jsonl)")
    parser.add_argument("--no-bom", dest="bom", action="store_false",
                        help="csv: plain UTF-8 without the byte-order mark Excel needs")
    return parser


def _usage(message: str) -> int:
    print(f"testimony: error: {message}", file=sys.stderr)
    return ExitCode.usage


def _written_name(filename) -> str:
    """The file the user asked for, not the temp file it is written through (`export.atomic_file`)."""
    if not filename:
        return ""
    from pipeline.export import TEMP_NAME

    path = Path(filename)
    match = TEMP_NAME.fullmatch(path.name)
    return str(path.parent / match["name"]) if match else str(path)


def run(args: argparse.Namespace) -> int:
    from pipeline.exchange import FOLDER_FORMATS, export

    out_dir: Path = args.output_dir
    if not out_dir.is_dir():
        what = "is a file, not a folder" if out_dir.exists() else "not found"
        return _usage(f"output folder {out_dir} {what}. Give the folder that `testimony run --out` wrote.")
    target = args.out
    if args.format in FOLDER_FORMATS:
        unit = "document" if args.format == "tei" else "person"
        if target is None:
            return _usage(f"--format {args.format} writes one XML file per {unit}: "
                          f"give a folder for them with --out, e.g. --out {args.format}/")
        if target.exists() and not target.is_dir():
            return _usage(f"--out {target} is a file; --format {args.format} needs a folder.")
    elif target is not None and target.is_dir():
        return _usage(f"--out {target} is a folder; --format {args.format} writes one file, e.g. "
                      f"--out {target / ('persons.csv' if args.format == 'csv' else 'export.' + args.format)}")
    try:
        result = export(out_dir, args.format, target, reviewed_only=args.reviewed_only, bom=args.bom)
    except OSError as exc:
        print(f"testimony: error: cannot write {_written_name(exc.filename) or target}: {exc.strerror or exc}. "
              "Check the path, free disk space and write permission.", file=sys.stderr)
        return ExitCode.output_failed
    where = "standard output" if target is None else str(target)
    skipped = f", {result.skipped_unreviewed} not reviewed left out" if args.reviewed_only else ""
    print(f"testimony: exported {result.documents} document{'s' if result.documents != 1 else ''}, "
          f"{result.persons} person{'s' if result.persons != 1 else ''} as {args.format} to {where}{skipped}",
          file=sys.stderr)
    if not result.documents:
        print(f"testimony: note: no document records{' marked reviewed' if args.reviewed_only else ''} "
              f"in {out_dir}.", file=sys.stderr)
    return ExitCode.ok
