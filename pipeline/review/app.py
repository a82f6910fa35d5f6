"""The review web page (Flask): documents, page images with entity boxes, text, persons.

`create_app(out_dir)` builds the app; `serve(...)` runs it (what `testimony
review` calls). Everything it serves is built from the records in OUT and
the input files found for them (`images.PageImages`); nothing a browser
sends is used as a path. Documents are addressed by their 16-hex id, pages
by number, entities and persons by their ids in the record, and every
request is checked against the record (400 for malformed input, 404 for
what does not exist).

Text from OCR is data, never markup: the highlighted page text is built
server-side with every piece escaped, templates autoescape, the data the
script needs is embedded as JSON with <, > and & escaped, the script sets
text with textContent only, and a Content-Security-Policy allows scripts
from this server's /static only, so a `<script>` in a scan's text shows as text.

Cross-site requests (guard.py): the server binds 127.0.0.1 by default, answers
only to the host names on its allow-list (DNS rebinding; `--allow-host` adds
names), and POSTs must be JSON objects from a page of this server (Origin
checked when sent); a body it cannot store as it is (nested, not UTF-8, lone
surrogates, too large) is refused with 400 or 413 before the store sees it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from flask import Flask, abort, jsonify, render_template, request, send_file, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from pipeline.review import guard, store
from pipeline.review.listening import ListenError, listen  # noqa: F401 - ListenError is what serve() raises
from pipeline.review.images import PageImages

MAX_BODY_BYTES = 32 * 1024
LABEL_NAMES = {"PERSON": "person", "DATE": "date", "PLACE": "place", "ORG": "organisation"}
STATUS_NAMES = {"unreviewed": "not reviewed", "in_progress": "in progress", "reviewed": "reviewed"}
PERSON_FIELDS = (
    ("name.full", "full name"),
    ("name.surname", "surname"),
    ("name.given", "given name"),
    ("name.patronymic", "patronymic"),
    ("birth.date", "born (date)"),
    ("birth.place", "born (place)"),
)


@dataclass
class DocSummary:
    id: str
    source: str
    page_count: int
    entities: int
    persons: int
    status: str
    stale: int
    outdated: bool
    by: Optional[str]
    at: Optional[str]
    error: Optional[str] = None


class Records:
    """Machine records in OUT, re-read when their file changes."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self._cache: dict[str, tuple[tuple[int, int], dict]] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.out_dir.glob("*.json") if store.DOC_ID_RE.match(p.stem))

    def get(self, doc_id: str) -> dict:
        path = store.record_path(self.out_dir, doc_id)
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(doc_id)
            if cached and cached[0] == key:
                return cached[1]
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or not isinstance(record.get("document"), dict):
            raise ValueError("not a testimony record")
        with self._lock:
            self._cache[doc_id] = (key, record)
        return record


def highlight(text: str, entities: list[dict], selected: Optional[str] = None) -> Markup:
    """The page text as HTML, each entity a <mark> classed by label and review status; all text escaped.

    The marks add no characters, so the element's textContent is the page
    text exactly and a selection's offsets in it are offsets in the record.
    Where entities overlap, each stretch is marked for the shortest entity
    covering it (every entity is also in the list beside the text).
    """
    spans = [e for e in entities if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
             and 0 <= e["start"] < e["end"] <= len(text)]
    bounds = sorted({0, len(text)} | {e["start"] for e in spans} | {e["end"] for e in spans})
    parts: list[str] = []
    for a, b in zip(bounds, bounds[1:]):
        piece = text[a:b]
        covering = [e for e in spans if e["start"] <= a and b <= e["end"]]
        if not covering:
            parts.append(escape(piece))
            continue
        inner = min(covering, key=lambda e: (e["end"] - e["start"], e["start"]))
        status = (inner.get("review") or {}).get("status") or "unreviewed"
        classes = ["ent", f"lab-{inner.get('label')}", f"st-{status}"]
        if len(covering) > 1:
            classes.append("overlap")
        parts.append(
            Markup('<mark class="{}" data-eid="{}" title="{} {}">{}</mark>').format(
                " ".join(classes), inner.get("id"), inner.get("id"), inner.get("label"), piece
            )
        )
    return Markup("").join(parts)


def entity_view(entity: dict) -> dict:
    """What the page's script needs to know about an entity (JSON-embedded, escaped)."""
    review = entity.get("review") or {}
    return {
        "id": entity.get("id"),
        "label": entity.get("label"),
        "text": entity.get("text"),
        "page": entity.get("page"),
        "start": entity.get("start"),
        "end": entity.get("end"),
        "normalized": entity.get("normalized"),
        "confidence": entity.get("confidence"),
        "bbox": entity.get("bbox"),
        "status": review.get("status") or "unreviewed",
        "by": review.get("by"),
        "at": review.get("at"),
        "last": review.get("last"),
        "machine": review.get("machine"),
    }


