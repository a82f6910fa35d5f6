"""Ingest: file discovery, type sniffing, page loading, and every kind of bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from PIL import Image

from pipeline import filenames, ingest, textlayer
from pipeline.errors import CorruptFile, EmptyFile, EncryptedPdf, ImageTooLarge, NotARegularFile, UnsupportedFormat
from tests import samples


def inspected(path, source=None):
    return ingest.inspect(ingest.SourceFile(path=path, source=source or path.name))


def test_discover_walks_folders_recursively_in_stable_order(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "b" / "deep" / "c.pdf").write_bytes(b"x")
    (tmp_path / "b" / "notes.txt").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    (tmp_path / "Thumbs.db").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.json").write_bytes(b"{}")
    found = ingest.discover([tmp_path], exclude=[tmp_path / "out"])
    assert [f.source for f in found] == ["a.png", "b/notes.txt", "b/deep/c.pdf"]


def test_single_file_input_is_named_by_its_file_name(tmp_path):
    path = samples.save_png(tmp_path / "card.png")
    (found,) = ingest.discover([path])
    assert found.source == "card.png"


def test_id_and_sha256_follow_the_contract(tmp_path):
    path = samples.save_png(tmp_path / "card.png")
    src = inspected(path)
    assert src.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert src.id == src.sha256[:16]
    assert (src.format, src.page_count) == ("png", 1)


@pytest.mark.parametrize(
    "maker, expected_format, pages",
    [
        (lambda d: samples.save_png(d / "a.png"), "png", 1),
        (lambda d: samples.save_jpeg(d / "a.jpg"), "jpeg", 1),
        (lambda d: samples.save_tiff(d / "a.tif", [samples.RU_LINES, samples.KK_LINES, ["третья"]]), "tiff", 3),
        (lambda d: samples.save_text_pdf(d / "a.pdf", [["Первая страница документа."], ["Вторая."]]), "pdf", 2),
    ],
)
def test_each_input_kind_is_recognised(tmp_path, maker, expected_format, pages):
    src = inspected(maker(tmp_path))
    assert (src.format, src.page_count) == (expected_format, pages)


def test_scan_pages_carry_their_dpi(tmp_path):
    src = inspected(samples.save_tiff(tmp_path / "a.tif", [samples.RU_LINES, samples.KK_LINES]))
    pages = list(ingest.iter_pages(src))
    assert [p.number for p in pages] == [1, 2]
    assert all(p.image is not None and p.dpi == 300 and p.text is None for p in pages)


def test_missing_or_absurd_dpi_is_reported_as_unknown(tmp_path):
    image = samples.text_image(["Строка"])
    image.save(tmp_path / "nodpi.png")
    image.save(tmp_path / "dpi72.png", dpi=(72, 72))
    for name in ("nodpi.png", "dpi72.png"):
        (page,) = ingest.iter_pages(inspected(tmp_path / name))
        assert page.dpi is None


def test_text_layer_is_read_with_paragraphs(tmp_path):
    path = samples.save_text_pdf(
        tmp_path / "t.pdf",
        [["Справка выдана гражданке Ковалёвой Анне Ивановне для предъявления по месту требования.",
          "Мұрағат анықтамасы берілді."]],
    )
    (page,) = ingest.iter_pages(inspected(path))
    assert page.image is None
    assert "Ковалёвой" in page.text and "Мұрағат анықтамасы берілді." in page.text
    assert "\n\n" in page.text  # the two paragraphs stay apart


def test_one_line_paragraphs_stay_apart():
    """A certificate of one-line paragraphs: most gaps are paragraph gaps, the line gap recurs."""
    def line(text, top):
        return {"text": text, "top": top, "bottom": top + 11.0}

    lines = [line("Дело № 17", 30.7), line("Арестована 19 января 1938 года.", 53.7),
             line("Ахметова Бибигуль 1902 жылы Ақмола", 76.7), line("облысында туған.", 91.7),
             line("Освобождена в 1946 году.", 114.7), line("Мұрағат анықтамасы берілді.", 137.7),
             line("Справка выдана по месту", 160.7), line("требования.", 175.7)]
    assert textlayer._join_lines(lines) == (
        "Дело № 17\n\nАрестована 19 января 1938 года.\n\nАхметова Бибигуль 1902 жылы Ақмола\nоблысында туған."
        "\n\nОсвобождена в 1946 году.\n\nМұрағат анықтамасы берілді.\n\nСправка выдана по месту\nтребования."
    )
    # evenly spaced lines are one paragraph; one wide gap among them starts another
    even = [line(f"строка {k}", 30.0 + 15 * k) for k in range(6)]
    assert "\n\n" not in textlayer._join_lines(even)
    even[3:] = [dict(ln, top=ln["top"] + 12, bottom=ln["bottom"] + 12) for ln in even[3:]]
    assert textlayer._join_lines(even).count("\n\n") == 1


def test_pdf_mixing_text_and_scanned_pages_is_handled_per_page(tmp_path):
    path = samples.save_mixed_pdf(tmp_path / "m.pdf", ["Первая страница набрана на компьютере, у неё есть текст."], samples.RU_LINES)
    first, second = ingest.iter_pages(inspected(path))
    assert first.text and first.image is None
    assert second.text is None and second.image is not None and second.dpi == 300
    # rendered at 300 DPI: an A5 page is about 1748 x 2480 pixels
    assert abs(second.image.width - 1748) <= 2


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile, match="empty"):
        inspected(path)


def test_truncated_pdf(tmp_path):
    whole = samples.save_text_pdf(tmp_path / "whole.pdf", [["Полный документ с текстом."]])
    path = samples.save_truncated_pdf(tmp_path / "cut.pdf", whole)
    with pytest.raises(CorruptFile, match="truncated") as info:
        inspected(path)
    assert "copy" in info.value.hint


def test_encrypted_pdf(tmp_path):
    with pytest.raises(EncryptedPdf, match="password"):
        inspected(samples.save_encrypted_pdf(tmp_path / "locked.pdf"))


def test_extension_that_lies_about_an_unsupported_file(tmp_path):
    path = tmp_path / "scan.png"
    path.write_text("<html><body>404 Not Found</body></html>")
    with pytest.raises(UnsupportedFormat, match="HTML") as info:
        inspected(path)
    assert ".png" in info.value.message and "PNG, JPEG, TIFF" in info.value.hint


def test_extension_that_lies_about_a_supported_file_is_read_by_content(tmp_path):
    path = samples.save_png(tmp_path / "scan.pdf")
    src = inspected(path)
    assert src.format == "png"
    assert src.warnings and "content is a PNG image" in src.warnings[0]


def test_unsupported_file(tmp_path):
    path = tmp_path / "letter.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnsupportedFormat, match="ZIP"):
        inspected(path)


def test_decompression_bomb(tmp_path):
    path = samples.save_bomb_png(tmp_path / "bomb.png")
    assert path.stat().st_size < 200_000
    with pytest.raises(ImageTooLarge, match="too large"):
        inspected(path)


def test_damaged_image_body(tmp_path):
    whole = samples.save_png(tmp_path / "whole.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 3])
    src = inspected(path)  # the header is fine ...
    with pytest.raises(CorruptFile, match="damaged"):  # ... the pixels are not
        ingest.load_page(src, 1)


def test_notes_beside_the_scans_are_sidecars_only_when_found_in_a_folder(tmp_path):
    (tmp_path / "README.md").write_text("Опись фонда")
    (tmp_path / "checksums.sha256").write_text("abc")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    found = {f.source: ingest.is_sidecar(f) for f in ingest.discover([tmp_path])}
    assert found == {"README.md": True, "checksums.sha256": True, "notes.docx": False}
    (named,) = ingest.discover([tmp_path / "README.md"])
    assert not ingest.is_sidecar(named)


# -- the text layer through PDFium: the same lines as pdfplumber's -------------------


def _layout_pdf(path, build):
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("DejaVu", fname=samples.SANS)
    pdf.add_font("DejaVu", style="B", fname=samples.SANS.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    pdf.add_font("Mono", fname=samples.MONO)
    build(pdf)
    pdf.output(str(path))
    return path


def _justified_pages(pdf):
    for n in range(2):
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(0, 18, f"СПРАВКА № {n + 1}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=11)
        for k in range(4):
            pdf.ln(10)
            pdf.multi_cell(0, 15, "Гражданка Ковалёва Анна Ивановна, 1901 года рождения, уроженка г. Житомира, "
                           f"арестована {k + 3} марта 1938 года; Мұрағат анықтамасы берілді. " * 2,
                           align="J", new_x="LMARGIN", new_y="NEXT")


def _form_page(pdf):
    pdf.add_page()
    pdf.set_font("Mono", size=10)
    for row, (label, value) in enumerate([("Фамилия", "Абдурахманова"), ("Имя", "Наталья"), ("Отчество", "Петровна"),
                                          ("Год рождения", "1897"), ("Место рождения", "аул Караой")]):
        pdf.set_xy(60, 80 + row * 16)
        pdf.cell(120, 14, label)
        pdf.set_xy(200, 80 + row * 16 + (1.5 if row % 2 else 0))  # a value a little off the label's line
        pdf.cell(200, 14, value)
    pdf.set_font("DejaVu", size=8)
    pdf.set_xy(60, 400)
    pdf.cell(0, 10, "Сноска мелким шрифтом: дело № 12-345, л. 17 об.")
    pdf.set_font("DejaVu", size=11)
    pdf.set_xy(60, 420)
    pdf.write(14, "Текст со ссылкой")
    pdf.set_font("DejaVu", size=7)
    pdf.set_xy(pdf.get_x(), 418)
    pdf.write(8, "1")
    pdf.set_font("DejaVu", size=11)
    pdf.set_xy(60, 436)
    pdf.multi_cell(300, 14, "и продолжение абзаца, которое переносится на несколько строк узкой колонки текста.")


@pytest.mark.parametrize("build", [_justified_pages, _form_page])
def test_pdfium_text_lines_are_pdfplumbers(tmp_path, build):
    path = _layout_pdf(tmp_path / "t.pdf", build)
    src = inspected(path)
    for number in range(1, src.page_count + 1):
        fast = textlayer._pdfium_text_lines(path, number, src.sha256)
        slow = textlayer._pdfplumber_text_lines(path, number)
        assert fast is not None
        assert [line["text"] for line in fast] == [line["text"] for line in slow]
        for a, b in zip(fast, slow):
            assert abs(a["top"] - b["top"]) < 0.01 and abs(a["bottom"] - b["bottom"]) < 0.01
        assert textlayer._join_lines(fast) == textlayer._join_lines(slow)
    textlayer.close_cached_documents()


def test_rotated_text_is_left_to_pdfplumber(tmp_path):
    def build(pdf):
        pdf.add_page()
        pdf.set_font("DejaVu", size=11)
        pdf.multi_cell(0, 15, "Справка выдана гражданке Ковалёвой Анне Ивановне для предъявления по месту требования.")
        with pdf.rotation(90, x=300, y=500):
            pdf.text(300, 500, "Штамп архива: копия верна")

    path = _layout_pdf(tmp_path / "r.pdf", build)
    assert textlayer._pdfium_text_lines(path, 1) is None
    expected = textlayer._join_lines(textlayer._pdfplumber_text_lines(path, 1))
    assert textlayer.pdf_text_layer(path, 1) == expected and "Ковалёвой" in expected
    textlayer.close_cached_documents()


def test_an_open_pdf_serves_all_its_pages_and_a_changed_file_is_reopened(tmp_path):
    path = samples.save_text_pdf(tmp_path / "t.pdf", [["Первая страница документа с текстом."], ["Вторая страница."]])
    src = inspected(path)
    textlayer.close_cached_documents()
    assert textlayer._open_pdfium(path, src.sha256) is textlayer._open_pdfium(path, src.sha256)
    first = [p.text for p in ingest.iter_pages(src)]
    assert len(textlayer._pdf_cache.docs) == 1
    samples.save_text_pdf(path, [["Совсем другой текст на первой странице."], ["И на второй странице тоже."]])
    changed = [p.text for p in ingest.iter_pages(inspected(path))]
    assert changed != first and "другой" in changed[0]
    textlayer.close_cached_documents()
    assert not textlayer._pdf_cache.docs


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("протокол допроса №5.pdf", "cp1251"),
        ("ДЕЛО 114/лист 2.tif", "cp1251"),
        ("справка.pdf", "cp866"),
        ("ДЕЛО 114/лист 2.tif", "cp866"),
        ("Дело_Иванова №5.pdf", "cp866"),
        ("déclaration.pdf", "cp1252"),
        ("Müller Brief.png", "cp1252"),
    ],
)
def test_names_that_are_not_utf8_are_shown_in_the_likeliest_code_page(name, encoding):
    shown, found = filenames.decode_name(name.encode(encoding))
    assert (shown, found) == (name, encoding)
    assert shown.encode(found) == name.encode(encoding)  # reversible


def test_utf8_names_stay_as_they_are_and_any_bytes_get_a_printable_name():
    assert filenames.decode_name("Жұмабаев.pdf".encode()) == ("Жұмабаев.pdf", None)
    for raw in (bytes(range(128, 256)), b"\x81\x8d\x8f\x90\x9d", b"\x98"):
        shown, encoding = filenames.decode_name(raw)
        assert shown.encode(encoding) == raw
        shown.encode("utf-8")  # printable: no lone surrogates


def test_discover_keeps_the_real_path_and_shows_a_decoded_name(tmp_path):
    folder = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), "дело".encode("cp1251"))))
    folder.mkdir()
    path = samples.save_png(Path(os.fsdecode(os.path.join(os.fsencode(folder), "лист 1.png".encode("cp1251")))))
    (found,) = ingest.discover([tmp_path])
    assert (found.source, found.source_encoding, found.path) == ("дело/лист 1.png", "cp1251", path)
    assert inspected(found.path, found.source).format == "png"


def test_a_named_pipe_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "scan.png")
    (found,) = ingest.discover([tmp_path / "scan.png"])  # named on the command line: not a folder
    assert found.explicit
    with pytest.raises(NotARegularFile, match="named pipe"):
        ingest.inspect(found)  # returns at once: O_NONBLOCK, and the type is checked first


def test_sixteen_bit_scans_convert_band_by_band_to_the_same_pixels(tmp_path, monkeypatch):
    import numpy as np

    from pipeline import imaging

    monkeypatch.setattr(imaging, "BAND_PIXELS", 1_000)
    data = (np.random.default_rng(3).random((130, 70)) * 65535).astype(np.uint16)
    converted = np.asarray(ingest._to_8bit(Image.fromarray(data)))
    whole = data.astype(np.float64)
    assert np.array_equal(converted, (whole * (255.0 / whole.max())).astype("uint8"))


def test_a_huge_pdf_page_is_rendered_within_the_pixel_budget(tmp_path, monkeypatch):
    from fpdf import FPDF

    monkeypatch.setattr(ingest, "MAX_PAGE_PIXELS", 2_000_000)
    pdf = FPDF(unit="pt", format=(2000, 1000))
    pdf.add_page()
    pdf.output(str(tmp_path / "poster.pdf"))
    src = inspected(tmp_path / "poster.pdf")
    page = ingest.load_page(src, 1)
    assert page.image.width * page.image.height <= 2_000_000 and page.dpi < 300
    assert page.warnings == [
        f"poster.pdf: page 1 is very large; rendered at {page.dpi} DPI instead of 300 to stay within the limit "
        "of 2 megapixels a page, so small print may not be read."
    ]


def test_a_pdf_with_no_pages(tmp_path):
    import pypdfium2 as pdfium

    empty = pdfium.PdfDocument.new()
    empty.save(tmp_path / "empty.pdf")
    empty.close()
    with pytest.raises(CorruptFile) as caught:
        inspected(tmp_path / "empty.pdf")
    assert caught.value.message == "empty.pdf: the PDF has no pages."  # not PDFium's "Success"


def test_a_pdf_with_no_pages_after_an_encrypted_one_is_not_called_encrypted(tmp_path):
    """PDFium keeps the last error: the encrypted PDF's, when it refuses the next for having no pages."""
    with pytest.raises(EncryptedPdf):
        inspected(samples.save_encrypted_pdf(tmp_path / "locked.pdf"))
    test_a_pdf_with_no_pages(tmp_path)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "CMYK", "P"])
