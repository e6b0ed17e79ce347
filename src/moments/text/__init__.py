"""Text understanding: pluggable backends that judge lived moments from words."""

from moments.text.registry import TextItem, TextJudge, TextJudgement, available, get, register

__all__ = ["TextItem", "TextJudge", "TextJudgement", "available", "get", "register"]
