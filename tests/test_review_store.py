"""Review decisions: concurrent appends, applying on read, re-runs (re-anchoring and stale flags), validation."""

from __future__ import annotations

import copy
import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from pipeline import export
from pipeline.review import store
from tests.review_samples import build_record

SHA = "ab" * 32
DOC = SHA[:16]


def make_out(tmp_path: Path, record: dict | None = None) -> tuple[Path, dict]:
    record = record or build_record(SHA, "cards/kovaleva.png", 2400, 500)
    out = tmp_path / "out"
    export.write_json_atomic(out / f"{DOC}.json", record)
    return out, record


def entity_by_text(record: dict, text: str) -> dict:
    return next(e for e in record["entities"] if e["text"] == text)


def rerun(out: Path, record: dict) -> None:
    """What `testimony run --force` does to the machine output: replaces the record."""
    export.write_json_atomic(out / f"{DOC}.json", record)


def shifted_record(record: dict, prefix: str = "ДЕЛО № 114\n") -> dict:
    """A re-run whose OCR read an extra line first and found one more entity: every offset and id moves."""
    new = copy.deepcopy(record)
    page = new["pages"][0]
    page["text"] = prefix + page["text"]
    page["language_spans"] = [{"start": 0, "end": len(page["text"]), "lang": "ru", "confidence": 0.99}]
    renumber = {}
    entities = [{
        "id": "e1", "label": "ORG", "text": "ДЕЛО", "page": 1, "start": 0, "end": 4, "lang": "ru",
        "normalized": None, "confidence": 0.5, "bbox": [80, 10, 200, 60],
    }]
    for entity in new["entities"]:
        moved = {**entity, "id": f"e{len(entities) + 1}", "start": entity["start"] + len(prefix),
                 "end": entity["end"] + len(prefix)}
        renumber[entity["id"]] = moved["id"]
        entities.append(moved)
    new["entities"] = entities
    for person in new["persons"]:
        person["id"] = "p2"
        person["mentions"] = [renumber[m] for m in person["mentions"]]
        for event in person["events"]:
            event["evidence"] = [renumber[m] for m in event["evidence"]]
    new["persons"].insert(0, {"id": "p1", "name": {"full": "Иванов", "surname": "Иванов", "given": None,
                                                   "patronymic": None},
                              "birth": {"date": None, "place": None}, "events": [], "mentions": []})
    assert export.contract_problems(new) == []
    return new


# --------------------------------------------------------------------------- storage


def _append_many(out: str, worker: int, count: int) -> None:
    for index in range(count):
        store.append_decision(Path(out), DOC, {
            "reviewer": f"w{worker}", "action": "document_status", "target": "document", "target_id": DOC,
            "old": None, "new": {"status": "in_progress"}, "note": f"{worker}-{index}-" + "x" * 2000,
        })


def test_concurrent_appends_from_threads_and_processes_lose_nothing(tmp_path):
    out, _ = make_out(tmp_path)
    threads = [threading.Thread(target=_append_many, args=(str(out), n, 25)) for n in range(6)]
    # spawn, not fork: a child forked while a thread holds the lock would inherit the locked file
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(out), 100 + n, 25)) for n in range(3)]
    for worker in threads + processes:
        worker.start()
    for worker in threads + processes:
        worker.join(timeout=60)
    for process in processes:
        if process.is_alive():  # pragma: no cover - a hang is the failure, not a stuck suite
            process.kill()
    assert [p.exitcode for p in processes] == [0, 0, 0]
    lines = store.reviews_path(out, DOC).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 9 * 25
    decisions = [json.loads(line) for line in lines]  # every line whole: none interleaved
    assert len({d["id"] for d in decisions}) == 9 * 25
    assert {d["note"].rsplit("-", 1)[0] for d in decisions} == {
        f"{w}-{i}" for w in [*range(6), *range(100, 103)] for i in range(25)}
    assert store.load_decisions(out, DOC) == decisions


