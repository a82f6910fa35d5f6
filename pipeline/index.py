"""Index: one list of people across a whole output folder (`persons.jsonl`).

The same woman appears on her registration card, in her sentence extract and in
her rehabilitation certificate, spelled differently each time: in another case,
with initials, in Kazakh or Russian letters, with Latin look-alike letters from
OCR, under her maiden or double surname. The index groups those mentions into one
line per person, and says why (`match`).

It is conservative: a wrong merge puts one woman's sentence into another's life,
which is worse for an archive than two entries a reviewer can join. Two records are
joined only when their surnames agree (allowing case forms, spelling and a double
surname), their given names and patronymics agree (initials agree with any name
starting with that letter), and nothing contradicts: not gender, not birth year.
A group never holds two people that contradict each other, even through a third.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, TextIO

from pipeline import export
from pipeline.errors import ExitCode
from pipeline.names import PATRONYMIC_SUFFIX, SURNAME_END, fold, to_cyrillic

INDEX_FILE = "persons.jsonl"

_RU_CASE_ENDING = re.compile(r"(ой|ую|ым|ом|ому|ого|ей|у|а|е|ы|и)$")


def canonical(text: Optional[str]) -> str:
    """Compare-form of a name word: Latin look-alikes to Cyrillic, Kazakh letters folded, lower case."""
    if not text:
        return ""
    # Kazakh "Бибігүл", "Ләззат" are Russian "Бибигуль", "Ляззат"
    return fold(to_cyrillic(text)).replace("ь", "").replace("ъ", "").replace("я", "а")


@dataclass
class Entry:
    """One person record of one document."""

    document: str  # document id
    source: str
    person: dict
    surnames: list[str] = field(default_factory=list)  # compare-forms, aliases included
    given: str = ""
    patronymic: str = ""
    birth_year: Optional[int] = None
    gender: Optional[str] = None

    @property
    def key(self) -> str:
        return f"{self.document}/{self.person['id']}"


def entry_of(record: dict, person: dict) -> Entry:
    name = person.get("name") or {}
    surnames = [canonical(name.get("surname"))]
    for alias in person.get("aliases", []):  # other forms in the same document: maiden name, spelling
        first = alias.split()[0] if alias.split() else ""
        if first and not first.endswith(".") and canonical(first) not in surnames and _surname_like(first):
            surnames.append(canonical(first))
    birth = (person.get("birth") or {}).get("date")
    year = int(birth[:4]) if birth and birth[:4].isdigit() else None
    return Entry(
        document=record["document"]["id"], source=record["document"]["source"], person=person,
        surnames=[s for s in surnames if s], given=canonical(name.get("given")),
        patronymic=canonical(name.get("patronymic")), birth_year=year, gender=person.get("gender"),
    )


def _surname_like(word: str) -> bool:
    return bool(SURNAME_END.search(word.lower()))


# --- deciding ---------------------------------------------------------------------------
def _surname_match(a: Entry, b: Entry) -> Optional[str]:
    for x in a.surnames:
        for y in b.surnames:
            if x == y:
                return "same surname" if (x == a.surnames[0] and y == b.surnames[0]) else "surname by alias"
            if "-" in x or "-" in y:
                if x in y.split("-") or y in x.split("-"):
                    return f"double surname ({_shown(a, x)} / {_shown(b, y)})"
            if len(x) >= 5 and len(y) >= 5 and _RU_CASE_ENDING.sub("", x) == _RU_CASE_ENDING.sub("", y) \
                    and abs(len(x) - len(y)) <= 2:
                return f"case forms of one surname ({_shown(a, x)} / {_shown(b, y)})"
    return None


def _shown(entry: Entry, form: str) -> str:
    return entry.person["name"].get("surname") if form == entry.surnames[0] else form


def _part_match(x: str, y: str, what: str) -> tuple[Optional[bool], Optional[str]]:
    """(agree?, reason) for two given names or patronymics; (None, None) when one is unknown."""
    if not x or not y:
        return None, None
    xs, ys = x.rstrip("."), y.rstrip(".")
    if len(xs) == 1 or len(ys) == 1:
        return (xs[0] == ys[0]), (f"{what} initial {xs[0].upper()}. agrees" if xs[0] == ys[0] else None)
    if xs == ys:
        return True, f"same {what}"
    if what == "patronymic":
        if PATRONYMIC_SUFFIX.sub("", xs) == PATRONYMIC_SUFFIX.sub("", ys):  # "Санжаровна" ~ "Санжарқызы"
            return True, "patronymic in Russian and Kazakh form"
    return False, None


def match_reason(a: Entry, b: Entry) -> Optional[list[str]]:
    """Why `a` and `b` are one person, or None when they are not (or might not be)."""
    if a.gender and b.gender and a.gender != b.gender:
        return None
    if a.birth_year and b.birth_year and a.birth_year != b.birth_year:
        return None
    surname = _surname_match(a, b)
    if not surname:
        return None
    reasons = [surname]
    given, why = _part_match(a.given, b.given, "given name")
    if given is False:
        return None
    if given is None:  # a surname alone says too little, unless the birth year agrees
        if not (a.birth_year and a.birth_year == b.birth_year):
            return None
    else:
        reasons.append(why)
    patronymic, why = _part_match(a.patronymic, b.patronymic, "patronymic")
    if patronymic is False:
        return None
    if patronymic:
        reasons.append(why)
    full_words = sum(1 for x in (a.given, b.given) if len(x.rstrip(".")) > 1)
    if given and full_words < 2 and not patronymic and not (a.birth_year and a.birth_year == b.birth_year):
        return None  # "Иванова А." and "Иванова Анна": too many Annas; need a patronymic or a birth year
    if a.birth_year and a.birth_year == b.birth_year:
        reasons.append(f"birth year {a.birth_year} agrees")
    return reasons


def _strength(reasons: list[str]) -> int:
    return sum(3 if r.startswith("same") else 2 if "agrees" in r else 1 for r in reasons)


# --- grouping ---------------------------------------------------------------------------
def group(entries: list[Entry]) -> list[tuple[list[Entry], list[str]]]:
    """Groups of entries that are one person, with the reasons; strongest matches joined first,
    and never a group in which two members contradict each other."""
    blocks: dict[str, list[int]] = {}
    for i, entry in enumerate(entries):
        for surname in entry.surnames:
            for part in surname.split("-"):
                blocks.setdefault(part[:4], []).append(i)
    pairs: dict[tuple[int, int], list[str]] = {}
    for members in blocks.values():
        members = sorted(set(members))
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if (i, j) in pairs or entries[i].document == entries[j].document:
                    continue  # within a document, records already grouped its mentions
                reasons = match_reason(entries[i], entries[j])
                if reasons:
                    pairs[(i, j)] = reasons
    parent = list(range(len(entries)))
    members_of: dict[int, list[int]] = {i: [i] for i in range(len(entries))}
    why: dict[int, list[str]] = {i: [] for i in range(len(entries))}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (i, j), reasons in sorted(pairs.items(), key=lambda item: -_strength(item[1])):
        a, b = root(i), root(j)
        if a == b:
            continue
        docs_a = {entries[k].document for k in members_of[a]}
        if any(entries[k].document in docs_a for k in members_of[b]):
            continue  # two people of one document stay two people
        if not all(match_reason(entries[x], entries[y]) for x in members_of[a] for y in members_of[b]):
            continue
        parent[b] = a
        members_of[a].extend(members_of.pop(b))
        note = f"{entries[i].key} ~ {entries[j].key}: " + "; ".join(reasons)
        why[a].extend(why.pop(b) + [note])
    return [([entries[k] for k in sorted(members)], why[r]) for r, members in members_of.items()]


# --- building the lines -----------------------------------------------------------------
def _fullness(name: dict) -> tuple:
    parts = [name.get(k) for k in ("surname", "given", "patronymic")]
    return (sum(3 if p and not p.endswith(".") else 1 if p else 0 for p in parts), len(name.get("full") or ""))


def global_id(members: list[Entry]) -> str:
    """Stable across runs as long as the first document's record of the person stays."""
    first = min(m.key for m in members)
    return "P" + hashlib.sha1(first.encode("utf-8")).hexdigest()[:12]


