"""What a hostile or careless client finds in `testimony review` and in the exports (issue 13).

Bodies the store cannot keep, requests for foreign host names, cross-site posts, a port already in
use; a reviewer's corrected name in every export; cells a spreadsheet would run as formulas.
Only loopback addresses are used; every server started here is stopped.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline import cli, export as record_export
from pipeline.exchange import export
from pipeline.exchange.tabular import spreadsheet_safe
from pipeline.review import store
from pipeline.review.app import create_app, serve
from tests.review_samples import make_review_output

ROOT = Path(__file__).resolve().parents[1]
EAC = "{urn:isbn:1-931666-33-4}"


@pytest.fixture()
def site(tmp_path):
    out, _, record = make_review_output(tmp_path, second=False)
    return out, record["document"]["id"], record


def raw_post(client, doc_id: str, data, **headers):
    return client.post(f"/api/doc/{doc_id}/decisions", data=data, content_type="application/json", headers=headers)


# --------------------------------------------------------------------------- bodies


BAD_BODIES = {
    "nested 15,000 deep": "[" * 15_000 + "]" * 15_000,
    "objects nested 5,000 deep": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "lone surrogate in reviewer": '{"action": "accept", "entity": "e1", "page": 1, "reviewer": "\\udc80"}',
    "lone surrogate in a person field": '{"action": "correct_person_field", "person": "p1", "field": "name.full", '
                                        '"value": "Ковалёва\\udc80", "page": 1}',
    "lone surrogate in normalized": '{"action": "correct", "entity": "e4", "normalized": "\\ud800", "page": 1}',
    "lone surrogate in a field name": '{"action": "accept", "entity": "e1", "page": 1, "\\ud800": 1}',
    "null": "null",
    "a list": "[1, 2]",
    "a string": '"accept"',
    "NaN": '{"action": "accept", "entity": "e1", "page": NaN}',
    "a 5000-digit number": '{"action": "accept", "entity": "e1", "page": ' + "9" * 5000 + "}",
    "not UTF-8": b'{"action": "accept", "entity": "e1", "page": 1, "reviewer": "\xff\xfe"}',
    "a list where an id goes": '{"action": "accept", "entity": ["e1"], "page": 1}',
    "an object as action": '{"action": {"x": 1}, "entity": "e1", "page": 1}',
    "a number as field": '{"action": "correct_person_field", "person": "p1", "field": 3, "value": "x", "page": 1}',
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_bodies_the_store_cannot_keep_are_400_with_a_message_and_store_nothing(site, name):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester").test_client()
    response = raw_post(client, doc_id, BAD_BODIES[name])
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    message = response.get_json()["error"]
    assert message and "internal" not in message.lower()
    assert store.load_decisions(out, doc_id) == []


def test_a_lone_surrogate_names_the_field_and_a_good_pair_is_stored(site):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester").test_client()
    response = raw_post(client, doc_id, BAD_BODIES["lone surrogate in reviewer"])
    assert "reviewer" in response.get_json()["error"] and "surrogate" in response.get_json()["error"]
    pair = '{"action": "accept", "entity": "e1", "page": 1, "reviewer": "anna \\ud83d\\udcdc"}'
    assert raw_post(client, doc_id, pair).status_code == 200
    assert [d["reviewer"] for d in store.load_decisions(out, doc_id)] == ["anna \U0001f4dc"]


def test_the_store_refuses_a_lone_surrogate_from_any_caller(site):
    out, doc_id, _ = site
    with pytest.raises(store.InvalidDecision, match="surrogate"):
        store.submit(out, doc_id, {"action": "accept", "entity": "e1"}, "anna\udc80")
    assert store.load_decisions(out, doc_id) == []


def test_huge_bodies_are_413_and_store_nothing(site):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester").test_client()
    body = json.dumps({"action": "accept", "entity": "e1", "page": 1, "reviewer": "x" * 200_000})
    assert raw_post(client, doc_id, body).status_code == 413
    assert raw_post(client, doc_id, "[" * 100_000).status_code == 413
    assert store.load_decisions(out, doc_id) == []


# --------------------------------------------------------------------------- host names and origins

ACCEPT = {"action": "accept", "entity": "e1", "page": 1}


def post(client, doc_id, body=ACCEPT, **headers):
    return client.post(f"/api/doc/{doc_id}/decisions", json=body, headers=headers)


def test_bound_to_every_address_a_foreign_host_is_still_refused(site):
    """DNS rebinding: evil.example re-pointed at this machine; before, --host 0.0.0.0 dropped the check."""
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester", host="0.0.0.0").test_client()
    foreign = {"Host": "evil.example:8000", "Origin": "http://evil.example:8000"}
    response = post(client, doc_id, **foreign)
    assert response.status_code == 403 and "--allow-host evil.example" in response.get_json()["error"]
    assert client.get("/", headers={"Host": "evil.example:8000"}).status_code == 403
    assert client.get(f"/api/doc/{doc_id}", headers={"Host": "evil.example"}).status_code == 403
    assert store.load_decisions(out, doc_id) == []
    assert post(client, doc_id, Host="localhost:8000", Origin="http://localhost:8000").status_code == 200
    assert post(client, doc_id, Host="0.0.0.0:8000").status_code == 200  # the address it printed


@pytest.mark.parametrize("bind", ["127.0.0.1", "0.0.0.0", "::1"])
def test_this_machine_s_names_are_allowed_by_default(site, bind):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester", host=bind).test_client()
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST.:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host


def test_a_lan_address_answers_to_itself_and_localhost_only(site):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester", host="192.168.7.5").test_client()
    assert client.get("/", headers={"Host": "192.168.7.5:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "fileserver:8000"}).status_code == 403


def test_allow_host_lets_colleagues_in_by_that_name_and_origin_must_match(site):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester", host="0.0.0.0", allow_hosts=["Server-Name"]).test_client()
    named = {"Host": "server-name:8000"}
    assert client.get("/", headers=named).status_code == 200
    refused = [
        "http://evil.example:8000",  # another site
        "http://localhost:8000",  # another name than the request's: not this page
        "http://server-name:9000",  # another port: another server on that machine
        "null",  # a sandboxed frame or a file:// page
        "http://[bad",  # malformed
    ]
    for origin in refused:
        assert post(client, doc_id, Origin=origin, **named).status_code == 403, origin
    assert store.load_decisions(out, doc_id) == []
    assert post(client, doc_id, Origin="http://server-name:8000", **named).status_code == 200
    assert len(store.load_decisions(out, doc_id)) == 1


@pytest.mark.parametrize("host", ["[::1", "localhost:port", "evil.example:8000@localhost", "", "a b"])
def test_malformed_host_headers_are_403_not_500(site, host):
    out, doc_id, _ = site
    client = create_app(out, reviewer="tester").test_client()
    assert client.get("/", headers={"Host": host}).status_code == 403
    assert post(client, doc_id, Host=host).status_code == 403
    assert store.load_decisions(out, doc_id) == []


def test_cli_allow_host_is_repeatable_and_checked(tmp_path, capsys):
    args = cli.build_parser().parse_args(["review", str(tmp_path), "--allow-host", "a", "--allow-host", "b.lan"])
    assert args.allow_hosts == ["a", "b.lan"]
    assert cli.build_parser().parse_args(["review", str(tmp_path)]).allow_hosts == []
    for bad in ("http://server:8000", "*", "server:8000"):
        assert cli.main(["review", str(tmp_path), "--allow-host", bad]) == 2
        assert "--allow-host" in capsys.readouterr().err
    help_text = " ".join(cli.build_parser()._subparsers._group_actions[0].choices["review"].format_help().split())
    assert "--allow-host" in help_text and "DNS rebinding" in help_text and "--allow-host fileserver" in help_text


# --------------------------------------------------------------------------- a real server


@pytest.fixture()
def live(site):
    """serve() on 127.0.0.1, a free port, in a thread; stopped after the test."""
    out, doc_id, _ = site
    started = threading.Event()
    holder = {}

    def ready(server):
        holder["server"] = server
        started.set()

    thread = threading.Thread(target=serve, args=(out,), kwargs={"port": 0, "reviewer": "t", "ready": ready},
                              daemon=True)
    thread.start()
    assert started.wait(20), "the review server did not start"
    server = holder["server"]
    yield server.port, out, doc_id
    server.shutdown()
    thread.join(10)


def _request(port: int, method: str, path: str, body: bytes = b"", headers: dict = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_real_server_refuses_hostile_requests_and_keeps_serving(live):
    port, out, doc_id = live
    url = f"/api/doc/{doc_id}/decisions"
    ok = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"}
    deep = ("[" * 15_000 + "]" * 15_000).encode()
    surrogate = b'{"action": "accept", "entity": "e1", "page": 1, "reviewer": "\\udc80"}'
    assert _request(port, "POST", url, deep, ok) == 400
    assert _request(port, "POST", url, surrogate, ok) == 400
    assert _request(port, "POST", url, b"x" * 100_000, ok) == 413
    rebound = {**ok, "Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    assert _request(port, "POST", url, json.dumps(ACCEPT).encode(), rebound) == 403
    assert store.load_decisions(out, doc_id) == []
    assert _request(port, "POST", url, json.dumps(ACCEPT).encode(), ok) == 200
    assert len(store.load_decisions(out, doc_id)) == 1


def test_a_chunked_body_over_the_limit_is_413(live):
    port, out, doc_id = live
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        chunks = iter([b'{"action": "accept", "reviewer": "'] + [b"x" * 8192] * 16 + [b'"}'])
        connection.request("POST", f"/api/doc/{doc_id}/decisions", body=chunks, encode_chunked=True,
                           headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        assert connection.getresponse().status in (400, 413)
    finally:
        connection.close()
    assert store.load_decisions(out, doc_id) == []


def test_a_port_in_use_is_exit_2_with_one_line(tmp_path):
    out, _, _ = make_review_output(tmp_path, second=False)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "pipeline", "review", str(out), "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"testimony: error: port {port} is in use; try --port ")
    suggested = int(lines[0].rsplit(" ", 1)[1])
    assert suggested > port


def test_an_address_that_is_not_this_machine_s_is_exit_2(tmp_path):
    out, _, _ = make_review_output(tmp_path, second=False)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "review", str(out), "--host", "no-such-host.invalid", "--port", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--host no-such-host.invalid is not an address of this machine" in result.stderr


# --------------------------------------------------------------------------- exports


def _correct(out: Path, doc_id: str, field: str, value: str) -> None:
    store.submit(out, doc_id, {"action": "correct_person_field", "person": "p1", "field": field, "value": value},
                 "anna")


def test_every_export_writes_the_reviewer_s_corrected_full_name(site, tmp_path):
    out, doc_id, _ = site
    _correct(out, doc_id, "name.full", "Ковалева Анна Ивановна")  # the reviewer's ё -> е
    export(out, "eac-cpf", tmp_path / "eac")
    root = ET.parse(next((tmp_path / "eac").glob("*.xml"))).getroot()
    names = [" ".join(p.text for p in entry.iter(f"{EAC}part"))
             for entry in root.iter(f"{EAC}nameEntry") if entry.get("localType") != "alias"]
    assert names == ["Ковалева Анна Ивановна"]
    csv_out, jsonld_out = io.BytesIO(), io.BytesIO()
    export(out, "csv", None, stdout=csv_out)
    row = next(csv.DictReader(io.StringIO(csv_out.getvalue().decode("utf-8-sig"))))
    assert (row["full_name"], row["surname"], row["given_name"]) == ("Ковалева Анна Ивановна", "", "Анна")
    export(out, "jsonld", None, stdout=jsonld_out)
    person = next(n for n in json.loads(jsonld_out.getvalue())["@graph"] if n.get("@type") == "Person")
    assert person["name"] == "Ковалева Анна Ивановна" and "familyName" not in person
    export(out, "tei", tmp_path / "tei")
    tei = (tmp_path / "tei" / f"{doc_id}.xml").read_text(encoding="utf-8")
    assert '<persName type="full">Ковалева Анна Ивановна</persName>' in tei
    assert "<surname>Ковалёва</surname>" not in tei


def test_a_corrected_surname_makes_the_full_name_in_the_exports(site, tmp_path):
    out, doc_id, _ = site
    _correct(out, doc_id, "name.surname", "Ковалева")
    export(out, "eac-cpf", tmp_path / "eac")
    root = ET.parse(next((tmp_path / "eac").glob("*.xml"))).getroot()
    parts = [(p.get("localType"), p.text) for p in next(root.iter(f"{EAC}nameEntry")).iter(f"{EAC}part")]
    assert parts == [("surname", "Ковалева"), ("forename", "Анна"), ("patronymic", "Ивановна")]
    csv_out = io.BytesIO()
    export(out, "csv", None, stdout=csv_out)
    row = next(csv.DictReader(io.StringIO(csv_out.getvalue().decode("utf-8-sig"))))
    assert (row["full_name"], row["surname"]) == ("Ковалева Анна Ивановна", "Ковалева")


def test_an_unreviewed_name_is_exported_as_the_machine_read_it(site, tmp_path):
    out, doc_id, _ = site
    export(out, "eac-cpf", tmp_path / "eac")
    root = ET.parse(next((tmp_path / "eac").glob("*.xml"))).getroot()
    parts = [(p.get("localType"), p.text) for p in next(root.iter(f"{EAC}nameEntry")).iter(f"{EAC}part")]
    assert parts == [("surname", "Ковалёва"), ("forename", "Анна"), ("patronymic", "Ивановна")]


@pytest.mark.parametrize("value,expected", [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+7 701", "'+7 701"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("  =1+1", "'  =1+1"),
    ("Ковалёва Анна", "Ковалёва Анна"),
    ("1937-08-15", "1937-08-15"),
    ("", ""),
    ("a=b", "a=b"),
])
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(site):
    out, doc_id, record = site
    hostile = json.loads(json.dumps(record))
    hostile["document"]["source"] = '=HYPERLINK("http:__x").pdf'
    hostile["persons"][0]["birth"]["place"] = "@cmd|' /C calc'!A0"
    record_export.write_json_atomic(out / f"{doc_id}.json", hostile)
    _correct(out, doc_id, "name.full", "=1+2")
    _correct(out, doc_id, "name.given", "+Анна")
    csv_out = io.BytesIO()
    export(out, "csv", None, stdout=csv_out)
    rows = list(csv.reader(io.StringIO(csv_out.getvalue().decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row))
    assert cells["source"] == '\'=HYPERLINK("http:__x").pdf'
    assert cells["birth_place"] == "'@cmd|' /C calc'!A0"
    assert cells["full_name"] == "'=1+2" and cells["given_name"] == "'+Анна"
    assert cells["document_id"] == doc_id and cells["birth_date"] == "1901"
    assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
