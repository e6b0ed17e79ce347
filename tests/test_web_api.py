"""The JSON API over a live server: the library's numbers, filters, errors and survey answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic_core import to_jsonable_python

import moments
from moments.survey import ALREADY, make_token
from tests.web_server import DemoStore, open_store, serve_store, tamper
from tests.web_server import demo_store as demo_store  # the session fixture

pytestmark = pytest.mark.slow

Rows = list[dict[str, Any]]

FILTERS = {"start": "2026-03-01", "end": "2026-06-01", "location": "store-harbour"}
SEARCH = ("greeting", "invisible")  # a moment and a word in some, not all, of its negatives


def rows(expr: Any) -> Rows:
    """A library table as the API sends it (dates and times in ISO form, as FastAPI writes them)."""
    return to_jsonable_python(expr.to_pyarrow().to_pylist())


def _kw(start: str | None = None, end: str | None = None, **rest: str) -> dict[str, Any]:
    out: dict[str, Any] = {"start": start, "end": end}
    if "location" in rest:
        out["location_id"] = rest["location"]
    if "channel" in rest:
        out["channel"] = rest["channel"]
    return out


def library_answers(ws: moments.Workspace) -> dict[str, Any]:
    """What the library says, computed on the served store's copy before it is served."""
    f = _kw(**FILTERS)
    moment, word = SEARCH
    return {
        "journeys": [j.model_dump(mode="json") for j in ws.journeys()],
        "moments": rows(ws.moments().order_by(["journey_id", "position"])),
        "totals": rows(ws.totals())[0],
        "totals_filtered": rows(ws.totals(**f))[0],
        "totals_store": rows(ws.totals(channel="store"))[0],
        "scorecard": rows(ws.scorecard("moment")),
        "scorecard_location_week": rows(ws.scorecard(["location", "week"])),
        "scorecard_filtered": rows(ws.scorecard("moment", **f)),
        "scorecard_email": rows(ws.scorecard("channel", channel="email")),
        "scorecard_owner": rows(ws.scorecard("moment", owner_id="store-ops")),
        "scorecard_checkout": rows(ws.scorecard(["moment", "location"], moment_id="checkout")),
        "trend": rows(ws.trend()),
        "trend_month_location": rows(ws.trend("location", "month")),
        "trend_checkout": rows(ws.trend(None, "week", moment_id="checkout")),
        "moment_checkout": rows(ws.scorecard("moment", moment_id="checkout"))[0],
        "comments": rows(ws.evidence("checkout")),
        "comments_positive": rows(ws.evidence("checkout", valence="positive", limit=10)),
        "comments_all_negative": rows(ws.evidence(moment, limit=1000)),
        "comments_search": rows(ws.evidence(moment, search=word, limit=1000)),
        "comments_search_upper": rows(ws.evidence(moment, search=word.upper(), limit=1000)),
        "fix_first": rows(ws.fix_first("store-ops")),
        "customers": rows(ws.customers().limit(7)),
        "owner_moments": ws.owner("store-ops"),
    }


@dataclass
class Api:
    client: httpx.Client
    expected: dict[str, Any]
    secret: str

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params or None)  # {} would drop a path's own query

    def ok(self, path: str, **params: Any) -> Any:
        r = self.get(path, **params)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        return r.json()

    def problem(self, status: int, path: str, **params: Any) -> dict[str, Any]:
        r = self.get(path, **params)
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"message", "field"}, body
        return body


