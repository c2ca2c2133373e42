"""Readers for the training and evaluation data (``../shared/data`` by default).

Every reader returns plain ``(texts, labels)`` or ``(inputs, labels)`` lists so that the
training script, the evaluation CLI and the baselines all see the very same examples.
The data is read where it lies and never copied into the repository.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from pathlib import Path

from grapevine.core.domain import Advocacy, Sentiment
from grapevine.core.errors import InputError
from nlp.augment import FAKE_BRANDS
from nlp.types import AdvocacyInput

#: The shared data folder, relative to the repository (``/work/shared/data`` in the dev setup).
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

SENTIMENT_LABELS: tuple[str, ...] = tuple(s.value for s in Sentiment)
ADVOCACY_LABELS: tuple[str, ...] = (
    Advocacy.ADVOCACY.value,
    Advocacy.BADVOCACY.value,
    Advocacy.NONE.value,
)
_TWEETEVAL_IDS = {"0": "negative", "1": "neutral", "2": "positive"}
_LOOSE = re.compile(r"[^\w]+")


def loose_key(text: str) -> str:
    """Lower-cased, punctuation-free form of a text, for overlap checks between data sets."""
    return _LOOSE.sub(" ", text.lower()).strip()


def tweeteval_train(data_dir: Path) -> tuple[list[str], list[str]]:
    """The reconstructed TweetEval sentiment training split (see the data README)."""
    path = data_dir / "tweeteval" / "sentiment" / "train_reconstructed.tsv"
    texts, labels = [], []
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            texts.append(parts[3])
            labels.append(_TWEETEVAL_IDS[parts[0]])
    return texts, labels


def tweeteval_val(data_dir: Path) -> tuple[list[str], list[str]]:
    """The official TweetEval sentiment validation split (2,000 tweets)."""
    folder = data_dir / "tweeteval" / "sentiment"
    texts = (folder / "val_text.txt").read_text(encoding="utf-8").splitlines()
    ids = (folder / "val_labels.txt").read_text(encoding="utf-8").split()
    return texts, [_TWEETEVAL_IDS[i] for i in ids]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def brand_emotion(data_dir: Path, split: str) -> tuple[list[AdvocacyInput], list[str]]:
    """SXSW 2011 brand-emotion tweets (``train``/``val``/``test``) as advocacy examples."""
    rows = _csv_rows(data_dir / "brand_emotion" / f"{split}.csv")
    inputs = [AdvocacyInput(r["text"], r["brand"], None, None) for r in rows]
    return inputs, [r["label"] for r in rows]


def semeval_topic(
    data_dir: Path, splits: Sequence[str] = ("train", "val"), exclude: set[str] | None = None
) -> tuple[list[AdvocacyInput], list[str]]:
    """SemEval topic-sentiment tweets; the topic is the target. ``exclude``: loose keys to drop."""
    inputs, labels = [], []
    for split in splits:
        for r in _csv_rows(data_dir / "semeval_topic" / f"{split}.csv"):
            if exclude and loose_key(r["text"]) in exclude:
                continue
            inputs.append(AdvocacyInput(r["text"], r["topic"], None, None))
            labels.append(r["label"])
    return inputs, labels


# --- synthetic comparative examples --------------------------------------------------------

#: The first model's 25 fictional names (``nlp.augment`` adds more); sliced, not copied, so the
#: ``v1`` recipe's comparatives stay exactly what that model was trained on.
_FAKE_BRANDS = FAKE_BRANDS[:25]
#: (template, label for {a}, label for {b}). Written for this project; see the model card.
_COMPARATIVE = (
    ("switched from {b} to {a}, best decision ever", "advocacy", "badvocacy"),
    ("Finally left {b} for {a}. Should have done it years ago", "advocacy", "badvocacy"),
    ("{a} is so much better than {b}, not even close", "advocacy", "badvocacy"),
    ("Do yourself a favour: skip {b} and go with {a}", "advocacy", "badvocacy"),
    ("{b} lost my bag again. Flying {a} from now on", "advocacy", "badvocacy"),
    ("never buying from {b} again, {a} sorted it out in 5 minutes", "advocacy", "badvocacy"),
    ("{a} >>> {b}", "advocacy", "badvocacy"),
    ("after 3 years of {b} outages I moved to {a} and it just works 🙌", "advocacy", "badvocacy"),
    ("{b} support is a joke. {a} actually answered my call", "advocacy", "badvocacy"),
    ("if you're choosing between {a} and {b}, avoid {b}. trust me", "advocacy", "badvocacy"),
    ("my {a} order arrived early, unlike anything I ever got from {b} 😤", "advocacy", "badvocacy"),
    ("Cancelled {b} today. {a} is cheaper and faster", "advocacy", "badvocacy"),
    ("{b} wanted $200 to fix it, {a} did it for free. Go to {a}!", "advocacy", "badvocacy"),
    ("Ugh, {b} charged me twice. Thank god I still have {a}", "advocacy", "badvocacy"),
    ("{a} over {b} any day", "advocacy", "badvocacy"),
    ("honestly {a} blows {b} out of the water", "advocacy", "badvocacy"),
    ("I used to defend {b} but {a} won me over completely", "advocacy", "badvocacy"),
    ("Stay away from {b}. Get {a} instead", "advocacy", "badvocacy"),
    ("{a} and {b} both announced new prices today", "none", "none"),
    ("Does anyone know if {a} ships to the same places as {b}?", "none", "none"),
    ("{a} vs {b}: which one should I pick for travel?", "none", "none"),
    ("{a} is opening a store next to {b} on Main Street", "none", "none"),
    ("Reuters: {a} in talks to buy a stake in {b}", "none", "none"),
    ("comparing {a} and {b} plans this weekend, will report back", "none", "none"),
    ("Love {a}, love {b}, both great 👍", "advocacy", "advocacy"),
    ("{a} and {b} are equally terrible, avoid both", "badvocacy", "badvocacy"),
    ("both {a} and {b} cancelled my order. never again", "badvocacy", "badvocacy"),
    ("I've had {a} for a year and {b} before that, both solid", "advocacy", "advocacy"),
)


def synthetic_comparative(
    n_per_template: int = 8, seed: int = 13
) -> tuple[list[AdvocacyInput], list[str]]:
    """Programmatic comparative posts: one post, two fictional brands, a label for each.

    Each post yields two examples (target ``a`` with ``b`` masked, and the reverse), which is
    what teaches the model that the label belongs to the marked entity, not to the post.
    """
    rng = random.Random(seed)
    inputs: list[AdvocacyInput] = []
    labels: list[str] = []
    for template, label_a, label_b in _COMPARATIVE:
        for _ in range(n_per_template):
            a, b = rng.sample(_FAKE_BRANDS, 2)
            if rng.random() < 0.3:
                a, b = a.lower(), b.lower()
            text, spans = _fill(template, a, b)
            inputs.append(AdvocacyInput(text, a, *spans["a"], other_spans=(spans["b"],)))
            labels.append(label_a)
            inputs.append(AdvocacyInput(text, b, *spans["b"], other_spans=(spans["a"],)))
            labels.append(label_b)
    return inputs, labels


def _fill(template: str, a: str, b: str) -> tuple[str, dict[str, tuple[int, int]]]:
    out: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    pos = 0
    for m in re.finditer(r"\{(a|b)\}", template):
        out.append(template[pos : m.start()])
        start = sum(len(p) for p in out)
        name = a if m.group(1) == "a" else b
        out.append(name)
        spans.setdefault(m.group(1), (start, start + len(name)))
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


# --- evaluation files (DESIGN.md section 7) ------------------------------------------------


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a ``.csv`` or ``.tsv`` file (chosen by extension) with a header row."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".tsv"}:
        raise InputError(
            f"{path}: unsupported extension {suffix!r}", hint="use a .csv or .tsv file"
        )
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
        return list(reader)


def column(rows: list[dict[str, str]], name: str, path: Path) -> list[str]:
    """One column of ``rows``, with an error that names the columns that do exist."""
    if rows and name not in rows[0]:
        raise InputError(
            f"{path}: no column {name!r}", hint=f"columns are {', '.join(rows[0])}; pass --*-col"
        )
    return [(r.get(name) or "") for r in rows]


#: Gold labels of target-dependent sentiment sets, read as advocacy toward the target.
_ADVOCACY_GOLD = {
    "advocacy": "advocacy",
    "badvocacy": "badvocacy",
    "none": "none",
    "positive": "advocacy",
    "negative": "badvocacy",
    "neutral": "none",
    "1": "advocacy",
    "-1": "badvocacy",
    "0": "none",
}
_TOKENISED = re.compile(r" ' (s|t|re|ve|ll|d|m)\b| [.,!?] | n't ")


def advocacy_eval_items(
    texts: Sequence[str], targets: Sequence[str], labels: Sequence[str]
) -> tuple[list[AdvocacyInput], list[str]]:
    """Advocacy inputs and gold labels from a labelled file's columns.

    Sentiment-style labels (``negative|neutral|positive``, ``-1|0|1``) map onto advocacy
    toward the target; other labels pass through (and ``check_labels`` reports them). A
    ``$T$`` placeholder (Dong et al.'s raw format) is replaced by the target; when most rows
    look tokenised (``it ' s``), all are detokenised, as the training data was.
    """
    from nlp.brand_data import detokenise

    filled = [t.replace("$T$", b) for t, b in zip(texts, targets, strict=True)]
    tokenised = sum(1 for t in filled if _TOKENISED.search(t)) > len(filled) / 2
    if tokenised:
        filled = [detokenise(t) for t in filled]
    gold = [_ADVOCACY_GOLD.get(g.strip().lower(), g.strip().lower()) for g in labels]
    return [AdvocacyInput(t, b) for t, b in zip(filled, targets, strict=True)], gold


def write_tweeteval_val_csv(data_dir: Path, out: Path) -> int:
    """Write TweetEval's validation split as a ``text,label`` CSV for ``grapevine eval``."""
    texts, labels = tweeteval_val(data_dir)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))
    return len(texts)


if __name__ == "__main__":
    import sys

    # python -m nlp.data OUT.csv [DATA_DIR]: the TweetEval validation split as an eval file.
    target = Path(sys.argv[1])
    source = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DATA_DIR
    print(write_tweeteval_val_csv(source, target), "rows written to", target)
