"""Rebuild the wheel's model folder from .gpu/base.tar.xz (compact: float16 + int8 word-embedding
rows the training data uses, others zero) as float32 model.safetensors, same names and shapes."""

import sys
import tarfile
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
with tarfile.open(src) as t:
    t.extractall(dst)
c = load_file(str(dst / "compact.safetensors"))
rows, q, scale = c.pop("emb.rows"), c.pop("emb.q"), c.pop("emb.scale")
emb = np.zeros((30522, 384), dtype=np.float32)
emb[rows] = q.astype(np.float32) * scale[:, None]
out = {k: (v.astype(np.float32) if v.dtype == np.float16 else v) for k, v in c.items()}
out["embeddings.word_embeddings.weight"] = emb
out["pooler.dense.weight"] = np.zeros((384, 384), dtype=np.float32)
out["pooler.dense.bias"] = np.zeros((384,), dtype=np.float32)
save_file(out, str(dst / "model.safetensors"))
(dst / "compact.safetensors").unlink()
print("rebuilt", dst, len(out), "tensors")
