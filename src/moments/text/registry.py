"""Text backends: the one place where judges of words are declared and found.

A backend turns texts about lived moments into valences. Built-ins register here; other
packages register through the ``moments.text_backends`` entry-point group. The setting
``text_backend`` (env ``MOMENTS_TEXT_BACKEND``) chooses one; ``none`` turns text judging off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from moments.errors import MomentsError

ENTRY_POINT_GROUP = "moments.text_backends"


@dataclass(frozen=True)
class TextItem:
    """Words about one lived moment."""

    lived_id: str
    moment_id: str
    text: str


@dataclass(frozen=True)
class TextJudgement:
    """A backend's verdict on one item: valence, confidence in [0, 1], and the evidence."""

    lived_id: str
    valence: str  # negative | neutral | positive
    confidence: float
    reason: str


@runtime_checkable
class TextJudge(Protocol):
    """What a text backend offers the judge."""

    name: str

    def judge(self, items: list[TextItem]) -> list[TextJudgement]:
        """Judge a batch; items the backend cannot judge are left out of the result."""
        ...


Factory = Callable[[], TextJudge]
_BACKENDS: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make a backend available under ``name``."""
    _BACKENDS[name] = factory


def available() -> list[str]:
    _load_entry_points()
    return sorted(["none", *_BACKENDS])


def get(name: str | None, model: str | None = None) -> TextJudge | None:
    """The backend called ``name``; None for 'none' (text judging off).

    A trained model (``moments text train``) serves as the backend when ``name`` is 'model'
    or the path of a model file, or when ``name`` is unset/'none' and ``model`` (the setting
    ``text_model``, env ``MOMENTS_TEXT_MODEL``) names one.
    """
    if name == "model" or ((not name or name == "none") and model):
        if not model:
            raise MomentsError(
                "text backend 'model' needs a trained model: set MOMENTS_TEXT_MODEL to the file "
                "written by 'moments text train'"
            )
        return _trained(model)
    if not name or name == "none":
        return None
    if name not in _BACKENDS and (name.endswith(".joblib") or Path(name).is_file()):
        return _trained(name)
    _load_entry_points()
    try:
        return _BACKENDS[name]()
    except KeyError:
        raise MomentsError(
            f"unknown text backend '{name}'; available: {', '.join(available())} "
            "(install the package that provides it, or set MOMENTS_TEXT_BACKEND=none)"
        ) from None


def _trained(path: str) -> TextJudge:
    from moments.text.judge import ModelJudge  # loads scikit-learn only when a model is used

    return ModelJudge.load(path)


_loaded = False


def _load_entry_points() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _BACKENDS:
            _BACKENDS[ep.name] = ep.load()