def person_line(members: list[Entry], reasons: list[str], ids: dict[str, str]) -> dict:
    best = max(members, key=lambda m: _fullness(m.person.get("name") or {}))
    births = [(m.person.get("birth") or {}) for m in members]
    dates = list(dict.fromkeys(b.get("date") for b in births if b.get("date")))
    places = list(dict.fromkeys(b.get("place") for b in births if b.get("place")))
    events, relations = [], []
    for m in members:
        for event in m.person.get("events", []):
            events.append({**event, "document": m.document})
        for relation in m.person.get("relations", []):
            other = ids.get(f"{m.document}/{relation['person']}")
            if other and {"type": relation["type"], "person": other} not in relations:
                relations.append({"type": relation["type"], "person": other})
    events.sort(key=lambda e: (e.get("date") or "9999", e["type"]))
    names = list(dict.fromkeys(m.person["name"].get("full") for m in members if m.person["name"].get("full")))
    line = {
        "id": ids[members[0].key],
        "name": best.person["name"],
        "names": names,
        "gender": next((m.gender for m in members if m.gender), None),
        "birth": {"date": dates[0] if dates else None, "place": places[0] if places else None},
        "events": events,
        "relations": relations,
        "sources": [{"document": m.document, "source": m.source, "person": m.person["id"]} for m in members],
        "match": {"rule": "one record" if len(members) == 1 else "merged", "reasons": reasons},
    }
    if len(dates) > 1 or len(places) > 1:
        line["birth"]["alternatives"] = [{"date": d} for d in dates[1:]] + [{"place": p} for p in places[1:]]
    return line


