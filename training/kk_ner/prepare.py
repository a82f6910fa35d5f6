"""Convert KazNERD (IOB2, CoNLL-style) to spaCy DocBins with the project's four labels.

    python training/kk_ner/prepare.py KAZNERD_DIR --out training/kk_ner/corpus/

Writes to --out:
  train.spacy  KazNERD IOB2_valid.txt minus the dev slice
  dev.spacy    every 10th sentence of IOB2_valid.txt (sentence index % 10 == 9): a fixed,
               deterministic 10 % used by `spacy train` for model selection / early stopping
  test.spacy   KazNERD IOB2_test.txt (held out, only for evaluation)
  stats.json   sentence / token / entity counts per split

With --augment N (default 1) train.spacy also gets N mention-replaced copies of every
training sentence that has an entity: each PERSON / DATE / PLACE / ORG mention is swapped
for a random distinct mention of the same label seen in the training part (fixed seed). This keeps
the contexts but breaks the memorisation of the few names a 10k-sentence set contains;
30 % of the swapped-in mentions also get archival abbreviations where they fit ("1937 жылы"
-> "1937 ж.", "Қарағанды облысы" -> "Қарағанды обл."), which TV news never uses. The dev
and test splits are never augmented.

Label mapping (everything else, TIME and FACILITY included, becomes O):
  PERSON -> PERSON, DATE -> DATE, GPE -> PLACE, LOCATION -> PLACE, ORGANISATION -> ORG

KazNERD is pre-tokenised without the original spacing. Each Doc keeps KazNERD's tokens
(the gold tokenisation), with whitespace re-created the usual way (no space before
, . : ; ! ? ) » % and none after « ( [) so that `doc.text` reads like running text and
`spacy evaluate` feeds the tokenizer a natural string.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LABEL_MAP = {
    "PERSON": "PERSON",
    "DATE": "DATE",
    "GPE": "PLACE",
    "LOCATION": "PLACE",
    "ORGANISATION": "ORG",
}
LABELS = ("PERSON", "DATE", "PLACE", "ORG")
DEV_EVERY = 10  # sentence i goes to dev when i % DEV_EVERY == DEV_EVERY - 1

NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "»", "%", "…"}
NO_SPACE_AFTER = {"«", "(", "["}


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences as lists of (token, IOB2 tag); blank lines separate sentences."""
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if current:
                    sentences.append(current)
                    current = []
                continue
            token, sep, tag = line.rpartition(" ")
            if not sep or not token:
                raise ValueError(f"{path}:{lineno}: expected 'token TAG', got {line!r}")
            current.append((token, tag))
    if current:
        sentences.append(current)
    return sentences


def map_tags(tags: list[str]) -> list[str]:
    """KazNERD IOB2 tags -> IOB2 tags over our labels (dropped classes become O).

    A mapped I- that does not continue an entity of the same mapped label (e.g. after a
    dropped class, or GPE followed by I-LOCATION) is turned into B- so the result is valid.
    """
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag == "O" or "-" not in tag:
            new = "O"
        else:
            prefix, label = tag.split("-", 1)
            mapped = LABEL_MAP.get(label)
            if mapped is None:
                new = "O"
            elif prefix == "I" and prev != "O" and prev[2:] == mapped:
                new = "I-" + mapped
            else:
                new = "B-" + mapped
        out.append(new)
        prev = new
    return out


def spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, label) token spans of a valid IOB2 sequence."""
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            out.append([i, i + 1, tag[2:]])
        elif tag.startswith("I-") and out and out[-1][1] == i:
            out[-1][1] = i + 1
    return [tuple(x) for x in out]


ABBREVIATE_P = 0.3  # share of swapped-in mentions that get archival abbreviations when they can


def abbreviate(mention: tuple[str, ...], label: str) -> tuple[str, ...]:
    """Archival spellings KazNERD's TV news lacks: "1937 жылы" -> "1937 ж.", "облысы" -> "обл."."""
    out = list(mention)
    for i, word in enumerate(out):
        low = word.lower()
        if label == "DATE" and i > 0 and out[i - 1][:4].isdigit():
            if low in ("жылы", "жыл"):
                out[i] = "ж."
            elif low in ("жылдары", "жылдар"):
                out[i] = "жж."
        elif label == "PLACE" and i > 0:
            if low.startswith("облыс"):
                out[i] = "обл."
            elif low.startswith("аудан"):
                out[i] = "ауд."
    return tuple(out)


