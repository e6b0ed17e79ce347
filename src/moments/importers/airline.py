"""Import the Airline Passenger Satisfaction survey (TJ Klein, Kaggle 2020) onto a flight journey.

No special code: the folder's original ``train.csv`` and/or ``test.csv`` (or ``.csv.gz``) are
survey exports, imported by :func:`moments.importers.survey.import_survey` onto the shipped
``airline-flight`` journey as the shipped map ``importers/examples/airline-map.yaml`` says:

- **customer** ``id`` (verbatim) with a profile whose segment is ``Type of Travel · Class ·
  Customer Type`` as written, e.g. ``Business travel · Business · Loyal Customer``;
- one **interaction** per moment (15): the 14 rated touchpoints and the ``arrival``, which
  carries ``arrival_delay_minutes`` (missing in 393 rows: then the arrival is unknown) and
  ``departure_delay_minutes``; ``online-booking`` carries ``flight_distance_miles`` and
  ``passenger_age_years``;
- one **feedback** answer per rating 1–5 (by the journey's survey: 1–2 negative, 3 neutral,
  4–5 positive); 0 means *not applicable* and makes no answer, so that moment stays unknown;
- one **satisfaction** outcome: 1.0 for ``satisfied``, 0.0 for ``neutral or dissatisfied``.

The data has no dates: every event is dated 2020-02-20, the date of the Kaggle files. Which
file a passenger came from is the source file of their events' loads (``Workspace.loads()``;
:func:`moments.analytics.satisfaction.customers_from` finds them). Event ids are
``air-<id>-<moment>`` (``-answer``, ``-satisfaction``, ``-profile``), so importing again adds
nothing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from moments.errors import InputError, Problem
from moments.importers.common import check_folder, find_source
from moments.importers.survey import SurveyReport, import_survey
from moments.importers.surveymap import load_map, moment_columns
from moments.workspace import Workspace

JOURNEY = "airline-flight"
SPLITS = ("train", "test")


def journey_path() -> Path:
    from moments.demo.build import example_journey

    return example_journey(JOURNEY)


def map_path() -> Path:
    """The shipped MAP.yaml of the airline survey."""
    return Path(str(resources.files("moments.importers") / "examples" / "airline-map.yaml"))


# (column, moment) of the 14 ratings, in journey order, as the shipped map says
RATINGS: tuple[tuple[str, str], ...] = tuple(
    (column, moment) for moment, column in moment_columns(load_map(map_path()).map).items()
)


def import_airline(ws: Workspace, folder: str | Path, judge: bool = True) -> SurveyReport:
    """Import ``train`` and/or ``test`` from ``folder`` into ``ws``, then judge (unless told not).

    Returns the survey import's report: passengers, answers, not-applicable answers, missing
    arrival delays, each load's report and the rows quarantined.
    """
    folder = check_folder(Path(folder))
    found = [p for s in SPLITS if (p := find_source(folder, s, required=False)) is not None]
    if not found:
        raise InputError(
            Problem(
                "no train.csv or test.csv (.csv.gz) in this folder",
                "point to the folder with the Kaggle files of Airline Passenger Satisfaction",
                str(folder),
            )
        )
    return import_survey(ws, found, journey_path(), map_path(), judge=judge)
