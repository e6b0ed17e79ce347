"""Journeys as code: YAML maps of stages, touchpoints and owned defining moments."""

from moments.journey.loader import check_journey, journey_schema, load_journey, load_journey_text
from moments.journey.model import Journey, Moment, Stage, Standard, Survey, Touchpoint

__all__ = [
    "Journey",
    "Moment",
    "Stage",
    "Standard",
    "Survey",
    "Touchpoint",
    "check_journey",
    "journey_schema",
    "load_journey",
    "load_journey_text",
]
