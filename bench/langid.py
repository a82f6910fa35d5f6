#!/usr/bin/env python3
"""Language identification bench: our LanguageTagger vs plain langdetect. Prints tables, asserts nothing.

Usage: bench/langid.py --kaznerd DIR --factrueval DIR [--n 1000] [--dev /work/shared/eval/dev] [--seed 0]

Kazakh: held-out KazNERD test split (the profile is built from the valid split only).
Russian: factRuEval-2016 texts cut into sentences with its own .tokens files.
"Plain langdetect" is the library's global detect() with all 55 stock profiles (seeded);
it has no Kazakh profile, which is the point of models/langdetect/kk.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.language import (  # noqa: E402
    CORE_CANDIDATES, DEFAULT_CANDIDATES, EXTRA_CANDIDATES, LanguageTagger, document_languages)
from scripts.build_kk_profile import read_conll_sentences  # noqa: E402

# A dozen sentences each, written for this bench (archive-flavoured, not from any corpus).
FOREIGN = {
    "de": [
        "Liebe Mutter, ich schreibe dir aus der Trudarmee in Tscheljabinsk.",
        "Wir wurden im September 1941 aus Marxstadt nach Kasachstan ausgesiedelt.",
        "Der Vater ist im Lager gestorben, wir haben erst nach dem Krieg davon erfahren.",
        "Bitte schicke mir warme Socken und ein wenig Brot, wenn es geht.",
        "Die Kinder gehen jetzt in die russische Schule und lernen schnell.",
        "Unsere Familie lebt in einer kleinen Erdhütte am Rande des Dorfes.",
        "Ich arbeite jeden Tag zwölf Stunden im Holzfällerlager.",
        "Man hat uns gesagt, dass wir die Sondersiedlung nicht verlassen dürfen.",
        "Grüße alle Verwandten in Karaganda von mir und von Emma.",
        "Die Kommandantur hat unsere Pässe eingezogen und nicht zurückgegeben.",
        "Im Winter war es sehr kalt und wir hatten kaum etwas zu essen.",
        "Gott sei Dank sind wir alle gesund geblieben.",
    ],
    "uk": [
        "Дорога мамо, пишу тобі з далекого Казахстану, де ми тепер живемо.",
        "Нас вислали з Житомирщини восени тридцять шостого року.",
        "Батька заарештували вночі, і більше ми його не бачили.",
        "Діти ходять до школи, але їм дуже важко без рідної мови.",
        "Ми живемо в бараці разом з іншими родинами переселенців.",
        "Прошу тебе, надішли нам трохи цукру та теплі речі.",
        "Взимку тут страшенні морози і сильний вітер у степу.",
        "Я працюю в колгоспі, отримую зовсім мало хліба.",
        "Передавай вітання всім сусідам і родичам у селі.",
        "Довідка видана для подання до органів соціального захисту.",
        "Його було реабілітовано посмертно за відсутністю складу злочину.",
        "Ми щодня згадуємо вас і сподіваємося колись повернутися додому.",
    ],
    "pl": [
        "Kochana mamo, piszę do Ciebie z dalekiego Kazachstanu.",
        "Wywieziono nas z Wołynia w kwietniu tysiąc dziewięćset czterdziestego roku.",
        "Ojciec został aresztowany i do dziś nie wiemy, co się z nim stało.",
        "Mieszkamy w ziemiance razem z dwiema innymi rodzinami.",
        "Dzieci chodzą do szkoły, ale brakuje im książek i ciepłych ubrań.",
        "Pracuję w kołchozie przy zbiorze buraków od świtu do nocy.",
        "Proszę, przyślij nam trochę mąki i lekarstw, jeśli możesz.",
        "Zima jest tu bardzo ciężka, mróz dochodzi do czterdziestu stopni.",
        "Pozdrów wszystkich sąsiadów i krewnych we wsi.",
        "Zaświadczenie wydano na wniosek zainteresowanej osoby.",
        "Został zrehabilitowany pośmiertnie z braku znamion przestępstwa.",
        "Codziennie modlimy się, żebyśmy mogli wrócić do domu.",
    ],
    "be": [
        "Дарагая мама, пішу табе з далёкага Казахстана, дзе мы цяпер жывём.",
        "Нас выселілі з-пад Оршы ўвосень трыццаць дзявятага года.",
        "Бацьку арыштавалі ноччу, і больш мы яго не бачылі.",
        "Дзеці ходзяць у школу, але ім цяжка без роднай мовы.",
        "Мы жывём у бараку разам з іншымі сем'ямі перасяленцаў.",
        "Калі можаш, дашлі нам крыху цукру і цёплыя рэчы.",
        "Зімой тут страшэнныя маразы і моцны вецер у стэпе.",
        "Я працую ў калгасе і атрымліваю зусім мала хлеба.",
        "Перадавай прывітанне ўсім суседзям і сваякам у вёсцы.",
        "Даведка выдадзена для прадстаўлення ў органы сацыяльнай абароны.",
        "Яго рэабілітавалі пасмяротна за адсутнасцю складу злачынства.",
        "Мы кожны дзень успамінаем вас і спадзяемся вярнуцца дадому.",
    ],
}

_HOMO = dict(zip("аеорсхуАВЕКМНОРСТХі", "aeopcxyABEKMHOPCTXi"))


def detok(tokens: list[str]) -> str:
    s = " ".join(tokens)
    s = re.sub(r"\s+([,.;:!?)»\]])", r"\1", s)
    return re.sub(r"([«(\[])\s+", r"\1", s)


def n_words(s: str) -> int:
    return sum(1 for w in s.split() if any(ch.isalpha() for ch in w))


def kazakh_sentences(kaznerd: Path) -> list[str]:
    return [detok(t) for t in read_conll_sentences(kaznerd / "IOB2_test.txt")]


def russian_sentences(factrueval: Path) -> list[str]:
    """Sentences from factRuEval's .tokens (blank line between sentences, offsets into .txt)."""
    out = []
    for tok in sorted(factrueval.glob("*/*.tokens")):
        text = tok.with_suffix(".txt").read_text(encoding="utf-8")
        for block in tok.read_text(encoding="utf-8").split("\n\n"):
            rows = [r.split(" ", 3) for r in block.strip().splitlines() if r.strip()]
            if rows:
                start, end = int(rows[0][1]), int(rows[-1][1]) + int(rows[-1][2])
                sent = " ".join(text[start:end].split())
                if sent:
                    out.append(sent)
    return out