def augment(sentences, copies: int, seed: int = 0):
    """Mention replacement: copies of each sentence with entities, mentions swapped by label."""
    rng = random.Random(seed)
    mapped = [([w for w, _ in s], map_tags([t for _, t in s])) for s in sentences]
    seen: dict[str, set[tuple[str, ...]]] = {label: set() for label in LABELS}
    for words, tags in mapped:
        for start, end, label in spans(tags):
            seen[label].add(tuple(words[start:end]))
    pool = {label: sorted(mentions) for label, mentions in seen.items()}  # distinct mentions, uniform
    out = []
    for _ in range(copies):
        for words, tags in mapped:
            ents = spans(tags)
            if not ents:
                continue
            new_words, new_tags, pos = [], [], 0
            for start, end, label in ents:
                new_words += words[pos:start]
                new_tags += tags[pos:start]
                mention = rng.choice(pool[label])
                if rng.random() < ABBREVIATE_P:
                    mention = abbreviate(mention, label)
                new_words += mention
                new_tags += ["B-" + label] + ["I-" + label] * (len(mention) - 1)
                pos = end
            new_words += words[pos:]
            new_tags += tags[pos:]
            out.append((new_words, new_tags))
    return out


def spaces_for(words: list[str]) -> list[bool]:
    spaces = []
    for i, word in enumerate(words):
        if i == len(words) - 1:
            spaces.append(False)
            continue
        nxt = words[i + 1]
        spaces.append(not (word in NO_SPACE_AFTER or nxt in NO_SPACE_BEFORE))
    return spaces


def to_docs(nlp, sentences, extra=()):
    """Docs from KazNERD sentences (tags mapped) plus already mapped (words, tags) pairs."""
    from spacy.tokens import Doc

    pairs = [([w for w, _ in s], map_tags([t for _, t in s])) for s in sentences] + list(extra)
    return [Doc(nlp.vocab, words=w, spaces=spaces_for(w), ents=t) for w, t in pairs]


def entity_counts(docs) -> dict:
    counts = Counter(ent.label_ for doc in docs for ent in doc.ents)
    return {label: counts.get(label, 0) for label in LABELS}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kaznerd_dir", type=Path, help="folder with IOB2_valid.txt and IOB2_test.txt")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus")
    ap.add_argument("--augment", type=int, default=1, help="mention-replaced copies of train (0: none)")
    args = ap.parse_args(argv)

    import spacy
    from spacy.tokens import DocBin

    import pipeline.kazakh  # noqa: F401  registers "kk"

    nlp = spacy.blank("kk")
    valid = read_conll(args.kaznerd_dir / "IOB2_valid.txt")
    test = read_conll(args.kaznerd_dir / "IOB2_test.txt")
    train_s = [s for i, s in enumerate(valid) if i % DEV_EVERY != DEV_EVERY - 1]
    dev_s = [s for i, s in enumerate(valid) if i % DEV_EVERY == DEV_EVERY - 1]

    args.out.mkdir(parents=True, exist_ok=True)
    extra = augment(train_s, args.augment) if args.augment > 0 else []
    stats = {
        "source": str(args.kaznerd_dir),
        "label_map": LABEL_MAP,
        "dev_rule": f"valid sentence index % {DEV_EVERY} == {DEV_EVERY - 1}",
        "augment": args.augment,
    }
    for name, sents, more in (("train", train_s, extra), ("dev", dev_s, []), ("test", test, [])):
        docs = to_docs(nlp, sents, more)
        DocBin(docs=docs, store_user_data=False).to_disk(args.out / f"{name}.spacy")
        stats[name] = {
            "kaznerd_sentences": len(sents),
            "augmented_sentences": len(more),
            "sentences": len(docs),
            "tokens": sum(len(d) for d in docs),
            "entities": entity_counts(docs),
        }
        print(f"{name}: {stats[name]}")
    (args.out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
