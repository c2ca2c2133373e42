"""Outcome discovery: what customers talk about, as clusters of brand-masked post embeddings.

Pure functions (numpy, scipy, scikit-learn; no database, no I/O), used by the outcomes stage and
``grapevine eval outcomes``:

- :func:`mask_brands` replaces brand mentions with one neutral token and drops @handles and
  URLs, so that "my Voltera battery swelled" and "my Pedalix battery swelled" land together;
- :func:`discover` clusters a random sample of embeddings (PCA, then scikit-learn's HDBSCAN),
  describes each cluster with class-based TF-IDF key phrases (as BERTopic does) and
  representative posts, and assigns every row to its nearest outcome centroid;
- :func:`assign` is that nearest-centroid rule on its own (the nightly runs);
- :func:`match` maps a new discovery's outcomes to the old ones (Hungarian matching on centroid
  cosine), so outcome ids survive a re-discovery.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BRAND_TOKEN = "the brand"  # noqa: S105 (not a password)

#: PCA dimensions HDBSCAN clusters in. Density estimates degrade in high dimensions and the
#: minimum spanning tree costs O(n² · dims); 10 to 20 dimensions keep the topic structure
#: of MiniLM embeddings (measured in the module's tests and the eval fixture).
PCA_DIMS = 15
#: HDBSCAN's ``min_samples`` (the density smoothing): small values let small, tight outcomes
#: survive next to big diffuse ones.
MIN_SAMPLES = 2
#: A cluster is at least this share of the clustered sample (and at least ``min_posts`` rows):
#: outcomes below half a percent of the conversation are too small to track.
MIN_CLUSTER_SHARE = 0.005
#: Key phrases per outcome (c-TF-IDF top terms, de-duplicated) and phrases in its label.
MAX_PHRASES = 6
LABEL_PHRASES = 2
#: Representative posts per outcome (closest to the centroid, distinct texts).
MAX_REPRESENTATIVES = 5
#: Re-assignment passes after dropping outcomes that ended up too small (converges in 1-2).
_MAX_PASSES = 5

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}")
_SPACE = re.compile(r"\s+")
_TOKEN_THEN_PUNCT = re.compile(re.escape(BRAND_TOKEN) + r" (?=[,.;:!?'’)])")
_WORDS = r"(?u)\b[^\W\d_]{2,}\b"  # words of two letters or more: no numbers, no prices

#: Not key phrases, on top of scikit-learn's English stop words: what is left of a
#: contraction once the apostrophe splits it ("doesn't" gives "doesn", "I've" gives "ve"), and
#: chat fillers. Labels such as "bike ve / doesn feel" or "lol / ha" name no outcome.
_FILLER = (
    "aren couldn didn doesn don hadn hasn haven isn ll shouldn ve wasn weren won wouldn ain "
    "im ive dont didnt doesnt isnt cant wont thats youre theyre "
    "lol lmao lmfao rofl haha hahaha ha hah hehe tbh imo imho btw fwiw cc rt omg "
    "ok okay yeah yep nope pls tho gonna wanna just really actually literally"
)
FILLER_WORDS = frozenset(_FILLER.split())

Floats = NDArray[np.float32]
Ints = NDArray[np.int64]


def mask_brands(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each brand span replaced by :data:`BRAND_TOKEN`, @handles and URLs removed.

    A handle that contains a brand span (``@VolteraBikes``) is the brand's account and becomes
    the brand token too; a URL is dropped even when it names a brand. Spans may overlap or run
    past the text; whitespace is collapsed.
    """
    regions: list[tuple[int, int, str]] = []
    for start, end in spans:
        start, end = max(0, start), min(len(text), end)
        if start < end:
            regions.append((start, end, "brand"))
    regions += [(m.start(), m.end(), "url") for m in _URL.finditer(text)]
    regions += [(m.start(), m.end(), "handle") for m in _HANDLE.finditer(text)]
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, kind in sorted(regions):
        if merged and start < merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), prev[2] | {kind})
        else:
            merged.append((start, end, {kind}))
    out: list[str] = []
    pos = 0
    for start, end, kinds in merged:
        out.append(text[pos:start])
        out.append(f" {BRAND_TOKEN} " if "brand" in kinds and "url" not in kinds else " ")
        pos = end
    out.append(text[pos:])
    masked = _SPACE.sub(" ", "".join(out)).strip()
    return _TOKEN_THEN_PUNCT.sub(BRAND_TOKEN, masked)


@dataclass(frozen=True)
class FoundOutcome:
    """One discovered outcome: where it sits, who is in it and how to read it."""

    centroid: Floats  # (dim,) L2-normalised
    members: Ints  # indices into the input rows assigned to this outcome
    key_phrases: tuple[str, ...]  # c-TF-IDF phrases, brand token and stop words removed
    label: str  # the top phrases joined: "battery swelled / charger"
    representatives: tuple[int, ...]  # rows closest to the centroid, distinct texts

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Discovery:
    """Outcomes (largest first) and every input row's assignment."""

    outcomes: list[FoundOutcome]
    assigned: Ints  # (n,) outcome index or -1
    scores: Floats  # (n,) cosine to the assigned centroid (the best one for -1; NaN: none)