def ocr_noise(s: str, rng: random.Random, rate: float = 0.1) -> str:
    """Swap ~rate of the Cyrillic letters that have a Latin look-alike, as OCR does."""
    return "".join(_HOMO[ch] if ch in _HOMO and rng.random() < rate else ch for ch in s)


def plain_langdetect():
    import langdetect
    from langdetect import DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # bench only: the global factory the pipeline must not use

    def detect(s: str) -> str:
        try:
            return langdetect.detect(s)
        except LangDetectException:
            return "und"

    return detect


def accuracy(detect, sents: list[str], gold: str) -> tuple[float, float, int, float]:
    t0 = time.perf_counter()
    preds = [detect(s) for s in sents]
    ms = (time.perf_counter() - t0) * 1000 / max(1, len(sents))
    long_ = [p for p, s in zip(preds, sents) if n_words(s) >= 5]
    acc = sum(p == gold for p in preds) / max(1, len(preds))
    acc5 = sum(p == gold for p in long_) / max(1, len(long_))
    return acc, acc5, len(long_), ms


def dev_eval(dev: Path, tagger: LanguageTagger) -> None:
    manifest = json.loads((dev / "manifest.json").read_text(encoding="utf-8"))
    print("\n## dev set (gold page texts): paragraph accuracy of tag(), dominant language first in document_languages()")
    print(f"{'doc':6} {'langs':8} {'paragraphs':>10} {'correct':>8} {'predicted':16} {'dominant':8} ok  errors")
    tot = ok = docs_ok = 0
    for d in manifest["documents"]:
        g = json.loads((dev / "gold" / f"{d['doc_id']}.json").read_text(encoding="utf-8"))
        texts = [p["text"] for p in g["pages"]]
        spans = [tagger.tag(t) for t in texts]
        errors, share = [], {}
        for para in g["gold"]["paragraphs"]:
            text, sp = texts[para["page"] - 1], spans[para["page"] - 1]
            overlap = {}
            for s in sp:
                o = min(s.end, para["end"]) - max(s.start, para["start"])
                if o > 0:
                    overlap[s.lang] = overlap.get(s.lang, 0) + o
            pred = max(overlap, key=overlap.get) if overlap else "none"
            n = sum(ch.isalpha() for ch in text[para["start"]:para["end"]])
            share[para["lang"]] = share.get(para["lang"], 0) + n
            tot += 1
            if pred == para["lang"]:
                ok += 1
            else:
                errors.append(f"p{para['page']}:{para['start']}-{para['end']} {para['lang']}->{pred}")
        langs = document_languages(zip(texts, spans))
        dominant = max(share, key=share.get)
        right = bool(langs) and langs[0] == dominant
        docs_ok += right
        n_par = len(g["gold"]["paragraphs"])
        print(f"{d['doc_id']:6} {','.join(d['languages']):8} {n_par:>10} {n_par - len(errors):>8} "
              f"{','.join(langs):16} {dominant:8} {'yes' if right else 'NO':3} {'; '.join(errors)}")
    print(f"paragraphs: {ok}/{tot} = {ok / max(1, tot):.3f}; documents with the dominant language first: "
          f"{docs_ok}/{len(manifest['documents'])}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kaznerd", type=Path, required=True)
    ap.add_argument("--factrueval", type=Path, required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dev", type=Path, default=Path("/work/shared/eval/dev"), help="'' to skip")
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    kk = rng.sample(kazakh_sentences(args.kaznerd), args.n)
    ru = rng.sample(russian_sentences(args.factrueval), args.n)
    noise_rng = random.Random(args.seed + 1)
    kk_noisy = [ocr_noise(s, noise_rng) for s in kk]
    ru_noisy = [ocr_noise(s, noise_rng) for s in ru]

    base = LanguageTagger(CORE_CANDIDATES, seed=args.seed)  # the default before issue 14
    default = LanguageTagger(DEFAULT_CANDIDATES, seed=args.seed)
    extra = LanguageTagger(DEFAULT_CANDIDATES + EXTRA_CANDIDATES, seed=args.seed)
    systems = {
        "langdetect, 55 profiles (global, seeded)": plain_langdetect(),
        f"ours {'+'.join(base.candidates)}": lambda s: base.detect(s)[0],
        f"ours {'+'.join(default.candidates)} (default)": lambda s: default.detect(s)[0],
        f"ours {'+'.join(extra.candidates)}": lambda s: extra.detect(s)[0],
    }
    print(f"## held-out sentences: {args.n} kk (KazNERD test), {args.n} ru (factRuEval-2016); seed {args.seed}")
    print("   'noisy' = 10% of Cyrillic letters with a Latin look-alike swapped for it (simulated OCR)")
    print(f"{'system':44} {'set':9} {'all':>7} {'5+ words':>9} {'n 5+':>5} {'ms/sent':>8}")
    for name, fn in systems.items():
        for label, sents, gold in (("kk", kk, "kk"), ("ru", ru, "ru"), ("kk noisy", kk_noisy, "kk"),
                                   ("ru noisy", ru_noisy, "ru")):
            acc, acc5, n5, ms = accuracy(fn, sents, gold)
            print(f"{name:44} {label:9} {acc:7.3f} {acc5:9.3f} {n5:>5} {ms:8.2f}")
    changed = sum(base.detect(s) != default.detect(s) for s in kk + ru + kk_noisy + ru_noisy)
    print(f"ru/kk sentences whose (tag, confidence) differ between {'+'.join(base.candidates)} and the default: "
          f"{changed}/{4 * args.n}")

    print("\n## own German / Ukrainian / Polish / Belarusian sentences (12 each): share labelled as expected")
    print(f"{'lang':5} {'default -> own code':>20} {'ru+kk only -> und':>18}  misses (default/ru+kk)")
    for code, sents in FOREIGN.items():
        with_x = [default.detect(s)[0] for s in sents]
        without = [base.detect(s)[0] for s in sents]
        misses = [f"{p}/{q}" for p, q in zip(with_x, without) if p != code or q != "und"]
        print(f"{code:5} {sum(p == code for p in with_x):>17}/{len(sents)} "
              f"{sum(q == 'und' for q in without):>15}/{len(sents)}  {' '.join(misses)}")

    if str(args.dev) and (args.dev / "manifest.json").is_file():
        dev_eval(args.dev, base)
        print("\n(default candidates)")
        dev_eval(args.dev, default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
