"""Throughput of the default classifiers against a roberta-base-sized model, on the same texts.

Usage: ``python benchmarks/nlp_bench.py [--n 1000] [--threads 2] [--json]``

Both sides get the same texts, the same tokenisation lengths and the same batching levers
(length-sorted dynamic batches, ``torch.inference_mode``, the same thread count); the
reference is ``RobertaForSequenceClassification(RobertaConfig())`` with random weights in
float32, i.e. what a roberta-base fine-tune costs. The shipped models are timed end to end:
normalisation, language id, tokenisation and int8 inference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_FALLBACK = [
    "Just switched from Globex to Acme Air and honestly best decision ever, the crew was amazing",
    "@user my order still hasn't arrived after 3 weeks?? worst customer service ever",
    "Anyone know if the new phone supports wireless charging",
    "lol this ad is everywhere today 😂😂",
    "Can't believe they raised prices AGAIN. Cancelling my subscription tomorrow #done",
    "The keynote starts at 10am PT, live blog here http://example.com/live",
]


def sample_texts(n: int, seed: int = 13) -> list[str]:
    """TweetEval validation tweets when the shared data is there, else varied synthetic posts."""
    path = (
        Path(__file__).resolve().parent.parent.parent
        / "shared/data/tweeteval/sentiment/val_text.txt"
    )
    rng = random.Random(seed)
    if path.exists():
        lines = [t for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
        return [lines[i % len(lines)] for i in range(n)]
    return [" ".join(rng.sample(_FALLBACK, rng.randint(1, 2))) for _ in range(n)]


def bench_default(texts: list[str], batch_size: int, backend: str | None) -> dict[str, object]:
    import nlp
    from grapevine.core.settings import Settings
    from nlp.classifiers import DEFAULT_MODELS, open_model

    def load(task: str) -> nlp.Classifier:
        if backend is None:  # exactly what the pipeline loads
            settings = Settings(classify_batch_size=batch_size)
            return (
                nlp.load_sentiment(settings) if task == "sentiment" else nlp.load_advocacy(settings)
            )
        return open_model(task, DEFAULT_MODELS[task], batch_size=batch_size, backend=backend)

    out: dict[str, object] = {}
    sentiment = load("sentiment")
    out["sentiment_model"] = sentiment.version
    sentiment.classify(texts[:8])
    start = time.perf_counter()
    sentiment.classify(texts)
    out["sentiment"] = len(texts) / (time.perf_counter() - start)

    advocacy = load("advocacy")
    out["advocacy_model"] = advocacy.version
    items = [nlp.AdvocacyInput(t, "apple", None, None) for t in texts]
    advocacy.classify(items[:8])
    start = time.perf_counter()
    advocacy.classify(items)
    out["advocacy"] = len(texts) / (time.perf_counter() - start)

    # What the classify stage needs per post: its sentiment and one brand's advocacy. Two
    # passes with two models; one with a joint model (both settings on the same joint folder).
    joint = nlp.load_joint(Settings(classify_batch_size=batch_size)) if backend is None else None
    start = time.perf_counter()
    if joint is not None:
        joint.classify_joint(items)
    else:
        sentiment.classify(texts)
        advocacy.classify(items)
    out["both"] = len(texts) / (time.perf_counter() - start)
    out["joint"] = joint is not None
    return out


def bench_roberta(texts: list[str], batch_size: int) -> float:
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    from nlp.model import encode, load_tokenizer, pad
    from nlp.text import normalise

    torch.manual_seed(0)
    config = RobertaConfig()  # roberta-base sizes: 12 layers, hidden 768, vocab 50,265
    config.num_labels = 3
    model = RobertaForSequenceClassification(config)
    model.eval()  # type: ignore[no-untyped-call]
    tok = load_tokenizer()

    def run(batch: list[str]) -> None:
        # Same pre-processing and token lengths as the shipped model; ids folded into
        # RoBERTa's vocabulary (random weights: only the cost matters).
        ids = encode(tok, [normalise(t) for t in batch], 64, targeted=False)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        with torch.inference_mode():
            for s in range(0, len(order), batch_size):
                x, m = pad([ids[i] for i in order[s : s + batch_size]])
                x = (x % 50000) + 2
                model(input_ids=x, attention_mask=m)

    run(texts[:8])
    start = time.perf_counter()
    run(texts)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="texts to classify")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--backend",
        default=None,
        help="onnx | onnx-int8 | torch-int8 | torch (default: as shipped)",
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    texts = sample_texts(args.n)
    default = bench_default(texts, args.batch_size, args.backend)
    roberta = bench_roberta(texts, args.batch_size)
    sent, adv = float(default["sentiment"]), float(default["advocacy"])  # type: ignore[arg-type]
    result = {
        "n": args.n,
        "threads": args.threads,
        "sentiment_model": default["sentiment_model"],
        "advocacy_model": default["advocacy_model"],
        "sentiment_texts_per_second": round(sent, 1),
        "advocacy_texts_per_second": round(adv, 1),
        "roberta_base_texts_per_second": round(roberta, 1),
        "sentiment_ratio": round(sent / roberta, 2),
        "advocacy_ratio": round(adv / roberta, 2),
        "joint_model": default["joint"],
        "both_labels_posts_per_second": round(float(default["both"]), 1),  # type: ignore[arg-type]
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"texts: {args.n}, threads: {args.threads}")
    print(f"models: {result['sentiment_model']}, {result['advocacy_model']}")
    print(f"sentiment (default, end to end): {result['sentiment_texts_per_second']:8.1f} texts/s")
    print(f"advocacy  (default, end to end): {result['advocacy_texts_per_second']:8.1f} texts/s")
    print(
        f"roberta-base size, random fp32:  {result['roberta_base_texts_per_second']:8.1f} texts/s"
    )
    print(
        f"sentiment + advocacy per post ({'one joint pass' if default['joint'] else 'two models'}):"
        f" {result['both_labels_posts_per_second']:8.1f} posts/s"
    )
    print(
        f"ratio sentiment/roberta: {result['sentiment_ratio']:.2f}x  "
        f"advocacy/roberta: {result['advocacy_ratio']:.2f}x"
    )


if __name__ == "__main__":
    main()