def _normalised(x: NDArray[np.floating]) -> Floats:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    x32 = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x32, axis=1, keepdims=True)
    out = np.zeros_like(x32)
    np.divide(x32, norms, out=out, where=norms > 0)
    return out


def _check(embeddings: NDArray[np.floating], name: str) -> None:
    if embeddings.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows x dim), got shape {embeddings.shape}")


def assign(
    embeddings: NDArray[np.floating], centroids: NDArray[np.floating], *, min_similarity: float
) -> tuple[Ints, Floats]:
    """Nearest centroid by cosine for each row: ``(index or -1 below min_similarity, cosine)``.

    Rows and centroids are L2-normalised here, so callers may pass raw vectors. The cosine
    is returned for unassigned rows too (NaN when there are no centroids at all).
    """
    _check(embeddings, "embeddings")
    n = embeddings.shape[0]
    if centroids.size == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.nan, dtype=np.float32)
    _check(centroids, "centroids")
    if centroids.shape[1] != embeddings.shape[1]:
        raise ValueError(
            f"centroids have dim {centroids.shape[1]}, embeddings {embeddings.shape[1]}"
        )
    sims = _normalised(embeddings) @ _normalised(centroids).T
    best = sims.argmax(axis=1).astype(np.int64)
    score = sims[np.arange(n), best].astype(np.float32)
    return np.where(score >= min_similarity, best, -1).astype(np.int64), score


def match(
    old: NDArray[np.floating], new: NDArray[np.floating], *, min_similarity: float = 0.7
) -> dict[int, int]:
    """Map new outcome centroids to old ones: ``{new index: old index}``.

    One-to-one (Hungarian assignment maximising total cosine, scipy's
    ``linear_sum_assignment``); pairs below ``min_similarity`` are dropped, so a new outcome
    without a close old one stays unmatched (gets a new id) and an old one is retired.
    """
    from scipy.optimize import linear_sum_assignment

    if old.size == 0 or new.size == 0:
        return {}
    _check(old, "old")
    _check(new, "new")
    sims = _normalised(new) @ _normalised(old).T
    rows, cols = linear_sum_assignment(sims, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sims[r, c] >= min_similarity}


def _clusters(x: Floats, *, min_cluster_size: int, seed: int) -> Ints:
    """HDBSCAN labels (-1 = noise) of the rows of ``x`` after a PCA reduction."""
    from sklearn.cluster import HDBSCAN
    from sklearn.decomposition import PCA

    dims = min(PCA_DIMS, x.shape[0] - 1, x.shape[1])
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(x) if dims >= 2 else x
    model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min(MIN_SAMPLES, min_cluster_size),
        # "leaf": the finest clusters that reach min_cluster_size. The default ("eom") keeps
        # the most persistent ones, which on post embeddings is often two or three giant
        # clusters (one per industry), and it swings between that and fine topics when the
        # parameters move a little.
        cluster_selection_method="leaf",
        copy=False,
    )
    return np.asarray(model.fit_predict(np.ascontiguousarray(reduced, dtype=np.float64)))


def _centroids(x: Floats, labels: Ints, k: int) -> Floats:
    sums = np.zeros((k, x.shape[1]), dtype=np.float64)
    mask = labels >= 0
    np.add.at(sums, labels[mask], x[mask])
    return _normalised(sums)


