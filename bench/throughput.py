"""Batch throughput: `testimony run --jobs N` against bare tesseract, text-layer pages/s, worker memory.

    .venv/bin/python bench/throughput.py                       # 40 scan pages, 200 text-layer pages
    .venv/bin/python bench/throughput.py --pages 1000 --text-pages 1000 --jobs 1,2

Generates typewritten scan pages at 300 DPI (the typewriter, paper and scanner
model of scripts/make_corpus.py; a few distinct sheets, each copy numbered so
that every file is a different document) and born-digital PDFs with a text
layer, in a temporary folder. Then, for each N in --jobs (default 1 and all
cores):

* bare tesseract: `tesseract IMAGE stdout -l rus+kaz` on every scan, N at a
  time, OMP_THREAD_LIMIT=1: the lower bound of the time any OCR pipeline
  needs (no cleaning, no layout, no language tags, no entities). It runs
  before and after testimony, and the ratio is against the mean of the two,
  because a shared machine's speed drifts over the minutes a run takes;
* `testimony run SCANS --jobs N` end to end (a fresh output folder, models
  loaded in the timed run), with its ratio to the bare tesseract rate;
* `testimony run PDFS --jobs N` on the text-layer pages, in pages/s per core
  (`--repeat R`: R runs, the table gives the median one and lists them all,
  because a shared machine's speed moves such a short run by 10-20 %).

While testimony runs, the resident memory (RSS) of every worker process is
sampled (tesseract children not counted: they come and go per page); the
table gives the largest worker's peak by the time 100 pages are written and
at the end of the run, so a long run (--pages 1000) shows whether memory
stays flat. Prints a table and the machine; no assertions (a benchmark, not
a test).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from PIL import ImageDraw

ROOT = Path(__file__).resolve().parent.parent
RECORD = re.compile(r"[0-9a-f]{16}\.json")

SURNAMES = ["Ковалёва", "Кравченко", "Бекмағамбетова", "Гордеев", "Искаков", "Шмидт", "Абдурахманова", "Петренко",
            "Жұмабаев", "Сейфуллина", "Лебедев", "Нурпеисов"]
NAMES = ["Анна Ивановна", "Мария Степановна", "Үміт Қасымқызы", "Пётр Ильич", "Ахмет Сейтович", "Эльза Карловна",
         "Наталья Петровна", "Галина Олеговна"]
PLACES = ["г. Акмолинска", "г. Житомира", "Қарқаралы қаласы", "г. Саратова", "с. Долинка", "г. Вильно", "г. Алма-Ата"]
RU = [
    "{name}, {year} года рождения, уроженка {place}, до ареста проживала там же.",
    "Арестована {day} {month} {year2} года органами НКВД по ст. 58-10 УК РСФСР.",
    "Постановлением Особого совещания при НКВД СССР от {day} {month} {year2} года заключена в ИТЛ сроком на {term} лет.",
    "Прибыла в Акмолинское отделение Карлага этапом из {place}; направлена на общие работы.",
    "Освобождена {day} {month} {year3} года по отбытии срока наказания.",
    "Определением Военной коллегии Верховного суда СССР дело прекращено за отсутствием состава преступления.",
    "Справка выдана для представления в органы социального обеспечения.",
]
KK = [
    "{name} {year} жылы {place} туған, тұтқындалғанға дейін мектепте мұғалім болып істеді.",
    "Ол {year2} жылғы қарашада тұтқындалып, {term} жылға сотталды, кейін толық ақталды.",
    "Мұрағат анықтамасы отбасы мүшелерінің өтініші бойынша берілді.",
]
MONTHS = ["января", "марта", "мая", "июля", "сентября", "ноября"]


def _corpus_module():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "scripts" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def paragraphs(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        template = rng.choice(KK if rng.random() < 0.25 else RU)
        out.append(template.format(
            name=f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}", place=rng.choice(PLACES),
            year=rng.randint(1890, 1915), year2=rng.randint(1936, 1939), year3=rng.randint(1944, 1956),
            day=rng.randint(1, 28), month=rng.choice(MONTHS), term=rng.choice(["пять", "восемь", "десять"]),
        ))
    return out


def make_scans(folder: Path, pages: int, sheets: int, paper: str) -> None:
    """`pages` one-page PNG scans made from `sheets` rendered sheets, each copy numbered in the margin."""
    mc = _corpus_module()
    width, height = {"a5": (148, 210), "a4": (210, 297)}[paper]
    bases = []
    for k in range(min(sheets, pages)):
        rng = random.Random(k)
        sheet = mc.Sheet(width, height, seed=1000 + k)
        typist = mc.Typist(sheet, mc.font(mc.MONO, 10.5), left_mm=16, top_mm=18, width_chars=int((width - 30) / 2.55),
                           line_spacing=1.45)
        typist.center("СПРАВКА" if k % 2 == 0 else "АНЫҚТАМА")
        typist.blank(0.5)
        while typist.y + 4 * typist.lh < mc.mm(height - 18):
            typist.para(paragraphs(rng, 1)[0], first_indent=4)
        bases.append(mc.render_scan(sheet, angle=rng.uniform(-0.8, 0.8), blur=0.6, stains=1))
    for i in range(pages):
        image = bases[i % len(bases)].copy()
        ImageDraw.Draw(image).text((mc.mm(8), mc.mm(6)), f"л. {i + 1}", font=mc.font(mc.MONO, 9), fill=40)
        image.save(folder / f"scan_{i + 1:05d}.png", format="PNG", dpi=(300, 300), compress_level=3)


def make_text_pdfs(folder: Path, pages: int, per_file: int) -> None:
    from fpdf import FPDF

    rng = random.Random(7)
    done = 0
    number = 0
    while done < pages:
        number += 1
        pdf = FPDF(unit="pt", format="A4")
        pdf.add_font("DejaVu", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        pdf.set_font("DejaVu", size=11)
        for _ in range(min(per_file, pages - done)):
            pdf.add_page()
            pdf.multi_cell(0, 15, f"Дело № {number}-{done + 1}", new_x="LMARGIN", new_y="NEXT")
            for text in paragraphs(rng, 6):
                pdf.ln(8)
                pdf.multi_cell(0, 15, text, new_x="LMARGIN", new_y="NEXT")
            done += 1
        pdf.output(str(folder / f"text_{number:04d}.pdf"))


# -- measuring -------------------------------------------------------------------


def bare_tesseract(images: list[Path], jobs: int) -> float:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")

    def one(path: Path) -> None:
        subprocess.run(["tesseract", str(path), "stdout", "-l", "rus+kaz"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


class MemoryWatch(threading.Thread):
    """Samples the RSS of a testimony run's worker processes and counts the pages written."""

    def __init__(self, pid: int, jobs: int, out: Path, pages_per_record: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.jobs, self.out, self.per_record, self.interval = jobs, out, pages_per_record, interval
        self.peaks: dict[int, int] = {}
        self.at_100: int | None = None
        self.first: tuple[float, int] | None = None  # (time, pages) when the first record appeared
        self.main_peak = 0
        self.stop = threading.Event()

    def workers(self) -> list[psutil.Process]:
        if self.jobs <= 1:
            return [self.root]
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            return []
        return [p for p in children if _is_python(p)]

    def pages(self) -> int:
        try:
            return sum(1 for e in os.scandir(self.out) if RECORD.fullmatch(e.name)) * self.per_record
        except OSError:
            return 0

    def run(self) -> None:
        while not self.stop.is_set():
            for proc in self.workers():
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    continue
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
            try:
                self.main_peak = max(self.main_peak, self.root.memory_info().rss)
            except psutil.Error:
                pass
            pages = self.pages()
            if self.first is None and pages:
                self.first = (time.perf_counter(), pages)
            if self.at_100 is None and pages >= 100:
                self.at_100 = max(self.peaks.values(), default=0)
            self.stop.wait(self.interval)


def _is_python(proc: psutil.Process) -> bool:
    try:
        return "python" in proc.name().lower() or "python" in " ".join(proc.cmdline()[:1]).lower()
    except psutil.Error:
        return False


def testimony(inputs: Path, out: Path, jobs: int, pages_per_record: int, extra: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "pipeline", "run", str(inputs), "--out", str(out), "--jobs", str(jobs),
               "--no-progress", *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watch = MemoryWatch(proc.pid, jobs, out, pages_per_record)
    watch.start()
    _, err = proc.communicate()
    ended = time.perf_counter()
    seconds = ended - started
    watch.stop.set()
    watch.join()
    if proc.returncode != 0:
        sys.exit(f"testimony failed ({proc.returncode}):\n{err.decode(errors='replace')[-2000:]}")
    summary = json.loads((out / "run.json").read_text(encoding="utf-8"))
    if watch.at_100 is None and summary["pages"] >= 100:
        # the 100th page was the last, and the run ended before a sample saw its record
        watch.at_100 = max(watch.peaks.values(), default=0)
    return {
        "seconds": seconds,
        "pages": summary["pages"],
        "run_seconds": summary["seconds"],
        "peak_100": watch.at_100,
        "peak_end": max(watch.peaks.values(), default=0),
        "workers": len(watch.peaks),
        "main_peak": watch.main_peak,
        # pages/s from the first record written to the end: the rate once models are loaded
        "steady": ((summary["pages"] - watch.first[1]) / (ended - watch.first[0])
                   if watch.first and ended > watch.first[0] and summary["pages"] > watch.first[1] else None),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    tess = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{cpu}; {usable} usable cores ({psutil.cpu_count(logical=False)} physical); "
            f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {tess}; load average at start {load}")


def mb(value) -> str:
    return f"{value / 2**20:.0f}" if value else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="scan pages (default 40)")
    parser.add_argument("--text-pages", type=int, default=200, help="text-layer PDF pages (default 200)")
    parser.add_argument("--jobs", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated values of N (default: 1 and all cores)")
    parser.add_argument("--sheets", type=int, default=12, help="distinct scan sheets rendered (default 12)")
    parser.add_argument("--paper", choices=("a5", "a4"), default="a5", help="scan page size (default a5)")
    parser.add_argument("--pages-per-pdf", type=int, default=20, help="pages per text-layer PDF (default 20)")
    parser.add_argument("--no-entities", action="store_true", help="pass --no-entities to testimony (text only)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run testimony on the text-layer PDFs this many times for each N; the table gives "
                             "the median run and the spread (default 1)")
    parser.add_argument("--workdir", type=Path, help="keep the generated inputs and outputs here")
    args = parser.parse_args()
    jobs_list = sorted({int(j) for j in args.jobs.split(",") if j.strip()})
    extra = ["--no-entities"] if args.no_entities else []

    work = args.workdir or Path(tempfile.mkdtemp(prefix="testimony-bench-"))
    scans, pdfs = work / "scans", work / "pdfs"
    for folder in (scans, pdfs):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    print(f"machine: {machine()}", flush=True)
    started = time.perf_counter()
    if args.pages:
        make_scans(scans, args.pages, args.sheets, args.paper)
    if args.text_pages:
        make_text_pdfs(pdfs, args.text_pages, args.pages_per_pdf)
    print(f"inputs: {args.pages} scan pages ({args.paper.upper()}, 300 DPI, {args.sheets} distinct sheets), "
          f"{args.text_pages} text-layer pages in PDFs of {args.pages_per_pdf}; made in "
          f"{time.perf_counter() - started:.0f} s in {work}"
          + ("; testimony with --no-entities" if extra else "; testimony with entities (default)"), flush=True)

    rows = []
    images = sorted(scans.glob("*.png"))
    for jobs in jobs_list:
        if images:
            # bare tesseract before and after testimony (A-B-A): a shared VM drifts by 10 % and
            # more over minutes, and the ratio is taken against the mean of the two
            before = bare_tesseract(images, jobs)
            print(f"  bare tesseract N={jobs}: {len(images) / before:.2f} pages/s", flush=True)
            result = testimony(scans, work / f"out-scans-{jobs}", jobs, 1, extra)
            print(f"  testimony scans N={jobs}: {result['pages'] / result['seconds']:.2f} pages/s", flush=True)
            after = bare_tesseract(images, jobs)
            print(f"  bare tesseract again N={jobs}: {len(images) / after:.2f} pages/s", flush=True)
            bare = (before + after) / 2
            rows.append(("bare tesseract rus+kaz, scans (mean of before/after)", jobs, len(images), bare, None))
            rows.append(("testimony run, scans", jobs, result["pages"], result["seconds"], result | {"bare": bare}))
        if args.text_pages:
            runs = []
            for _ in range(args.repeat):
                runs.append(testimony(pdfs, work / f"out-text-{jobs}", jobs, args.pages_per_pdf, extra))
                print(f"  testimony text N={jobs}: {runs[-1]['pages'] / runs[-1]['seconds']:.2f} pages/s", flush=True)
            runs.sort(key=lambda r: r["seconds"])
            result = runs[len(runs) // 2]  # the median run (the upper one of an even count)
            if len(runs) > 1:
                result["spread"] = [r["pages"] / r["seconds"] / jobs for r in runs]
            rows.append(("testimony run, text-layer PDFs", jobs, result["pages"], result["seconds"], result))

    print()
    print("| run | N | pages | wall s | pages/s | pages/s per core | vs bare tesseract | speed-up vs N=1 "
          "| worker peak RSS MB at 100 pages / at end |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = {name: pages / seconds for name, jobs, pages, seconds, _ in rows if jobs == 1 and seconds}
    for name, jobs, pages, seconds, info in rows:
        rate = pages / seconds if seconds else 0.0
        ratio = f"{rate / (pages / info['bare']):.2f}" if info and "bare" in info else "-"
        speedup = f"{rate / base[name]:.2f}×" if base.get(name) else "-"
        memory = f"{mb(info['peak_100'])} / {mb(info['peak_end'])}" if info else "-"
        print(f"| {name} | {jobs} | {pages} | {seconds:.1f} | {rate:.2f} | {rate / jobs:.2f} | {ratio} | {speedup} "
              f"| {memory} |")
    print()
    print("wall s: the whole command, start-up and model loading included. Rates from run.json "
          "(which counts model loading too) and once the first record is written:")
    for name, jobs, pages, seconds, info in rows:
        if info:
            steady = f"{info['steady']:.2f}" if info.get("steady") else "-"
            print(f"  {name}, N={jobs}: {pages / info['run_seconds']:.2f} pages/s over {info['run_seconds']:.1f} s; "
                  f"{steady} pages/s from the first record written to the end; "
                  f"{info['workers']} worker process(es); main process peak {mb(info['main_peak'])} MB")
            if info.get("spread"):
                print(f"    all {len(info['spread'])} runs, pages/s per core (wall): "
                      + ", ".join(f"{rate:.2f}" for rate in sorted(info["spread"])))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
