"""The customer's one-moment survey: signed links, the form, and recording answers.

``survey_links`` makes one signed, expiring URL per customer and moment; the web page reads
its token (``read_token``), shows ``survey_form`` and saves the answer with ``record_answer``,
which adds one feedback event per link and re-judges that lived moment.
"""

from moments.survey.answers import (
    ALREADY,
    DEFAULT_QUESTION,
    AnswerResult,
    SurveyForm,
    already_answered,
    answer_event_id,
    find_survey,
    parse_score,
    record_answer,
    survey_form,
)
from moments.survey.links import invites_for_interactions, survey_links
from moments.survey.secret import store_secret
from moments.survey.tokens import (
    ExpiredToken,
    InvalidToken,
    SurveyInvite,
    TokenError,
    make_token,
    read_token,
)

__all__ = [
    "ALREADY",
    "DEFAULT_QUESTION",
    "AnswerResult",
    "ExpiredToken",
    "InvalidToken",
    "SurveyForm",
    "SurveyInvite",
    "TokenError",
    "already_answered",
    "answer_event_id",
    "find_survey",
    "invites_for_interactions",
    "make_token",
    "parse_score",
    "read_token",
    "record_answer",
    "store_secret",
    "survey_form",
    "survey_links",
]
