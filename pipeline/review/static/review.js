/* testimony review page. Vanilla JS, no dependencies.
 *
 * Text from records is only ever set with textContent or .value; the HTML
 * fragments it swaps in are built and escaped by the server.
 */
(function () {
  "use strict";

  var REVIEWER_KEY = "testimony.reviewer";
  var reviewerInput = document.getElementById("reviewer");

  if (reviewerInput) {
    var saved = null;
    try { saved = window.localStorage.getItem(REVIEWER_KEY); } catch (e) { saved = null; }
    if (saved) reviewerInput.value = saved;
    reviewerInput.addEventListener("change", function () {
      var name = reviewerInput.value.trim();
      try {
        if (name) window.localStorage.setItem(REVIEWER_KEY, name);
        else window.localStorage.removeItem(REVIEWER_KEY);
      } catch (e) { /* storage disabled: the name still goes with each decision */ }
      if (!name) reviewerInput.value = reviewerInput.dataset.default || "";
    });
  }

  function reviewerName() {
    var name = reviewerInput ? reviewerInput.value.trim() : "";
    return name || (reviewerInput && reviewerInput.dataset.default) || "reviewer";
  }

  var dataElement = document.getElementById("review-data");
  if (!dataElement) return; // the document list has nothing more to do

  var data = JSON.parse(dataElement.textContent);
  var selected = null;
  var $ = function (id) { return document.getElementById(id); };
  var message = $("message");

  function say(text, kind) {
    message.textContent = text;
    message.className = "message" + (kind ? " " + kind : "");
  }

  function entity(id) {
    for (var i = 0; i < data.entities.length; i++) if (data.entities[i].id === id) return data.entities[i];
    return null;
  }

  function ordered() {
    return data.entities.slice().sort(function (a, b) {
      return (a.page - b.page) || (a.start - b.start) || (a.end - b.end);
    });
  }

  function docUrl(doc, page, eid) {
    var url = "/doc/" + encodeURIComponent(doc);
    if (page && page !== 1) url += "?page=" + encodeURIComponent(page);
    if (eid) url += "#" + encodeURIComponent(eid);
    return url;
  }

  function markSelected() {
    var marked = document.querySelectorAll(".selected");
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove("selected");
    if (!selected) return;
    var nodes = document.querySelectorAll('[data-eid="' + CSS.escape(selected) + '"]');
    for (var j = 0; j < nodes.length; j++) {
      var node = nodes[j];
      if (node.classList.contains("eref")) continue;
      node.classList.add("selected");
    }
  }

  function fillPanel() {
    var e = selected ? entity(selected) : null;
    $("p-body").hidden = !e;
    $("p-hint").hidden = !!e;
    $("p-id").textContent = e ? e.id : "—";
    $("p-status").textContent = e ? e.status + (e.by ? " (" + e.by + ")" : "") : "";
    if (!e) return;
    $("p-text").textContent = e.text;
    $("p-page").textContent = String(e.page);
    $("p-span").textContent = e.start + "–" + e.end;
    $("p-conf").textContent = typeof e.confidence === "number" ? e.confidence.toFixed(2) : "—";
    var m = e.machine;
    var changed = m && (m.label !== e.label || m.text !== e.text || m.normalized !== e.normalized);
    $("p-machine").textContent = changed
      ? "Machine output: " + m.label + " “" + m.text + "” → " + (m.normalized === null ? "—" : m.normalized)
      : "";
    $("p-label").value = e.label;
    $("p-start").value = String(e.start);
    $("p-end").value = String(e.end);
    $("p-normalized").value = e.normalized === null ? "" : e.normalized;
  }

  function select(id, scroll) {
    var e = entity(id);
    if (!e) return;
    if (e.page !== data.page) {
      window.location.href = docUrl(data.doc, e.page, e.id);
      return;
    }
    selected = id;
    markSelected();
    fillPanel();
    say("");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + encodeURIComponent(id));
    }
    if (scroll) {
      var mark = document.querySelector('#text [data-eid="' + CSS.escape(id) + '"]');
      if (mark && mark.scrollIntoView) mark.scrollIntoView({ block: "nearest" });
    }
  }

  function step(delta) {
    var list = ordered();
    if (!list.length) { say("This document has no entities."); return; }
    var index = -1;
    for (var i = 0; i < list.length; i++) if (list[i].id === selected) index = i;
    if (index === -1) {
      // nothing selected: start with this page's first (or last) entity
      var here = list.filter(function (e) { return e.page === data.page; });
      var pick = here.length ? (delta > 0 ? here[0] : here[here.length - 1]) : list[delta > 0 ? 0 : list.length - 1];
      select(pick.id, true);
      return;
    }
    var next = list[index + delta];
    if (!next) { say(delta > 0 ? "Last entity of the document." : "First entity of the document."); return; }
    select(next.id, true);
  }

  function replaceFragments(fragments) {
    var active = document.activeElement;
    var person = active && active.closest ? active.closest("form.person") : null;
    var focusKey = person ? [person.dataset.pid, active.name] : null;
    Object.keys(fragments).forEach(function (key) {
      var target = $(key);
      if (target) target.innerHTML = fragments[key]; // built and escaped by the server
    });
    if (focusKey) {
      var form = document.querySelector('form.person[data-pid="' + CSS.escape(focusKey[0]) + '"]');
      var field = form && focusKey[1] ? form.querySelector('[name="' + CSS.escape(focusKey[1]) + '"]') : null;
      if (field) field.focus();
    }
  }

  function send(payload, done) {
    payload.reviewer = reviewerName();
    payload.page = data.page;
    say("Saving…");
    return fetch("/api/doc/" + encodeURIComponent(data.doc) + "/decisions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return { error: "HTTP " + response.status }; })
        .then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (result.status === 409) {
        say("Not saved: " + result.body.error + ".", "error");
        return false;
      }
      if (result.status !== 200) {
        say("Not saved: " + (result.body.error || ("HTTP " + result.status)), "error");
        return false;
      }
      data = result.body.data;
      replaceFragments(result.body.fragments);
      markSelected();
      fillPanel();
      say("Saved (" + result.body.decision.action.replace(/_/g, " ") + ").", "ok");
      if (done) done(result.body);
      return true;
    }).catch(function (error) {
      say("Not saved: the review server did not answer (" + error + ").", "error");
      return false;
    });
  }

  function current() {
    var e = selected ? entity(selected) : null;
    if (!e) say("Select an entity first (click one, or press n).", "error");
    return e;
  }

  function decide(action) {
    var e = current();
    if (!e) return;
    send({ action: action, entity: e.id, expect: e.last || null });
  }

  // ------------------------------------------------------------ buttons and forms
  $("btn-accept").addEventListener("click", function () { decide("accept"); });
  $("btn-reject").addEventListener("click", function () { decide("reject"); });
  $("p-label").addEventListener("change", function () {
    var e = current();
    if (!e || this.value === e.label) return;
    send({ action: "relabel", entity: e.id, label: this.value, expect: e.last || null });
  });

  $("correct-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var e = current();
    if (!e) return;
    var payload = { action: "correct", entity: e.id, expect: e.last || null };
    var start = parseInt($("p-start").value, 10);
    var end = parseInt($("p-end").value, 10);
    if (isNaN(start) || isNaN(end)) { say("Start and end must be numbers.", "error"); return; }
    if (start !== e.start || end !== e.end) { payload.start = start; payload.end = end; }
    var normalized = $("p-normalized").value.trim();
    var wanted = normalized === "" ? null : normalized;
    if (wanted !== e.normalized) payload.normalized = wanted;
    if (!("start" in payload) && !("normalized" in payload)) { say("Nothing changed."); return; }
    send(payload);
  });

  var useSelection = $("btn-use-selection");
  useSelection.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep the selection
  useSelection.addEventListener("click", function () {
    var text = $("text");
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      say("Select the words in the page text first.", "error");
      return;
    }
    var range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) {
      say("The selection must be inside the page text.", "error");
      return;
    }
    var before = document.createRange();
    before.selectNodeContents(text);
    before.setEnd(range.startContainer, range.startOffset);
    var start = before.toString().length;
    var end = start + range.toString().length;
    $("p-start").value = String(start);
    $("p-end").value = String(end);
    say("Span " + start + "–" + end + " taken from the selection; press Save correction.");
  });

  $("btn-reviewed").addEventListener("click", function () { send({ action: "document_status", status: "reviewed" }); });
  $("btn-reopen").addEventListener("click", function () { send({ action: "document_status", status: "in_progress" }); });

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest ? event.target.closest("button.dismiss") : null;
    if (dismiss) {
      send({ action: "dismiss", decision: dismiss.dataset.decision });
      return;
    }
    var target = event.target.closest ? event.target.closest("[data-eid]") : null;
    if (target && !target.closest("#panel")) select(target.dataset.eid, !target.closest("#text"));
  });

  // person fields: saved when a field is left after a change
  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest ? input.closest("form.person") : null;
    if (!form || !input.name) return;
    input.classList.add("saving");
    send({
      action: "correct_person_field",
      person: form.dataset.pid,
      field: input.name,
      value: input.value,
      expect: input.dataset.expect || null
    }).then(function (ok) {
      input.classList.remove("saving");
      if (!ok) input.classList.add("invalid");
    });
  });
  document.addEventListener("submit", function (event) {
    if (event.target.closest && event.target.closest("form.person")) event.preventDefault();
  });

  // ------------------------------------------------------------ keyboard
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = event.target.tagName;
    var editing = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.target.isContentEditable;
    if (editing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var link;
    switch (event.key) {
      case "a": decide("accept"); break;
      case "r": decide("reject"); break;
      case "n": case "j": step(1); break;
      case "p": case "k": step(-1); break;
      case "e":
        if (current()) { $("p-normalized").focus(); $("p-normalized").select(); }
        break;
      case "N":
        link = $("next-doc");
        if (link) window.location.href = link.href; else say("This is the last document.");
        break;
      case "P":
        link = $("prev-doc");
        if (link) window.location.href = link.href; else say("This is the first document.");
        break;
      default: return;
    }
    event.preventDefault();
  });

  // ------------------------------------------------------------ start
  function fromHash() {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    if (/^e[0-9]+$/.test(hash) && hash !== selected && entity(hash)) select(hash, true);
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
  if (!selected) fillPanel();
})();