def create_app(
    out_dir: Path,
    *,
    inputs: Optional[Iterable[Path]] = None,
    reviewer: Optional[str] = None,
    host: str = "127.0.0.1",
    allow_hosts: Iterable[str] = (),
) -> Flask:
    """The review app for `out_dir`; `host` is the bind address and, with `allow_hosts`, decides
    which Host names it answers to (guard.allowed_hosts)."""
    out_dir = Path(out_dir).resolve()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        TESTIMONY_OUT=out_dir,
        SEND_FILE_MAX_AGE_DEFAULT=300,
    )
    app.json.sort_keys = False
    app.jinja_env.globals["get_field"] = store.get_field
    records = Records(out_dir)
    images = PageImages(out_dir, inputs)
    default_reviewer = _default_reviewer(reviewer)
    allowed = guard.allowed_hosts(host, allow_hosts)
    app.extensions["testimony"] = {"records": records, "images": images, "out_dir": out_dir}

    # ------------------------------------------------------------------ guards
    @app.before_request
    def check_origin():
        host_header = request.headers.get("Host") or request.host or ""
        problem = guard.host_problem(host_header, allowed)
        if problem:
            abort(403, description=problem)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            problem = guard.origin_problem(request.headers.get("Origin"), host_header, allowed)
            if problem:
                abort(403, description=problem)
            if not request.is_json:
                abort(415, description="send JSON (Content-Type: application/json)")

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify(error=error.description or error.name), error.code
        return render_template("error.html", code=error.code, name=error.name, message=error.description), error.code

    # ------------------------------------------------------------------ helpers
    def record_or_abort(doc_id: str) -> dict:
        if not store.DOC_ID_RE.match(doc_id or ""):
            abort(400, description="a document id is 16 lowercase hex digits")
        try:
            return records.get(doc_id)
        except FileNotFoundError:
            abort(404, description=f"no document {doc_id} in this output folder")
        except (OSError, ValueError) as exc:
            abort(500, description=f"the record of {doc_id} cannot be read: {exc}")

    def summaries() -> list[DocSummary]:
        rows = []
        for doc_id in records.ids():
            try:
                record = records.get(doc_id)
                reviewed, flags = store.apply_reviews(record, store.load_decisions(out_dir, doc_id))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                rows.append(DocSummary(doc_id, "", 0, 0, 0, "unreadable", 0, False, None, None, error=str(exc)))
                continue
            review = reviewed["review"]
            document = record["document"]
            rows.append(DocSummary(
                id=doc_id,
                source=str(document.get("source") or ""),
                page_count=len(record.get("pages") or []),
                entities=len(reviewed.get("entities") or []),
                persons=len(reviewed.get("persons") or []),
                status=review["status"],
                stale=review["stale"],
                outdated=any(f["kind"] == "outdated" for f in flags),
                by=review.get("by"),
                at=review.get("at"),
            ))
        rows.sort(key=lambda row: (row.source, row.id))
        return rows

    def neighbours(doc_id: str) -> tuple[Optional[str], Optional[str]]:
        """The documents before and after this one in the list's order (by source path)."""
        keyed = []
        for other in records.ids():
            try:
                keyed.append((str(records.get(other)["document"].get("source") or ""), other))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        ids = [other for _, other in sorted(keyed)]
        if doc_id not in ids:
            return None, None
        index = ids.index(doc_id)
        return (ids[index - 1] if index > 0 else None), (ids[index + 1] if index + 1 < len(ids) else None)

    def page_context(doc_id: str, record: dict, page_no: int) -> dict:
        decisions = store.load_decisions(out_dir, doc_id)
        reviewed, flags = store.apply_reviews(record, decisions, keep_rejected=True)
        pages = reviewed.get("pages") or []
        page = pages[page_no - 1]
        page_entities = [e for e in reviewed.get("entities", []) if e.get("page") == page_no]
        by_id = {e["id"]: e for e in reviewed.get("entities", []) if "id" in e}
        width, height = page.get("width"), page.get("height")
        boxes = []
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            for entity in page_entities:
                bbox = entity.get("bbox")
                if isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox):
                    x0, y0, x1, y1 = bbox
                    boxes.append({
                        "id": entity["id"], "label": entity.get("label"),
                        "status": (entity.get("review") or {}).get("status") or "unreviewed",
                        "x": x0, "y": y0, "w": max(1, x1 - x0), "h": max(1, y1 - y0),
                    })
        return {
            "doc_id": doc_id,
            "record": reviewed,
            "document": reviewed["document"],
            "review": reviewed["review"],
            "flags": flags,
            "page": page,
            "page_no": page_no,
            "page_count": len(pages),
            "page_entities": page_entities,
            "entities_by_id": by_id,
            "text_html": highlight(page.get("text") or "", page_entities),
            "boxes": boxes,
            "persons": reviewed.get("persons") or [],
            "labels": store.LABELS,
            "label_names": LABEL_NAMES,
            "status_names": STATUS_NAMES,
            "event_types": store.EVENT_TYPES,
            "person_fields": PERSON_FIELDS,
            "decision_count": len(decisions),
        }

    def script_data(ctx: dict) -> dict:
        return {
            "doc": ctx["doc_id"],
            "page": ctx["page_no"],
            "pageCount": ctx["page_count"],
            "entities": [entity_view(e) for e in ctx["record"].get("entities", [])],
            "status": ctx["review"]["status"],
            "statusDecision": ctx["review"].get("status_decision"),
        }

    FRAGMENTS = {
        "text": "_text.html",
        "boxes": "_boxes.html",
        "entity-list": "_entities.html",
        "persons": "_persons.html",
        "flags": "_flags.html",
        "doc-status": "_status.html",
    }

    # ------------------------------------------------------------------ pages
    @app.get("/")
    def index():
        rows = summaries()
        counts = {status: sum(1 for row in rows if row.status == status) for status in STATUS_NAMES}
        return render_template(
            "index.html", rows=rows, counts=counts, status_names=STATUS_NAMES, out_dir=str(out_dir), reviewer=default_reviewer,
            inputs=[str(p) for p in images.roots],
        )

    @app.get("/doc/<doc_id>")
    def document(doc_id: str):
        record = record_or_abort(doc_id)
        page_count = len(record.get("pages") or [])
        page_arg = request.args.get("page", "1")
        if not (page_arg.isascii() and page_arg.isdigit() and len(page_arg) <= 6):
            abort(400, description="page must be a page number")
        page_no = int(page_arg)
        if not 1 <= page_no <= page_count:
            abort(404, description=f"this document has pages 1 to {page_count}")
        ctx = page_context(doc_id, record, page_no)
        has_image = images.png(record, page_no) is not None
        previous_doc, next_doc = neighbours(doc_id)
        return render_template(
            "document.html", **ctx, has_image=has_image, previous_doc=previous_doc, next_doc=next_doc,
            image_url=url_for("page_image", doc_id=doc_id, page=page_no) if has_image else None,
            data=script_data(ctx), reviewer=default_reviewer, inputs=[str(p) for p in images.roots],
        )

    @app.get("/doc/<doc_id>/page/<int:page>.png")
    def page_image(doc_id: str, page: int):
        record = record_or_abort(doc_id)
        if not 1 <= page <= len(record.get("pages") or []):
            abort(404, description="no such page")
        path = images.png(record, page)
        if path is None:
            abort(404, description="the input file of this document was not found (see --inputs)")
        return send_file(path, mimetype="image/png", max_age=300)

    # ------------------------------------------------------------------ API
    @app.get("/api/doc/<doc_id>")
    def api_document(doc_id: str):
        record = record_or_abort(doc_id)
        decisions = store.load_decisions(out_dir, doc_id)
        reviewed, flags = store.apply_reviews(record, decisions, keep_rejected=True)
        return jsonify(record=reviewed, flags=flags, decisions=decisions)

    @app.post("/api/doc/<doc_id>/decisions")
    def api_decide(doc_id: str):
        record = record_or_abort(doc_id)
        try:
            body = guard.parse_json_body(request.get_data(cache=False))
        except guard.BadBody as exc:
            abort(400, description=str(exc))
        page_no = body.get("page", 1)
        if isinstance(page_no, bool) or not isinstance(page_no, int) or not 1 <= page_no <= len(record.get("pages") or []):
            abort(400, description="page must be a page number of this document")
        expect = body.get("expect")
        if expect is not None and (not isinstance(expect, str) or not store.DECISION_ID_RE.match(expect)):
            abort(400, description="expect must be a decision id or null")
        try:
            stored = store.submit(out_dir, doc_id, body, default_reviewer)
        except store.InvalidDecision as exc:
            abort(400, description=str(exc))
        except store.Conflict as exc:
            return jsonify(error=str(exc), conflict=True, latest=exc.latest), 409
        ctx = page_context(doc_id, record, page_no)
        fragments = {key: render_template(name, **ctx) for key, name in FRAGMENTS.items()}
        return jsonify(decision=stored, data=script_data(ctx), fragments=fragments)

    return app


def _default_reviewer(reviewer: Optional[str]) -> str:
    """--reviewer, else $USER: a name the store accepts (an undecodable $USER falls back to "reviewer")."""
    name = reviewer or os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"
    try:
        return store.clean_text(name[: store.MAX_REVIEWER_CHARS], "reviewer", allow_null=False)
    except store.InvalidDecision:
        return "reviewer"


def serve(
    out_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    inputs: Optional[Iterable[Path]] = None,
    reviewer: Optional[str] = None,
    allow_hosts: Iterable[str] = (),
    ready=None,
) -> None:
    """Serve the review page until interrupted (threaded; decisions are locked per file).

    Raises ListenError when host:port cannot be listened on.
    """
    from werkzeug.serving import make_server

    app = create_app(out_dir, inputs=inputs, reviewer=reviewer, host=host, allow_hosts=allow_hosts)
    sock = listen(host, port)
    try:
        server = make_server(host, port, app, threaded=True, fd=sock.fileno())
    finally:
        sock.close()  # the server holds its own duplicate of the socket
    server.server_name, server.server_port = host, server.port  # as HTTPServer.server_bind would set them
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    finally:
        server.server_close()
