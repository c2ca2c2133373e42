"""Grapevine's NLP: text normalisation, language id, sentiment and targeted advocacy models.

Importing ``nlp`` is cheap: names are resolved lazily. The shipped models
(``load_sentiment``/``load_advocacy``) run on ONNX Runtime and never import torch; torch (the
``train`` extra) is for training, the torch backends and Hugging Face models. Usage::

    import nlp
    sentiment = nlp.load_sentiment()
    sentiment.classify(["loving my new Acme phone 😍"])
    advocacy = nlp.load_advocacy()
    advocacy.classify([nlp.AdvocacyInput("Switched from Globex to Acme", "Acme", None, None)])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.classifiers import load_advocacy, load_joint, load_sentiment
    from nlp.lang import detect_language
    from nlp.text import normalise
    from nlp.types import UNSUPPORTED, AdvocacyInput, Classifier, Prediction

_EXPORTS = {
    "Prediction": "nlp.types",
    "AdvocacyInput": "nlp.types",
    "Classifier": "nlp.types",
    "UNSUPPORTED": "nlp.types",
    "load_sentiment": "nlp.classifiers",
    "load_advocacy": "nlp.classifiers",
    "load_joint": "nlp.classifiers",
    "normalise": "nlp.text",
    "detect_language": "nlp.lang",
}

__all__ = [
    "UNSUPPORTED",
    "AdvocacyInput",
    "Classifier",
    "Prediction",
    "detect_language",
    "load_advocacy",
    "load_joint",
    "load_sentiment",
    "normalise",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
