"""Do two cores serve the 4-layer classifier best as one 2-thread session, or as two 1-thread
batches side by side? (issue #16, a variant)

    .venv/bin/python tools/experiments/inference_threads.py [--n 1500]

Why. A 100k-post night is 96 % model time; if ONNX Runtime's intra-op threads left a core idle on
our small batches (64 short posts, 384 wide), running whole batches on separate threads would
be a free speed-up.

How. The shipped sentiment graph with its weights bound, on ``--n`` TweetEval validation tweets,
normalised, tokenised and length-sorted into batches of 64 as ``MiniLMClassifier`` does; three
set-ups, each twice, interleaved: 2 intra-op threads, 1 thread, and 1-thread sessions fed by a
2-worker thread pool (``InferenceSession.run`` releases the GIL).

December 2026, quiet machine, 1,500 tweets, two runs: 428-435 texts/s on 2 threads, 212-228
on 1, 409-433 with two batches side by side. Intra-op threading already uses both cores;
nothing to gain, nothing shipped.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500)
    from nlp.data import DEFAULT_DATA_DIR

    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA_DIR / "tweeteval/sentiment/val_text.txt"
    )
    args = parser.parse_args()

    from nlp.model_files import ModelConfig, encode, load_tokenizer
    from nlp.onnx_backend import OnnxRunner, graph_path, session
    from nlp.text import normalise

    folder = ROOT / "nlp/models/minilm4-sentiment"
    texts = args.data.read_text(encoding="utf-8").splitlines()[: args.n]
    ids = encode(
        load_tokenizer(),
        [normalise(t) for t in texts],
        ModelConfig.load(folder).max_len,
        targeted=False,
    )
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches = [[ids[i] for i in order[s : s + 64]] for s in range(0, len(order), 64)]

    def run(threads: int, workers: int) -> None:
        runner = OnnxRunner(*session(graph_path(folder), folder, threads=threads))
        runner.logits(batches[0])  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        if workers == 1:
            for batch in batches:
                runner.logits(batch)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(runner.logits, batches))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{threads} intra-op thread(s), {workers} worker(s): {len(ids) / wall:.0f} texts/s "
            f"(wall {wall:.2f} s, CPU {cpu:.2f} s)",
            flush=True,
        )

    for _ in range(2):
        run(2, 1)
        run(1, 1)
        run(1, 2)


if __name__ == "__main__":
    main()
