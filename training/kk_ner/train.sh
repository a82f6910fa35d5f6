#!/usr/bin/env bash
# Retrain the Kazakh NER pipeline from KazNERD and install it into models/kk_ner/.
#
#   bash training/kk_ner/train.sh /work/shared/data/kaznerd
#
# prepare (IOB2 -> DocBins) -> spacy train -> copy model-best to models/kk_ner/ -> score on
# the KazNERD test split (spacy evaluate + evaluate.py). Runs on one CPU thread at the
# lowest priority. Environment knobs: PYTHON (interpreter), CONFIG (default
# training/kk_ner/config.cfg), EXTRA (overrides passed to
# `spacy train`, e.g. EXTRA="--training.max_steps 20" for a smoke run), CORPUS_DIR,
# OUTPUT_DIR, MODEL_DIR (defaults: training/kk_ner/corpus, training/kk_ner/output,
# models/kk_ner).
set -euo pipefail

KAZNERD_DIR=$(cd "${1:?usage: train.sh KAZNERD_DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
CONFIG=${CONFIG:-training/kk_ner/config.cfg}
CORPUS=${CORPUS_DIR:-training/kk_ner/corpus}
OUTPUT=${OUTPUT_DIR:-training/kk_ner/output}
MODEL=${MODEL_DIR:-models/kk_ner}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONUNBUFFERED=1
NICE="nice -n 19"
cd "$ROOT"

$NICE "$PYTHON" training/kk_ner/prepare.py "$KAZNERD_DIR" --out "$CORPUS"

start=$(date +%s)
# shellcheck disable=SC2086
$NICE "$PYTHON" -m spacy train "$CONFIG" \
    --code training/kk_ner/code.py \
    --paths.train "$CORPUS/train.spacy" \
    --paths.dev "$CORPUS/dev.spacy" \
    --output "$OUTPUT" ${EXTRA:-}
echo "training took $(( $(date +%s) - start )) s"

# models/kk_ner/ = model-best plus the model card (README.md is kept)
find "$MODEL" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$MODEL"
cp -r "$OUTPUT/model-best/." "$MODEL/"
"$PYTHON" - "$MODEL" <<'PY'
import json, sys
from pathlib import Path
from spacy.util import load_config
# the training data paths are not part of the model
cfg_path = Path(sys.argv[1]) / "config.cfg"
cfg = load_config(cfg_path, interpolate=False)
cfg["paths"]["train"] = None
cfg["paths"]["dev"] = None
cfg.to_disk(cfg_path)
meta_path = Path(sys.argv[1]) / "meta.json"
meta = json.loads(meta_path.read_text(encoding="utf-8"))
meta.update(
    name="kk_ner",
    version="0.1.0",
    description="Kazakh NER (PERSON, DATE, PLACE, ORG), trained from scratch on the KazNERD "
    "validation split; needs `import pipeline.kazakh` before spacy.load",
    license="CC BY 4.0 (training data: KazNERD, ISSAI)",
    sources=[{"name": "KazNERD", "url": "https://github.com/IS2AI/KazNERD", "license": "CC BY 4.0",
              "author": "R. Yeshpanov, Y. Khassanov, H. A. Varol (ISSAI)"}],
)
meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
PY

$NICE "$PYTHON" -m spacy evaluate "$MODEL" "$CORPUS/test.spacy" \
    --code training/kk_ner/code.py --output "$OUTPUT/spacy_evaluate_test.json"
$NICE "$PYTHON" training/kk_ner/evaluate.py "$MODEL" "$CORPUS/test.spacy" --json "$OUTPUT/test_scores.json"
du -sh "$MODEL"
