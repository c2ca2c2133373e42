"""Can sentiment ride on the advocacy model's encoder pass? (issues #10 and #16, a variant)

    .venv/bin/python tools/experiments/shared_encoder_sentiment.py [--data DIR] [--n 20000]

Why. Classify runs two 4-layer encoders per post (sentiment on the post, advocacy on the post with
its brand marked); it is three quarters of a night's time. If sentiment could be read from the
advocacy pass, a post would cost one encoder pass instead of two.

How. The shipped advocacy model (torch float32) reads ``--n`` TweetEval *training* tweets and the
2,000 TweetEval validation tweets as advocacy inputs (no brand in the text, so ``[unused0] :`` in
front, as for any post that does not spell its target); its pooled features (the head's input,
768 dimensions) feed a logistic regression trained on the training tweets; macro recall on
validation is compared with the shipped sentiment model's 73.2. About 2 minutes on 2 cores.

December 2026, ``--n 20000``: macro recall 69.4-69.8 (balanced classes; 66.8-67.5 without), at
C = 0.01 / 0.1 / 1. 3.4 points under the dedicated model and under RoBERTa-base's 71.3, so
nothing is shipped from it: a frozen advocacy encoder does not carry enough sentiment. A jointly
fine-tuned encoder (both tasks, one pass) is the variant left; it needs about 1.5 hours of CPU.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ADVOCACY = Path(__file__).resolve().parents[2] / "nlp" / "models" / "minilm4-advocacy"


def features(texts: list[str]) -> np.ndarray:
    """The advocacy model's pooled features (its head's input) for ``texts`` as advocacy inputs."""
    import torch

    from nlp.model import load_model
    from nlp.model_files import encode, load_tokenizer, pad_ids
    from nlp.text import model_input
    from nlp.types import AdvocacyInput

    model, cfg = load_model(ADVOCACY, quantize=False)
    model.eval()
    seen: list[Any] = []
    model.head.register_forward_hook(lambda _m, inputs, _o: seen.append(inputs[0]))
    inputs = [model_input(AdvocacyInput(t, "Zzqx", None, None)) for t in texts]
    ids = encode(load_tokenizer(), inputs, cfg.max_len, targeted=True)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), model.head.in_features), np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), 128):
            sel = order[s : s + 128]
            x, m = (torch.from_numpy(a) for a in pad_ids([ids[i] for i in sel]))
            model(x, m)
            out[sel] = seen.pop().numpy()
    return out


def main() -> None:
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score
    from sklearn.preprocessing import StandardScaler

    from nlp.data import DEFAULT_DATA_DIR, tweeteval_train, tweeteval_val

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--n", type=int, default=20_000, help="training tweets to sample")
    args = parser.parse_args()
    torch.set_num_threads(2)
    texts, labels = tweeteval_train(args.data)
    rows = random.Random(0).sample(range(len(texts)), min(args.n, len(texts)))
    x_train = features([texts[i] for i in rows])
    y_train = np.array([labels[i] for i in rows])
    val_texts, val_labels = tweeteval_val(args.data)
    x_val, y_val = features(val_texts), np.array(val_labels)
    scaler = StandardScaler().fit(x_train)
    for c in (0.01, 0.1, 1.0):
        for weight in (None, "balanced"):
            lr = LogisticRegression(C=c, max_iter=2000, class_weight=weight)
            lr.fit(scaler.transform(x_train), y_train)
            pred = lr.predict(scaler.transform(x_val))
            recall = recall_score(y_val, pred, average="macro")
            print(f"C={c:<5} class_weight={weight!s:9} macro recall {100 * recall:.1f}")
    print("shipped sentiment model: 73.2 (docs/models.md)")


if __name__ == "__main__":
    main()