@pytest.fixture(scope="module")
def api(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A live server on a copy of the demo that no test here writes to."""
    path = demo_store.copy(tmp_path_factory.mktemp("web-api"))
    with open_store(path) as ws:
        expected = library_answers(ws)
    with serve_store(path) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Api(client, expected, demo_store.secret)


@pytest.fixture(scope="module")
def writable(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A second live server, on its own copy, for the survey answers the tests post."""
    path = demo_store.copy(tmp_path_factory.mktemp("web-api-survey"))
    with serve_store(path) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Api(client, {}, demo_store.secret)


# -- catalogue ---------------------------------------------------------------------------------
def test_journeys_are_the_registered_ones(api: Api) -> None:
    got = api.ok("/api/journeys")
    assert got == api.expected["journeys"]
    assert [j["id"] for j in got] == ["retail-store-visit"]


def test_moments_list_every_moment_with_owner_and_importance(api: Api) -> None:
    got = api.ok("/api/moments")
    assert got == api.expected["moments"]
    by_id = {m["moment_id"]: m for m in got}
    assert len(by_id) == 8
    assert by_id["checkout"]["owner_id"] == "store-ops"
    assert by_id["checkout"]["importance"] == 4
    assert [m["position"] for m in got] == sorted(m["position"] for m in got)


# -- the library's numbers -------------------------------------------------------------------
def test_totals_equal_the_library(api: Api) -> None:
    got = api.ok("/api/totals")
    assert got == api.expected["totals"]
    assert got["lived"] == got["judged"] + got["unknown"] > 0
    assert got["negative"] + got["neutral"] + got["positive"] == got["judged"]
    assert got["net"] == pytest.approx(got["share_positive"] - got["share_negative"])


def test_totals_take_every_filter(api: Api) -> None:
    filtered = api.ok("/api/totals", **FILTERS)
    assert filtered == api.expected["totals_filtered"]
    assert 0 < filtered["lived"] < api.expected["totals"]["lived"]
    assert api.ok("/api/totals", channel="store") == api.expected["totals_store"]


def test_empty_filters_are_ignored(api: Api) -> None:
    assert (
        api.ok("/api/totals", start="", end="", location="", channel="") == (api.expected["totals"])
    )


@pytest.mark.parametrize(
    "path", ["/api/totals?location=nowhere", "/api/totals?start=2030-01-01", "/?location=nowhere"]
)
def test_a_selection_without_lived_moments(api: Api, path: str) -> None:
    # its own connection: uvicorn closes one that a 500 went down
    r = httpx.get(str(api.client.base_url).rstrip("/") + path, timeout=30)
    assert r.status_code == 200, r.text
    if path.startswith("/api/"):
        assert r.json()["lived"] == 0
    else:
        assert "No lived moments for this selection." in r.text


def test_scorecard_by_moment_is_the_default(api: Api) -> None:
    got = api.ok("/api/scorecard")
    assert got == api.expected["scorecard"]
    assert api.ok("/api/scorecard", by="moment") == got
    assert [r["moment_id"] for r in got] == [m["moment_id"] for m in api.expected["moments"]]
    assert sum(r["lived"] for r in got) == api.expected["totals"]["lived"]


def test_scorecard_by_several_dimensions(api: Api) -> None:
    got = api.ok("/api/scorecard", by=["location", "week"])
    assert got == api.expected["scorecard_location_week"]
    assert set(got[0]) >= {"location_id", "week", "lived", "net"}
    assert "moment_id" not in got[0]
    assert sum(r["lived"] for r in got) == api.expected["totals"]["lived"]


def test_scorecard_filters(api: Api) -> None:
    assert api.ok("/api/scorecard", **FILTERS) == api.expected["scorecard_filtered"]
    email = api.ok("/api/scorecard", by="channel", channel="email")
    assert email == api.expected["scorecard_email"]
    assert [r["channel"] for r in email] == ["email"]
    owned = api.ok("/api/scorecard", owner="store-ops")
    assert owned == api.expected["scorecard_owner"]
    assert [r["moment_id"] for r in owned] == api.expected["owner_moments"][1]
    checkout = api.ok("/api/scorecard", by=["moment", "location"], moment="checkout")
    assert checkout == api.expected["scorecard_checkout"]
    assert {r["moment_id"] for r in checkout} == {"checkout"}


def test_trend(api: Api) -> None:
    weekly = api.ok("/api/trend")
    assert weekly == api.expected["trend"]
    weeks = [r["week"] for r in weekly]
    assert weeks == sorted(weeks) and len(weeks) > 50
    assert (
        api.ok("/api/trend", period="month", by="location")
        == (api.expected["trend_month_location"])
    )
    assert api.ok("/api/trend", moment="checkout") == api.expected["trend_checkout"]


def test_one_moment(api: Api) -> None:
    got = api.ok("/api/moments/checkout")
    assert got["journey_id"] == "retail-store-visit"
    assert got["moment"]["id"] == "checkout"
    assert got["moment"]["name"] == "Is paying quick and easy?"
    assert got["moment"]["standard"]["measure"] == "queue_seconds"
    assert got["scorecard"] == api.expected["moment_checkout"]


def test_one_moment_without_lived_moments_in_the_period(api: Api) -> None:
    got = api.ok("/api/moments/checkout", start="2030-01-01")
    assert got["moment"]["id"] == "checkout"
    assert got["scorecard"] is None


def test_comments_are_negatives_newest_first(api: Api) -> None:
    got = api.ok("/api/moments/checkout/comments")
    assert len(got) == 50  # the default limit
    assert _keys(got) == _keys(api.expected["comments"])
    assert _sorted(got) == _sorted(api.expected["comments"])
    assert {r["valence"] for r in got} == {"negative"}
    times = [r["occurred_at"] for r in got]
    assert times == sorted(times, reverse=True)
    assert len(api.ok("/api/moments/checkout/comments", limit=3)) == 3


def test_comments_of_another_valence(api: Api) -> None:
    got = api.ok("/api/moments/checkout/comments", valence="positive", limit=10)
    assert _keys(got) == _keys(api.expected["comments_positive"])
    assert {r["valence"] for r in got} == {"positive"}


def test_comment_search_narrows_and_ignores_case(api: Api) -> None:
    moment, word = SEARCH
    everything = api.ok(f"/api/moments/{moment}/comments", limit=1000)
    found = api.ok(f"/api/moments/{moment}/comments", q=word, limit=1000)
    assert _sorted(found) == _sorted(api.expected["comments_search"])
    assert 0 < len(found) < len(everything) == len(api.expected["comments_all_negative"])
    for r in found:
        assert word in (r["text"] or "").lower() or word in r["reason"].lower()
    upper = api.ok(f"/api/moments/{moment}/comments", q=word.upper(), limit=1000)
    assert _sorted(upper) == _sorted(found) == _sorted(api.expected["comments_search_upper"])
    assert api.ok(f"/api/moments/{moment}/comments", q="zz-no-such-words-zz") == []


def test_owner_ranks_moments_by_negatives_times_importance(api: Api) -> None:
    got = api.ok("/api/owners/store-ops")
    assert got["owner_id"] == "store-ops"
    assert got["owner"] == "Store operations"
    assert got["moments"] == api.expected["fix_first"]
    harms = [m["harm"] for m in got["moments"]]
    assert harms == sorted(harms, reverse=True)
    for m in got["moments"]:
        assert m["harm"] == m["negative"] * m["importance"]
    assert {m["moment_id"] for m in got["moments"]} == set(api.expected["owner_moments"][1])


def test_customers_with_a_limit(api: Api) -> None:
    got = api.ok("/api/customers", limit=7)
    assert got == api.expected["customers"]
    negatives = [c["negative"] for c in got]
    assert negatives == sorted(negatives, reverse=True)
    assert len(api.ok("/api/customers")) == 100  # the default limit


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/api/moments/no-such-moment",
        "/api/moments/no-such-moment/comments",
        "/api/scorecard?moment=no-such-moment",
        "/api/trend?moment=no-such-moment",
    ],
)
def test_unknown_moment_is_404_naming_it(api: Api, path: str) -> None:
    body = api.problem(404, path)
    assert "no-such-moment" in body["message"]
    assert body["field"] is None


