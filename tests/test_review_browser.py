"""The review page in a real browser: Debian's headless Chromium driven by Selenium.

Opens a document, corrects an entity's normalised value, reloads and sees
the correction; accepts an entity with the keyboard; saves a screenshot to
$TESTIMONY_ARTIFACTS (default test-artifacts/) as review.png.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from pipeline.review import store
from tests.review_samples import HOSTILE, make_review_output

CHROMIUM = os.environ.get("TESTIMONY_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TESTIMONY_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("TESTIMONY_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts")

selenium = pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip(
        f"Debian's chromium and chromium-driver are not installed ({CHROMIUM}, {CHROMEDRIVER}); "
        "`make test` installs them",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from pipeline.review.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from werkzeug.serving import make_server

    out, inputs, record = make_review_output(tmp_path_factory.mktemp("review"))
    app = create_app(out, reviewer="selenium")  # inputs from out/run.json
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", out, record
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager try to download a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1600,1200", "--lang=en-US", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait(driver, timeout: float = 10):
    return WebDriverWait(driver, timeout)


def test_correct_reload_keyboard_and_screenshot(site, browser):
    base, out, record = site
    doc_id = record["document"]["id"]
    driver = browser

    # The list shows both documents; open the scanned one.
    driver.get(base + "/")
    link = wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, "cards/kovaleva.png")))
    assert "elsewhere/missing.png" in driver.find_element(By.CSS_SELECTOR, "table.doc-list").text
    link.click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "text")))

    # OCR text that looks like markup is shown as text, and ran nothing (an alert would fail every call).
    text = driver.find_element(By.ID, "text")
    assert HOSTILE in text.text
    assert driver.execute_script("return document.querySelectorAll('#text script, #text img').length") == 0
    page_text = record["pages"][0]["text"]
    assert driver.execute_script("return document.getElementById('text').textContent") == page_text

    # The page image is there, with one box per entity.
    wait(driver).until(lambda d: d.execute_script(
        "var i = document.getElementById('page-image'); return i && i.complete && i.naturalWidth > 0"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#boxes rect.box")) == len(record["entities"])

    # Select "3 марта 1938" (e3) in the text and correct its normalised value.
    driver.find_element(By.CSS_SELECTOR, '#text mark[data-eid="e3"]').click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-id"), "e3"))
    assert "selected" in driver.find_element(By.CSS_SELECTOR, '#boxes rect[data-eid="e3"]').get_attribute("class")
    field = driver.find_element(By.ID, "p-normalized")
    assert field.get_attribute("value") == "1938-03-03"
    field.clear()
    field.send_keys("1938-03-04")
    driver.find_element(By.ID, "btn-save").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "message"), "Saved"))

    # An invalid date is refused with the server's message, and nothing is stored.
    field = driver.find_element(By.ID, "p-normalized")
    field.clear()
    field.send_keys("3 марта")
    field.send_keys(Keys.ENTER)
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "message"), "Not saved"))
    assert len(store.load_decisions(out, doc_id)) == 1

    # Reload: the correction comes back from the stored decision.
    assert driver.current_url.endswith(f"/doc/{doc_id}#e3")
    driver.refresh()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-id"), "e3"))
    assert driver.find_element(By.ID, "p-normalized").get_attribute("value") == "1938-03-04"
    row = driver.find_element(By.CSS_SELECTOR, '#entity-list tr[data-eid="e3"]')
    assert "1938-03-04" in row.text and "corrected" in row.text

    # Keyboard: n selects the next entity (e4), a accepts it.
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("n")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-id"), "e4"))
    body.send_keys("a")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-status"), "accepted"))
    assert "accepted" in driver.find_element(By.CSS_SELECTOR, '#entity-list tr[data-eid="e4"]').text
    body.send_keys("k")
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-id"), "e3"))

    # A person field, edited by a reviewer who typed their name in the page.
    reviewer = driver.find_element(By.ID, "reviewer")
    reviewer.send_keys(Keys.CONTROL, "a")  # (clear() would fire "change" on an empty name: back to the default)
    reviewer.send_keys("Анна Р.", Keys.TAB)
    place = driver.find_element(By.CSS_SELECTOR, 'form.person[data-pid="p1"] input[name="birth.place"]')
    place.send_keys("Вильно", Keys.TAB)
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "message"), "Saved (correct person field)"))

    # Span correction from a text selection: "Анна Ивановна" instead of the full name (e1).
    driver.find_element(By.CSS_SELECTOR, '#entity-list tr[data-eid="e1"]').click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "p-id"), "e1"))
    driver.execute_script("""
        var mark = document.querySelector('#text mark[data-eid="e1"]');
        var node = mark.firstChild, at = node.data.indexOf('Анна');
        var range = document.createRange();
        range.setStart(node, at); range.setEnd(node, node.data.length);
        var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    """)
    driver.find_element(By.ID, "btn-use-selection").click()
    start = page_text.index("Анна Ивановна")
    assert driver.find_element(By.ID, "p-start").get_attribute("value") == str(start)
    assert driver.find_element(By.ID, "p-end").get_attribute("value") == str(start + len("Анна Ивановна"))
    driver.find_element(By.ID, "btn-save").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "message"), "Saved (correct)"))
    assert driver.find_element(By.CSS_SELECTOR, '#text mark[data-eid="e1"]').text == "Анна Ивановна"
    assert driver.execute_script("return document.getElementById('text').textContent") == page_text

    decisions = store.load_decisions(out, doc_id)
    assert [d["action"] for d in decisions] == ["correct", "accept", "correct_person_field", "correct"]
    assert decisions[3]["new"] == {"start": start, "end": start + len("Анна Ивановна"), "text": "Анна Ивановна"}
    assert decisions[0]["reviewer"] == "selenium" and decisions[2]["reviewer"] == "Анна Р."
    assert decisions[1]["anchor"]["text"] == "Акмолинске"
    # the machine output is untouched
    machine = json.loads((out / f"{doc_id}.json").read_text(encoding="utf-8"))
    assert machine == record

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "review.png"
    driver.find_element(By.CSS_SELECTOR, '#text mark[data-eid="e3"]').click()
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # Mark reviewed, then Shift+N goes to the next document, whose scan is not available.
    driver.find_element(By.ID, "btn-reviewed").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "doc-status"), "reviewed"))
    assert store.is_reviewed(out, doc_id)
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.SHIFT, "N")
    wait(driver).until(EC.presence_of_element_located((By.ID, "no-image")))
    assert HOSTILE in driver.find_element(By.ID, "text").text
