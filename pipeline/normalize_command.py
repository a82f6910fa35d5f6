"""`testimony normalize`: clean a legacy list of names, places or dates, one value at a time.

Archivists keep card indexes and spreadsheets typed over decades, with names in whatever case the
source sentence had them ("жене Тюменцевой Д. Г."). This command puts each value through the very
normaliser the entity stage uses, so a list and the records agree, and writes one JSON line per
value. A value that cannot be read gets `normalized: null` and an `error`; the others still come.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import BinaryIO, Iterable, Optional, TextIO

from pipeline.errors import ExitCode

KINDS = ("person", "place", "date")
LANGS = ("ru", "kk")

EPILOG = """\
Values come from the arguments, or one per line on standard input when no
value is given. Each value gives one JSON line on standard output, in order:

  person  {"input", "normalized", "surname", "given", "patronymic", "gender"}
          nominative, surname first, initials as written; gender "male",
          "female" or null when nothing in the name or its context says.
  place   {"input", "normalized"}  nominative, without "г."/"с." ...,
          regions keep their type word ("Акмолинская область").
  date    {"input", "normalized"}  the EDTF value (1937-08-15, 1937-08, 193X,
          XXXX-05-29 when no year is given), null when no date is found.

--context gives the sentence the value stands in: the word before it tells its
case and sometimes its gender ("Арестована жена Тюменцева Д. Г." says the
name is in the genitive; "Справка выдана гражданке Ивановой" says dative,
feminine). A context that does not contain the value is read as the words
right before it.

Examples:
  testimony normalize --kind person --lang ru "Тухачевской Нины Евгеньевны"
  testimony normalize --kind person --lang ru --context "Арестована жена Тюменцева Д. Г." "Тюменцева Д. Г."
  testimony normalize --kind person --lang kk "Тұрар Рысқұловтың"
  testimony normalize --kind place --lang ru "г. Акмолинска"
  testimony normalize --kind date --lang kk "1938 жылғы 9 сәуірде"
  cut -f2 list.tsv | testimony normalize --kind person --lang ru > names.jsonl

An empty line or one that is not UTF-8 gives {"input": ..., "normalized": null,
"error": ...}; the lines after it are still read. Exit status: 0 every value
was normalised, 1 some could not be, 2 usage error."""


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "normalize",
        help="normalise a list of person names, places or dates (one JSON line each)",
        description="Normalise values the way the entity stage does: person names to the nominative, "
        "surname first; places to the nominative; dates to EDTF.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("values", nargs="*", metavar="VALUE",
                        help="values to normalise (default: one per line on standard input)")
    parser.add_argument("--kind", required=True, choices=KINDS, help="what the values are")
    parser.add_argument("--lang", required=True, choices=LANGS, help="the language they are written in")
    parser.add_argument("--context", metavar="SENTENCE",
                        help="a sentence the values stand in: its case and gender cues are used")
    return parser


def normalize_value(value: str, kind: str, lang: str, context: Optional[str] = None,
                    normalizer=None) -> dict:
    """One value -> the JSON object `testimony normalize` prints for it."""
    from pipeline.normalize import default_normalizer

    text = value.strip()
    if not text:
        return {"input": value, "normalized": None, "error": "empty value: nothing to normalise"}
    if kind == "date":
        from pipeline.dates import find_dates, normalize_date

        found = normalize_date(text, lang)
        if found is None:
            dates = find_dates(text, lang)
            found = dates[0].normalized if dates else None
        return {"input": value, "normalized": found}
    normalizer = normalizer or default_normalizer()
    if kind == "place":
        return {"input": value, "normalized": normalizer.place(text, lang) or None}
    name = normalizer.person(text, lang, context=context)
    return {"input": value, "normalized": name["full"] or None, "surname": name["surname"],
            "given": name["given"], "patronymic": name["patronymic"],
            "gender": {"femn": "female", "masc": "male"}.get(name.get("gender"))}


def _stdin_values(stream: BinaryIO) -> Iterable[tuple[str, Optional[str]]]:
    """(value, error) per line of raw bytes: a line that is not UTF-8 is reported, not fatal."""
    for raw in stream:
        line = raw.rstrip(b"\r\n")
        try:
            yield line.decode("utf-8-sig"), None
        except UnicodeDecodeError as error:
            shown = line.decode("utf-8", errors="replace")
            yield shown, (f"not UTF-8 text (byte {error.start + 1} of the line): save the list as UTF-8 "
                          f"and run again")


def run(args, stdin: Optional[BinaryIO] = None, stdout: Optional[TextIO] = None) -> int:
    stdout = stdout or sys.stdout
    if args.values:
        values: Iterable[tuple[str, Optional[str]]] = ((v, None) for v in args.values)
    else:
        values = _stdin_values(stdin or sys.stdin.buffer)
    failed = 0
    for value, error in values:
        if error is None:
            try:
                out = normalize_value(value, args.kind, args.lang, args.context)
            except Exception as exc:  # one odd value must not end the list
                out = {"input": value, "normalized": None, "error": f"could not normalise: {exc}"}
        else:
            out = {"input": value, "normalized": None, "error": error}
        failed += "error" in out
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()
    return ExitCode.documents_failed if failed else ExitCode.ok
