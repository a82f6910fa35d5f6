"""The fast schema check (fastjsonschema) against the reference (jsonschema).

`export.contract_problems` skips jsonschema when fastjsonschema's compiled check passes a
record, and asks jsonschema (for its messages) otherwise. That is only right if the two agree
on valid/invalid for every record; these tests hold them to it on a full record and on many
mutations of it, and check that `contract_problems` says exactly what it said before.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import export
from tests.test_export import TEXT, record


def full_record() -> dict:
    """A valid record that uses every part of the schema: entities with and without a bbox,
    persons with aliases, birth alternatives, relations and events of every date form."""
    data = record()
    start = TEXT.index("Ковалёва")
    data["entities"] = [
        {"id": "e1", "label": "PERSON", "text": TEXT[start:], "page": 1, "start": start, "end": len(TEXT),
         "lang": "ru", "normalized": "Ковалёва Анна Ивановна", "confidence": 0.87, "bbox": [10, 20, 90, 40]},
        {"id": "e2", "label": "ORG", "text": TEXT[:7], "page": 1, "start": 0, "end": 7,
         "lang": "ru", "normalized": None, "confidence": 0.5, "bbox": None},
        {"id": "e3", "label": "DATE", "text": TEXT[8:10], "page": 1, "start": 8, "end": 10,
         "lang": "ru", "normalized": "193X", "confidence": 0.7, "bbox": None},
    ]
    data["persons"] = [
        {
            "id": "p1",
            "name": {"full": "Ковалёва Анна Ивановна", "surname": "Ковалёва", "given": "Анна",
                     "patronymic": "Ивановна"},
            "gender": "female",
            "aliases": ["Ковалева А. И."],
            "birth": {"date": "1900", "place": None, "evidence": ["e1"],
                      "alternatives": [{"date": "1901-03", "place": "Омск", "evidence": []}]},
            "relations": [{"type": "spouse", "person": "p2"}],
            "events": [
                {"type": "arrest", "date": "1937-08-15", "place": "Москва", "evidence": ["e1"]},
                {"type": "release", "date": "1946~", "place": None, "evidence": []},
                {"type": "transfer", "date": "1937-23", "place": None, "evidence": []},
                {"type": "sentence", "date": "1938/1946", "place": None, "evidence": [], "organ": "ОСО",
                 "charge": "ЧСИР", "term": "8 лет", "term_years": 8},
                {"type": "death", "date": None, "place": None, "evidence": [], "date_without_year": "03-05",
                 "date_as_read": "1037"},
                {"type": "other", "date": "../1950", "place": None, "evidence": []},
                {"type": "residence", "date": "19XX", "place": None, "evidence": ["e3"]},
                {"type": "other", "date": "1937-08-XX", "place": None, "evidence": []},
            ],
            "mentions": ["e1", "e2"],
        },
        {
            "id": "p2",
            "name": {"full": None, "surname": None, "given": None, "patronymic": None},
            "gender": None,
            "birth": {"date": None, "place": None},
            "events": [],
            "mentions": [],
        },
    ]
    return data


def reference_problems(data: dict) -> list[str]:
    """What `contract_problems` said before the fast check: jsonschema on every record."""
    fast = export._fast_validator
    export._fast_validator = lambda: None
    try:
        return export.contract_problems(data)
    finally:
        export._fast_validator = fast


def fast_says_valid(data: dict) -> bool:
    try:
        export._fast_validator()(data)
    except Exception:
        return False
    return True


def jsonschema_says_valid(data: dict) -> bool:
    return next(iter(export._validator().iter_errors(data)), None) is None


def assert_agree(data: dict, *, compare_problems: bool = True) -> bool:
    """The fast check is never looser than jsonschema, and `contract_problems` says what it said
    before (jsonschema alone). It may be stricter: a pattern's `$` is `\\Z` to it, and then
    jsonschema decides."""
    snapshot = repr(data)  # repr, not ==: NaN != NaN
    fast = fast_says_valid(data)
    assert repr(data) == snapshot, "the fast check changed the record"
    if fast:
        assert jsonschema_says_valid(data), json.dumps(data, ensure_ascii=False, default=repr)[:2000]
    if compare_problems or fast:  # on an invalid record both run the very same jsonschema code
        assert outcome(export.contract_problems, data) == outcome(reference_problems, data)
    return fast


def outcome(check, data):
    """The problems, or the exception's type: a float page or offset (1.0) is an integer to the
    schema, then the consistency checks index with it and raise TypeError, before as now."""
    try:
        return check(data)
    except TypeError as exc:
        return type(exc)


# -- mutations: every place in the record, every kind of wrong value ---------------------------

WRONG_VALUES = [None, True, False, 0, -1, 1, 2, 1.0, 1.5, -0.5, float("inf"), float("nan"), "", "x", "e1", "p1",
                "ru", "und", "1937", [], [None], ["e1"], {}, {"x": 1}]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, path + (index,))


def _get(data, path):
    for key in path:
        data = data[key]
    return data


def _set(data, path, value):
    data = copy.deepcopy(data)
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def mutations(base: dict):
    for path in _paths(base):
        current = _get(base, path)
        for value in WRONG_VALUES:
            yield f"{path} = {value!r}", _set(base, path, value)
        if isinstance(current, str):
            for value in (current + "\n", " " + current, current.upper(), current + current, current[:-1]):
                yield f"{path} = {value!r}", _set(base, path, value)
        if isinstance(current, list):
            if current:
                yield f"{path} first item twice", _set(base, path, current + current[:1])
                yield f"{path} without its last item", _set(base, path, current[:-1])
        if isinstance(current, dict):
            for key in current:
                yield f"{path} without {key}", _set(base, path, {k: v for k, v in current.items() if k != key})
            yield f"{path} with an extra property", _set(base, path, {**current, "extra_field": [1, 2]})
        if isinstance(current, (int, float)) and not isinstance(current, bool):
            for value in (current + 1, current - 1, -current, float(current), current + 0.5, 10**20):
                yield f"{path} = {value!r}", _set(base, path, value)


TARGETED = [
    # dates: the EDTF-ish pattern and its oneOf with null
    *[("persons.0.events.0.date", date) for date in (
        "1937-13", "1937-00", "1937-02-32", "1937-02-00", "1937-25", "37", "19370", "1937-8-15", "15.VIII.1937",
        "1937~~", "1937?%", "1937/", "/1937", "../..", "1937/..", "1937-08-15/1938-01", "1937\n", "1937 ",
        "١٩٣٧", "１９３７", "1937-21-01", "1937-24", "1937-08-15T00:00", 1937, ["1937"],
        # EDTF unspecified digits: level 1 and the pipeline's XXXX-MM-DD pass, the rest does not
        "193X", "19XX", "1937-XX", "1937-08-XX", "1937-XX-XX", "XXXX-08-15", "193X~", "1937-XX-15", "XXXX",
        "1XXX", "19X7", "193x", "193X-05", "XXXX-05", "XXXX-13-01", "1937-21-XX", "193X/1946")],
    # a DATE entity's normalized value is a date; other labels' are not
    *[("entities.2.normalized", value) for value in ("1937-08-15", "193X", "XXXX-08-15", None, "1937-XX-15",
                                                      "в 30-х годах", "", 1937)],
    ("entities.0.normalized", "193Y"), ("entities.2.label", "PERSON"), ("entities.0.label", "DATE"),
    # enums and const
    ("schema", "testimony-record/2"), ("schema", None), ("pages.0.method", "OCR"), ("pages.0.method", None),
    ("entities.0.label", "person"), ("entities.0.label", "MISC"), ("persons.0.gender", "f"),
    ("persons.0.gender", ""), ("persons.0.relations.0.type", "friend"), ("persons.0.events.0.type", "Arrest"),
    # patterns
    ("document.id", "3F2A9C0D1E7B4A55"), ("document.id", "3f2a9c0d1e7b4a5"), ("document.id", "3f2a9c0d1e7b4a55\n"),
    ("document.sha256", "g" * 64), ("entities.0.id", "E1"), ("entities.0.id", "e"), ("entities.0.id", "e1a"),
    ("persons.0.id", "person1"), ("persons.0.relations.0.person", "p"), ("persons.0.mentions", ["e1", "x1"]),
    ("pages.0.language_spans.0.lang", "rus"), ("pages.0.language_spans.0.lang", "RU"),
    ("document.languages", ["ru", "ru"]), ("document.languages", ["ru", "kk"]), ("document.languages", ["ru", 1]),
    # numbers and bounds
    ("pages.0.ocr_confidence", 1.0000001), ("pages.0.ocr_confidence", -0.0), ("pages.0.ocr_confidence", None),
    ("pages.0.ocr_confidence", True), ("entities.0.bbox", [0, 0, 0]), ("entities.0.bbox", [0, 0, 0, 0, 0]),
    ("entities.0.bbox", [0, -1, 0, 0]), ("entities.0.bbox", [0.5, 1, 2, 3]), ("entities.0.bbox", [0, 0, 0, "0"]),
    ("entities.0.end", 0), ("document.page_count", 0),
    ("document.page_count", 1.0), ("persons.0.events.3.term_years", -1), ("persons.0.events.3.term_years", 8.5),
    ("pages", []),
    # strings that must not be empty
    ("document.source", ""), ("entities.0.normalized", ""), ("persons.0.name.full", ""),
    ("persons.0.aliases", [""]), ("persons.0.events.3.organ", ""), ("persons.0.birth.alternatives.0.place", ""),
]


def test_the_fast_check_is_there_and_passes_a_full_record():
    assert export._fast_validator() is not None, "fastjsonschema missing, or the schema uses a keyword it would misread"
    data = full_record()
    assert export.contract_problems(data) == []
    assert fast_says_valid(data) and jsonschema_says_valid(data)


def test_compiling_leaves_the_schema_as_it_is():
    export._fast_validator()
    assert export._schema() == json.loads(export.SCHEMA_PATH.read_text(encoding="utf-8"))


def test_fast_check_and_jsonschema_agree_on_every_mutation():
    base = full_record()
    seen = valid = 0
    for label, data in mutations(base):
        try:
            valid += assert_agree(data, compare_problems=False)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from None
        seen += 1
    assert seen > 1500 and 0 < valid < seen  # both outcomes are exercised


@pytest.mark.parametrize("path, value", TARGETED, ids=[f"{p}={v!r}" for p, v in TARGETED])
def test_fast_check_and_jsonschema_agree_on_targeted_cases(path, value):
    keys = tuple(int(key) if key.isdigit() else key for key in path.split("."))
    assert_agree(_set(full_record(), keys, value))


def test_known_differences_of_fastjsonschema():
    # A tuple passes as an array (json.dumps writes an array, so what is written is valid);
    # "$" is "\\Z" to fastjsonschema, stricter than jsonschema, which then has the last word.
    tuple_bbox = _set(full_record(), ("entities", 0, "bbox"), (10, 20, 90, 40))
    assert fast_says_valid(tuple_bbox) and jsonschema_says_valid(json.loads(json.dumps(tuple_bbox)))
    newline_id = _set(full_record(), ("document", "id"), "3f2a9c0d1e7b4a55\n")
    assert not fast_says_valid(newline_id) and jsonschema_says_valid(newline_id)
    assert export.contract_problems(newline_id) == reference_problems(newline_id) == []


def test_invalid_records_keep_jsonschemas_messages():
    data = full_record()
    data["pages"][0]["method"] = "magic"
    data["persons"][0]["birth"]["date"] = "15.VIII.1937"
    problems = export.contract_problems(data)
    assert problems == reference_problems(data)
    assert problems == [
        "pages/0/method: 'magic' is not one of ['ocr', 'text-layer']",
        "persons/0/birth/date: '15.VIII.1937' is not valid under any of the given schemas",
    ]


def test_a_date_entity_s_problem_names_its_normalized_value():
    # the entity's anyOf (not a DATE, or a date) fails as a whole; the message names the value
    data = _set(full_record(), ("entities", 2, "normalized"), "в 30-х годах")
    assert export.contract_problems(data) == [
        "entities/2/normalized: 'в 30-х годах' is not valid under any of the given schemas"]
    assert export.contract_problems(_set(full_record(), ("entities", 0, "normalized"), "в 30-х годах")) == []


@pytest.mark.parametrize(
    "fragment",
    [
        {"prefixItems": [{"type": "string"}]},
        {"unevaluatedProperties": False},
        {"dependentRequired": {"a": ["b"]}},
        {"items": [{"type": "string"}]},
        {"$ref": "#/$defs/lang", "minLength": 2},
        {"$ref": "https://example.org/other.json"},
        {"$dynamicRef": "#meta"},
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"format": "date"},
        {"type": "number", "multipleOf": 0.01},
        {"$defs": {"x": {"minContains": 1}}},
    ],
)
def test_a_schema_fastjsonschema_would_misread_gets_no_fast_check(fragment):
    schema = copy.deepcopy(export._schema())
    schema["properties"]["document"]["properties"]["extra"] = fragment
    with pytest.raises(ValueError):
        export._fast_schema(schema)


def test_without_a_fast_check_jsonschema_still_checks_every_record(monkeypatch):
    schema = copy.deepcopy(export._schema())
    schema["properties"]["pages"]["unevaluatedItems"] = False
    monkeypatch.setattr(export, "_schema", lambda: schema)
    export._fast_validator.cache_clear()
    try:
        assert export._fast_validator() is None
        assert export.contract_problems(full_record()) == []
        broken = _set(full_record(), ("pages", 0, "method"), "magic")
        assert export.contract_problems(broken) == ["pages/0/method: 'magic' is not one of ['ocr', 'text-layer']"]
    finally:
        export._fast_validator.cache_clear()

# -- hypothesis: any JSON value anywhere -------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8) | st.sampled_from(["", "ru", "und", "e1", "p2", "1937-08", "ocr", "PERSON", "female"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=8,
)
BASE = full_record()
BASE_PATHS = list(_paths(BASE))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(BASE_PATHS), JSON_VALUES), min_size=1, max_size=3))
def test_fast_check_and_jsonschema_agree_on_random_values(changes):
    data = BASE
    for path, value in changes:
        try:
            data = _set(data, path, value)
        except (KeyError, IndexError, TypeError):  # an earlier change removed the place
            continue
    assert_agree(data)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\A[0-9.~?%/-]{0,12}\Z") | st.from_regex(r"\A\d{4}(-\d{2}(-\d{2})?)?[~?%]?\Z"))
def test_fast_check_and_jsonschema_agree_on_date_like_strings(date):
    assert_agree(_set(BASE, ("persons", 0, "events", 0, "date"), date))


def test_null_or_a_typed_value_is_checked_as_a_type_list():
    rewrite = export._null_or_as_type_list
    bbox = {"oneOf": [{"type": "null"}, {"type": "array", "items": {"type": "number"}, "minItems": 4}]}
    assert rewrite(bbox) == {"type": ["null", "array"], "items": {"type": "number"}, "minItems": 4}
    fast = export._fast_schema(export._schema())
    assert "oneOf" not in json.dumps(fast["properties"]["entities"]["items"]["properties"]["bbox"])
    assert fast["$defs"]["date_or_null"]["type"] == ["null", "string"]
    # keywords that would also constrain null (enum, const, not, ...) keep the oneOf
    for branch in ({"type": "string", "enum": ["a"]}, {"type": "string", "not": {"const": "b"}},
                   {"type": ["string", "null"]}, {"$ref": "#/$defs/lang"}):
        node = {"oneOf": [{"type": "null"}, branch]}
        assert rewrite(node) == node
    assert rewrite({"oneOf": [{"type": "null"}, {"type": "string"}], "type": "string"})["oneOf"]