def test_stored_decision_says_who_when_what_and_on_which_output(tmp_path):
    out, record = make_out(tmp_path)
    decision = store.submit(out, DOC, {"action": "relabel", "entity": "e4", "label": "ORG"}, "anna")
    assert decision["reviewer"] == "anna" and decision["doc_id"] == DOC
    assert decision["at"].endswith("+00:00") and len(decision["id"]) == 32
    assert decision["target"] == "entity" and decision["target_id"] == "e4"
    assert decision["anchor"] == {"page": 1, "start": record["entities"][3]["start"],
                                  "end": record["entities"][3]["end"], "label": "PLACE", "text": "Акмолинске"}
    assert decision["old"] == {"label": "PLACE"} and decision["new"] == {"label": "ORG"}
    assert decision["pipeline_version"] == record["document"]["pipeline_version"]
    assert decision["sha256"] == SHA and decision["record_digest"] == store.record_digest(record)
    assert store.load_decisions(out, DOC) == [decision]


def test_a_damaged_line_is_skipped_and_the_rest_kept(tmp_path):
    out, _ = make_out(tmp_path)
    store.submit(out, DOC, {"action": "accept", "entity": "e1"}, "anna")
    with open(store.reviews_path(out, DOC), "a", encoding="utf-8") as handle:
        handle.write('{"id": "cut off in the mid\n')
    store.submit(out, DOC, {"action": "accept", "entity": "e2"}, "anna")
    assert [d["target_id"] for d in store.load_decisions(out, DOC)] == ["e1", "e2"]


# --------------------------------------------------------------------------- applying


def test_apply_on_read_leaves_the_machine_output_alone(tmp_path):
    out, record = make_out(tmp_path)
    before = (out / f"{DOC}.json").read_bytes()
    text = record["pages"][0]["text"]
    store.submit(out, DOC, {"action": "accept", "entity": "e1"}, "anna")
    store.submit(out, DOC, {"action": "reject", "entity": "e5"}, "anna")
    store.submit(out, DOC, {"action": "relabel", "entity": "e2", "label": "ORG"}, "boris")
    start = text.index("марта 1938")
    store.submit(out, DOC, {"action": "correct", "entity": "e3", "start": start, "end": start + len("марта 1938"),
                            "normalized": "1938-03"}, "boris")
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "birth.place",
                            "value": "Вильно"}, "anna")
    assert (out / f"{DOC}.json").read_bytes() == before

    original = copy.deepcopy(record)
    reviewed, flags = store.apply_reviews(record, store.load_decisions(out, DOC))
    assert record == original and flags == []
    by_id = {e["id"]: e for e in reviewed["entities"]}
    assert "e5" not in by_id and reviewed["review"]["rejected_entities"] == ["e5"]
    assert by_id["e1"]["review"]["status"] == "accepted" and by_id["e1"]["review"]["by"] == "anna"
    assert by_id["e2"]["label"] == "ORG" and by_id["e2"]["review"]["machine"]["label"] == "DATE"
    assert (by_id["e3"]["text"], by_id["e3"]["normalized"]) == ("марта 1938", "1938-03")
    assert by_id["e3"]["start"] == start and text[by_id["e3"]["start"]:by_id["e3"]["end"]] == by_id["e3"]["text"]
    assert reviewed["persons"][0]["birth"]["place"] == "Вильно"
    assert reviewed["persons"][0]["review"]["corrected_fields"] == ["birth.place"]
    assert reviewed["review"]["status"] == "in_progress" and reviewed["review"]["decisions"] == 5
    assert export.contract_problems(reviewed) == []  # the reviewed record still keeps the contract

    kept, _ = store.apply_reviews(record, store.load_decisions(out, DOC), keep_rejected=True)
    assert next(e for e in kept["entities"] if e["id"] == "e5")["review"]["status"] == "rejected"


