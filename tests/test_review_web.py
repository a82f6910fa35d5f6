"""The review web app through Flask's test client: routes, input validation, escaping, headers."""

from __future__ import annotations

import json
import re

import pytest

from pipeline import cli
from pipeline.review import store
from pipeline.review.app import create_app, highlight
from tests.review_samples import HOSTILE, make_review_output


@pytest.fixture()
def site(tmp_path):
    out, inputs, record = make_review_output(tmp_path)
    app = create_app(out, reviewer="tester")
    return app.test_client(), out, inputs, record


def post(client, doc_id, body, **headers):
    return client.post(f"/api/doc/{doc_id}/decisions", json=body, headers=headers)


def other_doc(out, record) -> str:
    return next(p.stem for p in out.glob("*.json") if p.stem not in (record["document"]["id"], "run"))


def test_document_list(site):
    client, out, _, record = site
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "cards/kovaleva.png" in html and "elsewhere/missing.png" in html
    assert f'href="/doc/{record["document"]["id"]}"' in html
    assert "2 not reviewed" in html


def test_document_page_shows_image_boxes_text_and_persons(site):
    client, _, _, record = site
    doc_id = record["document"]["id"]
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert f'src="/doc/{doc_id}/page/1.png"' in html
    assert len(re.findall(r'<rect class="box lab-', html)) == len(record["entities"])
    assert f'viewBox="0 0 {record["pages"][0]["width"]} {record["pages"][0]["height"]}"' in html
    assert '<mark class="ent lab-PERSON st-unreviewed" data-eid="e1"' in html
    assert 'value="Ковалёва Анна Ивановна"' in html  # person fields
    image = client.get(f"/doc/{doc_id}/page/1.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"


def test_missing_input_file_shows_the_text_with_a_notice(site):
    client, out, _, record = site
    missing = other_doc(out, record)
    html = client.get(f"/doc/{missing}").get_data(as_text=True)
    assert 'id="no-image"' in html and "elsewhere/missing.png" in html and 'id="page-image"' not in html
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;") in html
    assert client.get(f"/doc/{missing}/page/1.png").status_code == 404


def test_without_run_json_or_inputs_there_are_no_images_and_inputs_bring_them_back(tmp_path):
    out, inputs, record = make_review_output(tmp_path, run_json=False)
    doc_id = record["document"]["id"]
    client = create_app(out).test_client()
    assert 'id="no-image"' in client.get(f"/doc/{doc_id}").get_data(as_text=True)
    client = create_app(out, inputs=[inputs]).test_client()
    assert client.get(f"/doc/{doc_id}/page/1.png").status_code == 200
    # a file given as input (not its folder) is found by name
    client = create_app(out, inputs=[inputs / "cards" / "kovaleva.png"]).test_client()
    assert client.get(f"/doc/{doc_id}/page/1.png").status_code == 404  # its source is cards/kovaleva.png


def test_an_input_file_with_other_content_is_not_shown(site):
    client, _, inputs, record = site
    (inputs / "cards" / "kovaleva.png").write_bytes(b"\x89PNG\r\n\x1a\nnot the scan any more")
    assert client.get(f"/doc/{record['document']['id']}/page/1.png").status_code == 404


@pytest.mark.parametrize(
    "path, codes",
    [
        ("/doc/../../etc/passwd", {404}),
        ("/doc/..%2f..%2fetc%2fpasswd", {404}),
        ("/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd", {404}),
        ("/doc/..", {400, 404}),
        ("/doc/run", {400}),
        ("/doc/errors", {400}),
        ("/doc/ABCDEF0123456789", {400}),
        ("/doc/0123456789abcdef0", {400}),
        ("/doc/0123456789abcdef", {404}),
        ("/doc/0123456789abcdef/page/1.png", {404}),
        ("/static/../../../../etc/passwd", {404}),
        ("/static/..%2f..%2fstore.py", {404}),
        ("/api/doc/..%2f..%2fetc%2fpasswd", {404}),
        ("/api/doc/zzzz", {400}),
    ],
)
def test_path_traversal_and_bad_ids(site, path, codes):
    client, *_ = site
    response = client.get(path)
    assert response.status_code in codes
    assert b"root:" not in response.data


@pytest.mark.parametrize("query, code", [("page=0", 404), ("page=2", 404), ("page=-1", 400), ("page=abc", 400),
                                         ("page=1e3", 400), ("page=%C2%B2", 400), ("page=99999999999", 400)])
def test_bad_page_numbers(site, query, code):
    client, _, _, record = site
    assert client.get(f"/doc/{record['document']['id']}?{query}").status_code == code


@pytest.mark.parametrize("page", ["0", "2", "-1", "x"])
def test_bad_page_image_numbers(site, page):
    client, _, _, record = site
    assert client.get(f"/doc/{record['document']['id']}/page/{page}.png").status_code == 404


def test_script_in_ocr_text_is_shown_escaped(site):
    client, _, _, record = site
    response = client.get(f"/doc/{record['document']['id']}")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # in the text, the entity list
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    # the data for the page's script is JSON with <, > escaped, inside a non-executable script element
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data and json.loads(data)["entities"][4]["text"] == HOSTILE
    # scripts only from this server's /static, and no other <script> than that and the data
    assert re.findall(r"<script[^>]*>", html) == ['<script type="application/json" id="review-data">',
                                                  '<script src="/static/review.js">']
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_highlight_escapes_text_and_attributes():
    text = 'a <b>"x"</b> & \'y\' <script>alert(1)</script>'
    entities = [{"id": "e1", "label": 'PERSON"><script>', "start": 2, "end": 12, "review": {"status": "<i>"}},
                {"id": "e2", "label": "ORG", "start": 24, "end": len(text)}]
    html = str(highlight(text, entities))
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") \
        .replace("&#34;", '"').replace("&#39;", "'") == text


def test_highlight_keeps_the_text_exactly_for_overlaps_and_bad_offsets():
    text = "Иванов Иван Иванович, 1937"
    entities = [{"id": "e1", "label": "PERSON", "start": 0, "end": 20},
                {"id": "e2", "label": "PERSON", "start": 7, "end": 11},
                {"id": "e3", "label": "DATE", "start": 22, "end": 99}]
    html = str(highlight(text, entities))
    assert re.sub(r"<[^>]+>", "", html) == text
    assert 'data-eid="e2"' in html and "overlap" in html and 'data-eid="e3"' not in html


def test_reviewer_names_and_values_with_markup_are_stored_as_text_and_shown_escaped(site):
    client, out, _, record = site
    doc_id = record["document"]["id"]
    evil = "<script>alert(3)</script>"
    assert post(client, doc_id, {"action": "correct", "entity": "e1", "normalized": evil, "reviewer": evil,
                                 "page": 1}).status_code == 200
    assert post(client, doc_id, {"action": "document_status", "status": "reviewed", "reviewer": evil,
                                 "page": 1}).status_code == 200
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert "<script>alert(3)" not in html and "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert store.load_decisions(out, doc_id)[0]["reviewer"] == evil


def test_a_decision_round_trip_returns_fresh_fragments(site):
    client, out, _, record = site
    doc_id = record["document"]["id"]
    response = post(client, doc_id, {"action": "correct", "entity": "e3", "normalized": "1938-03-04",
                                     "expect": None, "page": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert body["decision"]["reviewer"] == "tester"  # the server's --reviewer when the page sends none
    assert set(body["fragments"]) == {"text", "boxes", "entity-list", "persons", "flags", "doc-status"}
    assert "1938-03-04" in body["fragments"]["entity-list"]
    assert "<script>alert" not in "".join(body["fragments"].values())
    e3 = next(e for e in body["data"]["entities"] if e["id"] == "e3")
    assert e3["normalized"] == "1938-03-04" and e3["status"] == "corrected" and e3["last"] == body["decision"]["id"]
    # a second reviewer who saw the old state is told, not overridden silently
    stale_view = post(client, doc_id, {"action": "accept", "entity": "e3", "expect": None, "page": 1})
    assert stale_view.status_code == 409 and "tester" in stale_view.get_json()["error"]
    api = client.get(f"/api/doc/{doc_id}").get_json()
    assert len(api["decisions"]) == 1 and api["flags"] == []
    assert json.loads((out / f"{doc_id}.json").read_text(encoding="utf-8")) == record


@pytest.mark.parametrize(
    "body",
    [
        {"action": "accept", "entity": "e42", "page": 1},
        {"action": "accept", "entity": "e1; rm -rf /", "page": 1},
        {"action": "relabel", "entity": "e1", "label": "person", "page": 1},
        {"action": "correct", "entity": "e1", "start": 0, "end": 10_000, "page": 1},
        {"action": "correct", "entity": "e1", "normalized": "x" * 5000, "page": 1},
        {"action": "correct_person_field", "person": "p1", "field": "name.__dict__", "value": "x", "page": 1},
        {"action": "accept", "entity": "e1", "page": 7},
        {"action": "accept", "entity": "e1", "page": "1"},
        {"action": "accept", "entity": "e1", "page": 1, "expect": "../../x"},
        {"action": "accept", "entity": "e1", "page": 1, "file": "../../../etc/passwd"},
        [1, 2, 3],
        "accept",
    ],
)
def test_bad_decisions_are_400_and_store_nothing(site, body):
    client, out, _, record = site
    doc_id = record["document"]["id"]
    response = post(client, doc_id, body)
    assert response.status_code == 400 and response.get_json()["error"]
    assert store.load_decisions(out, doc_id) == []


def test_post_guards(site):
    client, out, _, record = site
    doc_id = record["document"]["id"]
    body = {"action": "accept", "entity": "e1", "page": 1}
    url = f"/api/doc/{doc_id}/decisions"
    assert client.post(url, data=json.dumps(body), content_type="text/plain").status_code == 415
    assert client.post(url, data="action=accept", content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.post(url, data="{not json", content_type="application/json").status_code == 400
    assert post(client, doc_id, body, Origin="http://evil.example").status_code == 403
    assert post(client, doc_id, body, Origin="null").status_code == 403
    assert client.post(url, json=body, headers={"Host": "evil.example"}).status_code == 403  # DNS rebinding
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 403
    big = {**body, "reviewer": "x" * 40_000}
    assert post(client, doc_id, big).status_code == 413
    assert post(client, "0123456789abcdef", body).status_code == 404
    assert post(client, "..%2f..%2fetc", body).status_code in (400, 404)
    assert store.load_decisions(out, doc_id) == []
    assert post(client, doc_id, body, Origin="http://localhost").status_code == 200


def test_stale_decisions_are_listed_and_can_be_dismissed(site):
    client, out, _, record = site
    doc_id = record["document"]["id"]
    assert post(client, doc_id, {"action": "correct", "entity": "e4", "normalized": "Акмолинск (Астана)",
                                 "page": 1}).status_code == 200
    rerun = json.loads(json.dumps(record))
    rerun["entities"] = [e for e in rerun["entities"] if e["id"] != "e4"]
    rerun["persons"][0]["events"][0]["evidence"] = ["e3"]
    (out / f"{doc_id}.json").write_text(json.dumps(rerun, ensure_ascii=False), encoding="utf-8")
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    assert "Stale decision" in html and "Акмолинске" in html and 'class="dismiss"' in html
    assert "1 stale" in client.get("/").get_data(as_text=True)
    flag = client.get(f"/api/doc/{doc_id}").get_json()["flags"][0]
    response = post(client, doc_id, {"action": "dismiss", "decision": flag["decision"], "page": 1})
    assert response.status_code == 200 and response.get_json()["fragments"]["flags"].strip() == ""


def test_cli_review_parses_and_checks_its_arguments(tmp_path, capsys):
    args = cli.build_parser().parse_args(
        ["review", str(tmp_path), "--port", "9000", "--inputs", "a", "--inputs", "b", "--reviewer", "anna"])
    assert (args.command, args.port, args.host, [str(p) for p in args.inputs], args.reviewer) == (
        "review", 9000, "127.0.0.1", ["a", "b"], "anna")
    assert cli.main(["review", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert cli.main(["review", str(tmp_path), "--inputs", str(tmp_path / "nope")]) == 2
    assert cli.main(["review", str(tmp_path), "--port", "70000"]) == 2
