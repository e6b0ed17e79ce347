"""Text understanding: which moments a comment mentions, how each went, and judges of words."""

from moments.text.model import Mention, TextModel, load_model, new_model, save_model
from moments.text.registry import TextItem, TextJudge, TextJudgement, available, get, register

__all__ = [
    "Mention",
    "TextItem",
    "TextJudge",
    "TextJudgement",
    "TextModel",
    "available",
    "get",
    "load_model",
    "new_model",
    "register",
    "save_model",
]