def test_rejecting_an_entity_removes_it_from_the_persons_too(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "reject", "entity": "e3"}, "anna")
    store.submit(out, DOC, {"action": "reject", "entity": "e2"}, "anna")
    reviewed, _ = store.apply_reviews(record, store.load_decisions(out, DOC))
    assert reviewed["persons"][0]["events"][0]["evidence"] == ["e4"]
    assert reviewed["persons"][0]["birth"]["evidence"] == []
    assert reviewed["persons"][0]["mentions"] == ["e1"]
    assert export.contract_problems(reviewed) == []


def test_the_latest_decision_wins_and_a_rejection_can_be_undone(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "reject", "entity": "e2"}, "anna")
    store.submit(out, DOC, {"action": "accept", "entity": "e2"}, "boris")
    reviewed, _ = store.apply_reviews(record, store.load_decisions(out, DOC))
    e2 = next(e for e in reviewed["entities"] if e["id"] == "e2")
    assert e2["review"]["status"] == "accepted" and e2["review"]["by"] == "boris"
    assert len(e2["review"]["decisions"]) == 2


def test_document_status_and_is_reviewed(tmp_path):
    out, record = make_out(tmp_path)
    assert not store.is_reviewed(out, DOC)
    assert store.apply_reviews(record, [])[0]["review"]["status"] == "unreviewed"
    store.submit(out, DOC, {"action": "accept", "entity": "e1"}, "anna")
    assert not store.is_reviewed(out, DOC)
    store.submit(out, DOC, {"action": "document_status", "status": "reviewed"}, "anna")
    assert store.is_reviewed(out, DOC)
    store.submit(out, DOC, {"action": "document_status", "status": "in_progress"}, "boris")
    assert not store.is_reviewed(out, DOC)
    assert not store.is_reviewed(out, "0" * 16)  # no such record
    assert not store.is_reviewed(out, "../../etc/passwd")


# --------------------------------------------------------------------------- re-runs


def test_decisions_follow_their_entities_through_a_rerun_that_renumbers_and_shifts(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "reject", "entity": "e2"}, "anna")  # "1901"
    store.submit(out, DOC, {"action": "correct", "entity": "e3", "normalized": "1938-03-04"}, "anna")
    store.submit(out, DOC, {"action": "relabel", "entity": "e4", "label": "ORG"}, "anna")
    text = record["pages"][0]["text"]
    start = text.index("Анна Ивановна")
    store.submit(out, DOC, {"action": "correct", "entity": "e1", "start": start, "end": start + 13}, "anna")
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "birth.place",
                            "value": "Вильно"}, "anna")
    store.submit(out, DOC, {"action": "document_status", "status": "reviewed"}, "anna")
    assert store.is_reviewed(out, DOC)

    new = shifted_record(record)
    rerun(out, new)
    reviewed, flags = store.apply_reviews(new, store.load_decisions(out, DOC), keep_rejected=True)
    by_text = {e["review"]["machine"]["text"] if "review" in e else e["text"]: e for e in reviewed["entities"]}
    assert by_text["1901"]["id"] == "e3" and by_text["1901"]["review"]["status"] == "rejected"
    assert by_text["3 марта 1938"]["id"] == "e4" and by_text["3 марта 1938"]["normalized"] == "1938-03-04"
    assert by_text["Акмолинске"]["label"] == "ORG"
    person = by_text["Ковалёва Анна Ивановна"]
    assert person["text"] == "Анна Ивановна" and new["pages"][0]["text"][person["start"]:person["end"]] == "Анна Ивановна"
    assert "review" not in by_text["ДЕЛО"]
    kovaleva = next(p for p in reviewed["persons"] if p["name"]["full"] == "Ковалёва Анна Ивановна")
    assert kovaleva["id"] == "p2" and kovaleva["birth"]["place"] == "Вильно"
    assert "review" not in reviewed["persons"][0]
    # every decision applied; the output changed, so the "reviewed" mark is outdated (new entity e1 unseen)
    assert [f["kind"] for f in flags] == ["outdated"]
    assert reviewed["review"]["status"] == "in_progress" and not store.is_reviewed(out, DOC)
    store.submit(out, DOC, {"action": "document_status", "status": "reviewed"}, "anna")
    assert store.is_reviewed(out, DOC)


