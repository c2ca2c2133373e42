import pathlib
import time

import numpy as np

from nlp.model import encode, load_tokenizer
from nlp.train import TrainOptions, training_examples

used = set()
tok = load_tokenizer()
for recipe in ("v1", "brand"):
    res = {}
    for d in ("/work/shared/data", "/tmp/gpudata"):
        t = time.time()
        td = training_examples(
            TrainOptions(
                task="advocacy",
                data_dir=pathlib.Path(d),
                out_dir=pathlib.Path("/tmp/x"),
                recipe=recipe,
            )
        )
        res[d] = td
        print(recipe, d, len(td.train_x), len(td.val_x), round(time.time() - t, 1), "s")
    a, b = res.values()
    print("identical:", a == b)
    t = time.time()
    for xs in (a.train_x, a.val_x):
        for ids in encode(tok, xs, 64, targeted=True):
            used.update(ids)
    print("encode", round(time.time() - t, 1))
used.update([4435, 2060, 101, 1, 2, 7592, 102, 0])
print("used rows", len(used))
np.save("/tmp/used_rows.npy", np.array(sorted(used)))