def _phrase_key(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def key_phrases(texts: Sequence[str], labels: Ints, k: int) -> list[tuple[str, ...]]:
    """Class-based TF-IDF key phrases (word 1-2 grams) for outcomes ``0..k-1``.

    Each outcome's posts form one class (the unassigned ones another, so words common to
    everything score low): term frequency = share of the class's posts that use the term,
    weight = tf · log(1 + mean words per class / the term's frequency over all classes), as in
    BERTopic's c-TF-IDF. English stop words, :data:`FILLER_WORDS`, the brand token and
    numbers are not terms; a phrase whose words are all in a better one is skipped, and a
    bigram absorbs its unigrams.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(ENGLISH_STOP_WORDS | FILLER_WORDS | set(BRAND_TOKEN.split()))
    vectorizer = CountVectorizer(
        ngram_range=(1, 2), stop_words=stop, token_pattern=_WORDS, binary=True, min_df=2
    )
    try:
        docs = vectorizer.fit_transform(texts)
    except ValueError:  # no term in two posts (tiny or stop-word-only inputs)
        return [() for _ in range(k)]
    classes = np.where(labels >= 0, labels, k)  # unassigned rows are class k
    from scipy.sparse import csr_matrix

    indicator = csr_matrix(
        (np.ones(len(classes)), (classes, np.arange(len(classes)))), shape=(k + 1, len(classes))
    )
    counts = np.asarray((indicator @ docs).todense(), dtype=np.float64)
    class_sizes = np.maximum(np.bincount(classes, minlength=k + 1), 1)[:, None]
    tf = counts / class_sizes
    words_per_class = counts.sum(axis=1).mean()
    idf = np.log1p(words_per_class / np.maximum(counts.sum(axis=0), 1))
    weights = tf * idf
    terms = vectorizer.get_feature_names_out()
    out: list[tuple[str, ...]] = []
    for c in range(k):
        chosen: list[str] = []
        used = np.flatnonzero(counts[c] >= 2)  # a phrase of one post describes nothing
        for j in used[np.argsort(-weights[c, used], kind="stable")]:
            if len(chosen) >= MAX_PHRASES:
                break
            chosen = _add_phrase(chosen, str(terms[j]))
        out.append(tuple(chosen))
    return out


def _add_phrase(chosen: list[str], term: str) -> list[str]:
    words = set(term.split())
    if any(words <= set(p.split()) for p in chosen):
        return chosen
    absorbed = [p for p in chosen if set(p.split()) <= words]
    if absorbed:
        # The bigram takes the place of the first unigram it contains.
        first = chosen.index(absorbed[0])
        kept = [p for p in chosen if p not in absorbed]
        kept.insert(min(first, len(kept)), term)
        return kept
    return [*chosen, term]


def _stem(word: str) -> str:
    """Singular enough to tell "battery" and "batteries" are one word (labels only)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _label(phrases: tuple[str, ...], fallback: str) -> str:
    """The best phrases that say something new: "flawless safe / safe choice" and "bike /
    bikes" repeat a word, so the next phrase is taken instead."""
    if phrases:
        picked: list[str] = []
        seen: set[str] = set()
        for phrase in phrases:
            stems = {_stem(w) for w in phrase.split()}
            if stems & seen:
                continue
            picked.append(phrase)
            seen |= stems
            if len(picked) == LABEL_PHRASES:
                break
        return " / ".join(picked)
    text = _SPACE.sub(" ", fallback).strip()
    return text if len(text) <= 60 else text[:57].rstrip() + "…"


def _representatives(members: Ints, scores: Floats, texts: Sequence[str]) -> tuple[int, ...]:
    order = members[np.argsort(-scores[members], kind="stable")]
    seen: set[str] = set()
    reps: list[int] = []
    for i in order:
        key = _phrase_key(texts[int(i)])
        if key and key not in seen:
            seen.add(key)
            reps.append(int(i))
            if len(reps) == MAX_REPRESENTATIVES:
                break
    return tuple(reps)


def discover(
    embeddings: NDArray[np.floating],
    texts: Sequence[str],
    *,
    min_posts: int = 10,
    sample: int = 30000,
    min_similarity: float = 0.35,
    seed: int = 0,
) -> Discovery:
    """Discover outcomes in ``embeddings`` (one row per text, ideally brand-masked texts).

    At most ``sample`` rows (a random sample drawn with ``seed``) are clustered: PCA to
    :data:`PCA_DIMS` dimensions, then HDBSCAN with clusters of at least ``min_posts`` rows
    (and :data:`MIN_CLUSTER_SHARE` of the sample). Each cluster's centroid is the normalised
    mean of its rows' full embeddings; every row is then assigned to its nearest centroid when
    the cosine is at least ``min_similarity``. Outcomes left with fewer than ``min_posts``
    rows are dropped and the rows re-assigned. Outcomes come largest first; the result is
    deterministic for a given seed.
    """
    _check(embeddings, "embeddings")
    n = embeddings.shape[0]
    if len(texts) != n:
        raise ValueError(f"{n} embeddings but {len(texts)} texts")
    x = _normalised(embeddings)
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    min_size = max(2, min_posts, round(MIN_CLUSTER_SHARE * len(picked)))
    centroids = np.zeros((0, x.shape[1]), dtype=np.float32)
    if len(picked) > min_size:
        labels = _clusters(x[picked], min_cluster_size=min_size, seed=seed)
        centroids = _centroids(x[picked], labels, int(labels.max()) + 1)
    assigned, scores = assign(x, centroids, min_similarity=min_similarity)
    for _ in range(_MAX_PASSES):
        sizes = np.bincount(assigned[assigned >= 0], minlength=len(centroids))
        # Largest first (ties: the cluster HDBSCAN found first), small ones dropped.
        keep = [int(c) for c in np.argsort(-sizes, kind="stable") if sizes[c] >= min_posts]
        if keep == list(range(len(centroids))):
            break
        centroids = centroids[keep]
        assigned, scores = assign(x, centroids, min_similarity=min_similarity)
    k = len(centroids)
    phrases = key_phrases([texts[i] for i in picked], assigned[picked], k)
    outcomes = []
    for c in range(k):
        members = np.flatnonzero(assigned == c).astype(np.int64)
        reps = _representatives(members, scores, texts)
        outcomes.append(
            FoundOutcome(
                centroid=centroids[c],
                members=members,
                key_phrases=phrases[c],
                label=_label(phrases[c], texts[reps[0]] if reps else f"outcome {c + 1}"),
                representatives=reps,
            )
        )
    return Discovery(outcomes=outcomes, assigned=assigned, scores=scores)
