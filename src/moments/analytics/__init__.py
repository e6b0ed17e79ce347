"""Analytics written once as Ibis expressions, so they run on every engine the store supports."""

from moments.analytics.scorecard import DIMENSIONS, METRICS, customers, scorecard, trend

__all__ = ["DIMENSIONS", "METRICS", "customers", "scorecard", "trend"]