def read_records(out_dir: Path, stderr: Optional[TextIO] = None) -> Iterable[dict]:
    """Every document record in the folder; files that are not records are passed over."""
    for path in export.record_paths(out_dir):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            if stderr is not None:
                print(f"testimony index: skipping {path}: not readable JSON ({error}).", file=stderr)
            continue
        if isinstance(record, dict) and record.get("schema") == export.SCHEMA_ID:
            yield record


def build_index(records: Iterable[dict]) -> list[dict]:
    entries = [entry_of(record, person) for record in records for person in record.get("persons", [])]
    groups = group(entries)
    ids = {}
    for members, _ in groups:
        gid = global_id(members)
        for m in members:
            ids[m.key] = gid
    lines = [person_line(members, reasons, ids) for members, reasons in groups]
    lines.sort(key=lambda line: ((line["name"].get("full") or "").lower(), line["id"]))
    return lines


def write_index(out_dir: Path, stderr: Optional[TextIO] = None) -> tuple[Path, int, int]:
    """Write OUT/persons.jsonl atomically; returns (path, people, person records read)."""
    out_dir = Path(out_dir)
    # Records stream through: only their persons are kept, not the page texts and entities
    # of a whole archive's folder at once.
    lines = build_index(read_records(out_dir, stderr))
    path = out_dir / INDEX_FILE
    export.write_text_atomic(path, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return path, len(lines), sum(len(line["sources"]) for line in lines)  # each person record is in one line


def main(out_dir: Path, stderr: Optional[TextIO] = None) -> int:
    stderr = stderr or sys.stderr
    if not Path(out_dir).is_dir():
        print(f"testimony index: error: {out_dir} is not a folder. Give the output folder of `testimony run`.",
              file=stderr)
        return 2
    try:
        path, people, read = write_index(out_dir, stderr)
    except OSError as error:  # a read-only folder, a full disk: the records themselves are untouched
        print(f"testimony index: error: cannot write {Path(out_dir) / INDEX_FILE} ({error.strerror or error}). "
              "Free some space or make the folder writable, then run it again; the records are unchanged.",
              file=stderr)
        return ExitCode.output_failed
    print(f"testimony index: {read} person records in {out_dir} -> {people} people in {path}", file=stderr)
    return 0
