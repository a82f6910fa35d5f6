"""`spacy train/evaluate --code training/kk_ner/code.py`: registers the "kk" language and
the kk.RichMultiHashEmbed.v1 architecture (both in pipeline/kazakh.py)."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import pipeline.kazakh  # noqa: E402,F401