def test_unknown_owner_is_404_naming_it(api: Api) -> None:
    body = api.problem(404, "/api/owners/nobody-at-all")
    assert "nobody-at-all" in body["message"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/totals", {"start": "yesterday"}, "start"),
        ("/api/scorecard", {"end": "2026-13-01"}, "end"),
        ("/api/totals", {"channel": "fax"}, "channel"),
        ("/api/scorecard", {"by": "planet"}, "by"),
        ("/api/scorecard", {"by": ["moment", "planet"]}, "by"),
        ("/api/trend", {"by": "planet"}, "by"),
        ("/api/trend", {"period": "year"}, "period"),
        ("/api/customers", {"limit": 0}, "limit"),
        ("/api/customers", {"limit": "many"}, "limit"),
        ("/api/moments/checkout/comments", {"limit": 0}, "limit"),
        ("/api/moments/checkout/comments", {"valence": "grumpy"}, "valence"),
    ],
)
def test_bad_filter_values_are_422_naming_the_field(
    api: Api, path: str, params: dict[str, Any], field: str
) -> None:
    body = api.problem(422, path, **params)
    assert body["field"] == field
    assert body["message"]


def test_a_bad_day_says_how_to_write_one(api: Api) -> None:
    body = api.problem(422, "/api/totals", start="yesterday")
    assert "'yesterday' is not a day" in body["message"]
    assert "YYYY-MM-DD" in body["message"]