def test_an_identical_rerun_keeps_the_reviewed_mark(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "document_status", "status": "reviewed"}, "anna")
    rerun(out, copy.deepcopy(record))
    assert store.is_reviewed(out, DOC)


def test_a_decision_whose_entity_is_gone_is_flagged_stale_until_dismissed(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "correct", "entity": "e4", "normalized": "Акмолинск (Астана)"}, "anna")
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "name.given",
                            "value": "Анна"}, "anna")
    store.submit(out, DOC, {"action": "accept", "entity": "e2"}, "anna")
    new = copy.deepcopy(record)
    page = new["pages"][0]
    page["text"] = page["text"].replace("Акмолинске", "Акмолинсне")  # OCR read it differently this time
    new["entities"] = [e for e in new["entities"] if e["id"] != "e4"]
    new["persons"][0]["name"]["full"] = "Ковалева Анна Ивановна"
    new["persons"][0]["events"][0]["evidence"] = ["e3"]
    assert export.contract_problems(new) == []
    rerun(out, new)

    reviewed, flags = store.apply_reviews(new, store.load_decisions(out, DOC))
    stale = [f for f in flags if f["kind"] == "stale"]
    assert [(f["target"], f["action"]) for f in stale] == [("entity", "correct"), ("person", "correct_person_field")]
    assert "Акмолинске" in stale[0]["reason"] and stale[0]["new"] == {"normalized": "Акмолинск (Астана)"}
    assert stale[0]["reviewer"] == "anna" and stale[0]["at"]
    assert reviewed["review"]["stale"] == 2
    assert next(e for e in reviewed["entities"] if e["id"] == "e2")["review"]["status"] == "accepted"

    store.submit(out, DOC, {"action": "document_status", "status": "reviewed"}, "anna")
    assert not store.is_reviewed(out, DOC)  # not while decisions are stale
    for flag in stale:
        store.submit(out, DOC, {"action": "dismiss", "decision": flag["decision"]}, "anna")
    reviewed, flags = store.apply_reviews(new, store.load_decisions(out, DOC))
    assert flags == [] and reviewed["review"]["stale"] == 0
    assert store.is_reviewed(out, DOC)


# --------------------------------------------------------------------------- validation and conflicts


