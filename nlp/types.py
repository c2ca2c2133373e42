"""The public record types and the ``Classifier`` protocol (no heavy imports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: The label recorded for posts in a language the model was not trained on.
UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Prediction:
    """One classification: the label, its probabilities over the task's labels, the language.

    ``label`` is ``"unsupported"`` (with empty ``probs``) for posts the model does not read.
    """

    label: str
    probs: dict[str, float]
    lang: str | None


@dataclass(frozen=True)
class AdvocacyInput:
    """One (post, brand) pair to judge.

    ``start``/``end`` locate the target mention in ``text`` (``None``: found by brand name);
    ``other_spans`` are mentions of other brands, masked so the verdict is about the target.

    ``context`` is set for a reply judged in its thread: the text of the post it answers
    (for a reply to a reply, the nearest ancestor that names the brand). The reply itself
    need not name the brand ("same here, mine swelled too"); the model reads the reply first
    and the context after a ``[SEP]``, with the brand marked in the context by
    ``context_spans`` (else found by name) and other brands masked by ``context_other_spans``.
    """

    text: str
    brand: str
    start: int | None = None
    end: int | None = None
    other_spans: tuple[tuple[int, int], ...] = field(default=())
    context: str | None = None
    context_spans: tuple[tuple[int, int], ...] = field(default=())
    context_other_spans: tuple[tuple[int, int], ...] = field(default=())


@runtime_checkable
class Classifier(Protocol):
    """A batched classifier; ``name`` and ``version`` go on every warehouse row it produces."""

    name: str
    version: str
    labels: tuple[str, ...]

    def classify(self, batch: Sequence[Any]) -> list[Prediction]:
        """Classify ``batch`` (``str`` posts for sentiment, ``AdvocacyInput`` for advocacy)."""
        ...


@runtime_checkable
class JointClassifier(Protocol):
    """One model giving both labels from one encoder pass: advocacy toward the marked brand
    and the post's sentiment. ``advocacy`` and ``sentiment`` are its two ``Classifier`` views
    (the sentiment view reads a plain post); ``classify_joint`` judges ``AdvocacyInput``s and
    returns ``(advocacy, sentiment)`` per item."""

    @property
    def advocacy(self) -> Classifier: ...

    @property
    def sentiment(self) -> Classifier: ...

    @property
    def reply_sentiment_in_pass(self) -> bool:
        """Whether a reply's pass (read with its parent) gives the reply's own sentiment."""
        ...

    def classify_joint(self, batch: Sequence[AdvocacyInput]) -> list[tuple[Prediction, Prediction]]:
        """Both predictions for each (post, brand) pair, in input order."""
        ...