def test_openapi_and_docs_are_served(api: Api) -> None:
    spec = api.ok("/openapi.json")
    paths = set(spec["paths"])
    assert {
        "/api/journeys",
        "/api/moments",
        "/api/totals",
        "/api/scorecard",
        "/api/trend",
        "/api/moments/{moment_id}",
        "/api/moments/{moment_id}/comments",
        "/api/owners/{owner_id}",
        "/api/customers",
        "/api/survey/{token}",
    } <= paths
    assert all(p.startswith("/api/") for p in paths), paths  # pages stay out of the spec
    assert "post" in spec["paths"]["/api/survey/{token}"]
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "/openapi.json" in docs.text


# -- survey answers ----------------------------------------------------------------------------
def _lived(api: Api, moment: str) -> dict[str, Any]:
    (row,) = api.ok("/api/scorecard", moment=moment)
    return row


def test_survey_answer_is_recorded_once(writable: Api) -> None:
    token = make_token(writable.secret, "c-web-api-1", "dressing-room")
    before = _lived(writable, "dressing-room")
    r = writable.client.post(f"/api/survey/{token}", json={"score": 5, "comment": "Lovely room"})
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["recorded"] is True
    assert first["valence"] == "positive"  # 5 on 1–5 exceeds
    assert first["event_id"].startswith("survey-")
    after = _lived(writable, "dressing-room")
    assert after["lived"] == before["lived"] + 1
    assert after["positive"] == before["positive"] + 1
    found = writable.ok(
        "/api/moments/dressing-room/comments", valence="positive", q="lovely room", limit=5
    )
    assert [c["text"] for c in found] == ["Lovely room"]

    again = writable.client.post(f"/api/survey/{token}", json={"score": 1})
    assert again.status_code == 200, again.text
    assert again.json()["recorded"] is False
    assert again.json()["message"] == ALREADY
    assert again.json()["event_id"] == first["event_id"]
    assert again.json()["valence"] == "positive"  # the first answer stands
    assert _lived(writable, "dressing-room") == after


@pytest.mark.parametrize("score", [0, 6, 2.5, -1, 1e300])
def test_off_scale_score_is_422_on_score(writable: Api, score: float) -> None:
    token = make_token(writable.secret, f"c-web-api-2-{score!r}", "checkout")
    before = _lived(writable, "checkout")
    r = writable.client.post(f"/api/survey/{token}", json={"score": score})
    assert r.status_code == 422, r.text
    assert r.json() == {"message": "Choose an answer from 1 to 5", "field": "score"}
    assert _lived(writable, "checkout") == before