@pytest.mark.parametrize(
    "request_, message",
    [
        ({"action": "delete_everything"}, "unknown action"),
        ({"action": "accept", "entity": "e99"}, "no entity e99"),
        ({"action": "accept", "entity": "../e1"}, "entity id"),
        ({"action": "accept", "entity": 1}, "entity id"),
        ({"action": "accept", "entity": "e1", "path": "/etc/passwd"}, "unexpected fields"),
        ({"action": "relabel", "entity": "e1", "label": "WEAPON"}, "label must be one of"),
        ({"action": "correct", "entity": "e1", "start": 5, "end": 100_000}, "outside the page text"),
        ({"action": "correct", "entity": "e1", "start": -1, "end": 3}, "outside the page text"),
        ({"action": "correct", "entity": "e1", "start": 9, "end": 3}, "outside the page text"),
        ({"action": "correct", "entity": "e1", "start": "0", "end": 3}, "whole number"),
        ({"action": "correct", "entity": "e1", "start": True, "end": 3}, "whole number"),
        ({"action": "correct", "entity": "e1", "text": "не на странице"}, "not on the entity's page"),
        ({"action": "correct", "entity": "e1"}, "correct needs"),
        ({"action": "correct", "entity": "e3", "normalized": "3 марта"}, "ISO 8601"),
        ({"action": "correct", "entity": "e1", "normalized": "x" * 501}, "longer than 500"),
        ({"action": "correct", "entity": "e1", "normalized": "a\x00b"}, "control characters"),
        ({"action": "correct_person_field", "person": "p9", "field": "name.full", "value": "X"}, "no person p9"),
        ({"action": "correct_person_field", "person": "p1", "field": "__class__", "value": "X"}, "field must be"),
        ({"action": "correct_person_field", "person": "p1", "field": "events.5.date", "value": "1938"}, "no event 5"),
        ({"action": "correct_person_field", "person": "p1", "field": "birth.date", "value": "1901 г."}, "not a date"),
        ({"action": "correct_person_field", "person": "p1", "field": "events.0.type", "value": "x"}, "must be one of"),
        ({"action": "correct_person_field", "person": "p1", "field": "events.0.term_years", "value": "8"}, "field must be"),
        ({"action": "document_status", "status": "done"}, "status must be"),
        ({"action": "dismiss", "decision": "../../x"}, "id of a stale decision"),
        ({"action": "accept", "entity": "e1", "reviewer": "r" * 65}, "longer than 64"),
    ],
)
def test_invalid_requests_are_refused_and_nothing_is_stored(tmp_path, request_, message):
    out, _ = make_out(tmp_path)
    with pytest.raises(store.InvalidDecision, match=message):
        store.submit(out, DOC, request_, "anna")
    assert store.load_decisions(out, DOC) == []


@pytest.mark.parametrize("doc_id", ["../../etc/passwd", "ABCDEF0123456789", "abc", "0123456789abcdef/..", "", None])
def test_document_ids_cannot_name_another_path(tmp_path, doc_id):
    with pytest.raises(store.InvalidDecision):
        store.reviews_path(tmp_path, doc_id)
    with pytest.raises(store.InvalidDecision):
        store.record_path(tmp_path, doc_id)


def test_empty_value_means_unknown(tmp_path):
    out, record = make_out(tmp_path)
    store.submit(out, DOC, {"action": "correct", "entity": "e1", "normalized": "  "}, "anna")
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "name.given", "value": ""}, "anna")
    reviewed, _ = store.apply_reviews(record, store.load_decisions(out, DOC))
    assert reviewed["entities"][0]["normalized"] is None
    assert reviewed["persons"][0]["name"]["given"] is None


def test_two_reviewers_on_the_same_entity_the_second_is_told(tmp_path):
    out, record = make_out(tmp_path)
    seen = None  # both loaded the page before anyone decided on e3
    store.submit(out, DOC, {"action": "correct", "entity": "e3", "normalized": "1938-03-04", "expect": seen}, "anna")
    with pytest.raises(store.Conflict, match="anna"):
        store.submit(out, DOC, {"action": "correct", "entity": "e3", "normalized": "1938-04-03", "expect": seen}, "boris")
    latest = store.load_decisions(out, DOC)[-1]["id"]
    store.submit(out, DOC, {"action": "correct", "entity": "e3", "normalized": "1938-04-03", "expect": latest}, "boris")
    # a different field of the same person is no conflict
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "birth.place",
                            "value": "Вильно", "expect": None}, "anna")
    store.submit(out, DOC, {"action": "correct_person_field", "person": "p1", "field": "name.given",
                            "value": "Анна", "expect": None}, "boris")
    assert len(store.load_decisions(out, DOC)) == 4


def test_concurrent_submits_on_one_entity_exactly_one_wins(tmp_path):
    out, _ = make_out(tmp_path)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def reviewer(n: int) -> None:
        barrier.wait()
        try:
            store.submit(out, DOC, {"action": "correct", "entity": "e2", "normalized": f"19{n:02d}", "expect": None},
                         f"r{n}")
            results.append("saved")
        except store.Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict"] * 7 + ["saved"]
    assert len(store.load_decisions(out, DOC)) == 1