def test_colour_pages_convert_band_by_band_to_the_same_pixels(mode):
    from PIL import ImageDraw

    image = Image.new("RGBA", (523, 311), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for i in range(0, 500, 37):
        draw.rectangle((i, i % 300, i + 30, i % 300 + 20), fill=(i % 256, 40, 200, 128 + i % 128))
    image = image.convert(mode) if mode != "P" else image.convert("RGB").convert("P")
    if mode in ("RGBA", "LA"):
        whole = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image.convert("RGBA"))
    else:
        whole = image
    assert ingest._to_8bit(image).tobytes() == whole.convert("RGB").tobytes()


def test_a_large_transparent_scan_is_loaded_without_whole_page_copies(tmp_path):
    """Decoded 4000x4000 RGBA is 64 MB; flattening it whole took about 250 MB more, by bands ~50."""
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (4000, 4000), (255, 255, 255, 0)).save(path)
    script = (
        "import resource, sys\n"
        "from pipeline import ingest\n"
        "src = ingest.inspect(ingest.SourceFile(path=__import__('pathlib').Path(sys.argv[1]), source='rgba.png'))\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "page = ingest.load_page(src, 1)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    import subprocess
    import sys

    grown = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parent.parent)
    assert int(grown.stdout) < 160, f"loading grew the process by {grown.stdout.strip()} MB"