@pytest.mark.parametrize(
    "score",
    [
        "five",
        None,
        [3],
        True,
    ],
)
def test_a_score_that_is_no_number_is_422_on_score(writable: Api, score: object) -> None:
    token = make_token(writable.secret, f"c-web-api-7-{score!r}", "checkout")
    before = _lived(writable, "checkout")
    r = writable.client.post(f"/api/survey/{token}", json={"score": score})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "score"
    assert _lived(writable, "checkout") == before


def test_missing_score_is_422_on_score(writable: Api) -> None:
    token = make_token(writable.secret, "c-web-api-3", "checkout")
    r = writable.client.post(f"/api/survey/{token}", json={"comment": "no score"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "score"


def test_overlong_comment_is_422_on_comment(writable: Api) -> None:
    token = make_token(writable.secret, "c-web-api-4", "checkout")
    r = writable.client.post(f"/api/survey/{token}", json={"score": 3, "comment": "x" * 5000})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "comment"


def test_the_same_link_posted_at_once_records_one_answer(writable: Api) -> None:
    token = make_token(writable.secret, "c-web-api-8", "greeting")
    before = _lived(writable, "greeting")

    def post(score: int) -> dict[str, Any]:
        with httpx.Client(base_url=str(writable.client.base_url), timeout=30) as c:
            r = c.post(f"/api/survey/{token}", json={"score": score})
            assert r.status_code == 200, r.text
            return dict(r.json())

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post, [1, 2, 4, 5]))
    assert sorted(r["recorded"] for r in results) == [False, False, False, True]
    assert len({r["event_id"] for r in results}) == 1
    assert _lived(writable, "greeting")["lived"] == before["lived"] + 1


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda s: tamper(make_token(s, "c-web-api-5", "checkout")), "not valid"),
        (lambda s: make_token("another-secret", "c-web-api-5", "checkout"), "not valid"),
        (
            lambda s: make_token(
                s, "c-web-api-5", "checkout", expires_at=datetime.now(UTC) - timedelta(days=1)
            ),
            "expired",
        ),
    ],
    ids=["tampered", "foreign", "expired"],
)
def test_unusable_token_is_422_on_token(
    writable: Api, make: Callable[[str], str], says: str
) -> None:
    token = make(writable.secret)
    before = writable.ok("/api/totals")
    r = writable.client.post(f"/api/survey/{token}", json={"score": 4})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "token"
    assert says in r.json()["message"]
    assert writable.ok("/api/totals") == before


def test_token_for_an_unknown_moment_is_422(writable: Api) -> None:
    token = make_token(writable.secret, "c-web-api-6", "no-such-moment")
    r = writable.client.post(f"/api/survey/{token}", json={"score": 4})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "moment_id"


# -- helpers -----------------------------------------------------------------------------------
def _keys(rs: Rows) -> list[tuple[datetime, str]]:
    return [(datetime.fromisoformat(r["occurred_at"]), r["lived_id"]) for r in rs]


def _sorted(rs: Rows) -> list[tuple[Any, ...]]:
    return sorted(tuple(str(r[k]) for k in sorted(r)) for r in rs)


def test_analysis_endpoint_returns_the_library_tables(api: Api) -> None:
    body = api.ok("/api/analyses/impact")
    assert body["id"] == "impact" and body["error"] is None
    assert body["outcome"] == "repeat_purchase"
    assert any("from negative to neutral is worth" in f for f in body["findings"])
    table = body["tables"][0]["rows"]
    assert {r["valence"] for r in table} == {"negative", "positive"}
    assert {"revenue", "revenue_low", "revenue_high", "repeat", "posted"} <= set(table[0])
    # an outcome the store has no events of: answered, with the reason, not a 500
    missing = api.ok("/api/analyses/drivers", outcome="satisfaction")
    assert missing["error"] and missing["tables"] == []
    assert api.problem(422, "/api/analyses/nonsense")["message"]
    assert api.problem(422, "/api/analyses/drivers", outcome="happiness")["field"]
