"""Analytics written once as Ibis expressions, so they run on every engine the store supports."""

from moments.analytics.dashboard import (
    evidence,
    fix_first,
    key_moments,
    movers,
    totals,
    weakest_moments,
)
from moments.analytics.scorecard import DIMENSIONS, METRICS, customers, scorecard, trend

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "customers",
    "evidence",
    "fix_first",
    "key_moments",
    "movers",
    "scorecard",
    "totals",
    "trend",
    "weakest_moments",
]
