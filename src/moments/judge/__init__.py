"""Judgement: each lived moment becomes negative, neutral, positive or unknown, with its reason."""

from moments.judge.engine import JudgeReport, judge, judgements_expr, lived_moments

__all__ = ["JudgeReport", "judge", "judgements_expr", "lived_moments"]
