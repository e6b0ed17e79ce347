"""The pages in a real browser (Chromium through Playwright) against a live server.

Uses the system's Chromium at /usr/bin/chromium (``playwright install`` is never run). Without
it the module is skipped, unless the CI environment variable is set: then it fails, so a CI
image that lost its browser cannot pass silently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

import moments
from moments.survey import ALREADY, make_token
from moments.survey.answers import THANKS
from moments.survey.tokens import INVALID_MESSAGE
from moments.web.charts import net_colour
from tests.web_server import DemoStore, open_store, serve_store, tamper
from tests.web_server import demo_store as demo_store  # the session fixture

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
SEARCH = ("greeting", "invisible")  # a moment and a word in some, not all, of its negatives
QUESTION = "How well did we meet your expectations at this moment?"

expect.set_options(timeout=10_000)


def pct(x: float | None) -> str:
    """As the templates write a share (the ``pct`` macro)."""
    return "–" if x is None else "%.0f%%" % (x * 100)


def net(x: float | None) -> str:
    """As the templates write a net (the ``net`` macro)."""
    return "–" if x is None else "%+.0f" % (x * 100)


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _rows(expr: Any) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def library_answers(ws: moments.Workspace) -> dict[str, Any]:
    moment, word = SEARCH
    card = {r["moment_id"]: r for r in _rows(ws.scorecard("moment"))}
    return {
        "totals": _rows(ws.totals())[0],
        "moment_count": len(card),
        "card": card,
        "names": {m.id: m.name for j in ws.journeys() for _, _, m in j.moments()},
        "key": [r["moment_id"] for r in _rows(ws.key_moments())],
        "weakest": [r["moment_id"] for r in _rows(ws.weakest_moments())],
        "checkout_negatives": _rows(ws.evidence("checkout", limit=40)),
        "search_hits": _rows(ws.evidence(moment, search=word, limit=40)),
        "search_all": _rows(ws.evidence(moment, limit=40)),
        "fix_first": _rows(ws.fix_first("store-ops")),
        "collapses": ws.collapses().to_dict("records"),
    }


@dataclass
class Site:
    url: str
    expected: dict[str, Any]
    secret: str

    def api(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.url + path, params=params or None, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} for the browser tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: browser tests must run there)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def site(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live server on a copy of the demo that no test here writes to."""
    path = demo_store.copy(tmp_path_factory.mktemp("web-pages"))
    with open_store(path) as ws:
        expected = library_answers(ws)
    with serve_store(path) as url:
        yield Site(url, expected, demo_store.secret)


@pytest.fixture(scope="module")
def survey_site(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A second live server, on its own copy, that the survey tests answer on."""
    path = demo_store.copy(tmp_path_factory.mktemp("web-pages-survey"))
    with serve_store(path) as url:
        yield Site(url, {}, demo_store.secret)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def goto(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url}: {response.status}"


def section(page: Page, heading: str) -> Any:
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading))


# -- overview ----------------------------------------------------------------------------------
def test_overview_kpis_are_the_library_totals(page: Page, site: Site, tmp_path: Path) -> None:
    goto(page, site.url + "/")
    t = site.expected["totals"]
    expect(page.locator("#kpi-lived")).to_have_text(f"{t['lived']:,}")
    expect(page.locator("#kpi-negative")).to_have_text(pct(t["share_negative"]))
    expect(page.locator("#kpi-neutral")).to_have_text(pct(t["share_neutral"]))
    expect(page.locator("#kpi-positive")).to_have_text(pct(t["share_positive"]))
    expect(page.locator("#kpi-net")).to_have_text(net(t["net"]))
    expect(page.locator("#kpi-unjudged")).to_have_text(pct(t["share_unknown"]))
    kpis = page.locator("section.kpis")
    expect(kpis).to_contain_text(f"across {site.expected['moment_count']} defining moments")
    expect(kpis).to_contain_text(f"negative · {t['negative']:,}")
    expect(kpis).to_contain_text(f"unjudged ({t['unknown']:,})")
    expect(page.locator("svg.chart")).to_have_count(1)
    page.screenshot(path=tmp_path / "overview.png", full_page=True)


@pytest.mark.parametrize(
    ("heading", "key"), [("Key moments", "key"), ("Weakest moments", "weakest")]
)
def test_overview_tables_link_to_moment_pages(
    page: Page, site: Site, heading: str, key: str
) -> None:
    goto(page, site.url + "/")
    links = section(page, heading).locator("tbody a[data-moment]")
    ids = site.expected[key]
    assert ids, f"the library has no {key} moments"
    expect(links).to_have_count(len(ids))
    assert [a.get_attribute("data-moment") for a in links.all()] == ids
    assert [a.get_attribute("href") for a in links.all()] == [f"/moments/{i}" for i in ids]
    last = ids[-1]
    links.nth(len(ids) - 1).click()
    page.wait_for_url(f"**/moments/{last}")
    expect(page.locator("h1")).to_have_text(site.expected["names"][last])


def test_filters_carry_into_the_links(page: Page, site: Site) -> None:
    goto(page, site.url + "/?location=store-harbour&channel=store")
    expect(page.locator('select[name="location"]')).to_have_value("store-harbour")
    expect(page.locator('select[name="channel"]')).to_have_value("store")
    link = section(page, "Key moments").locator("tbody a[data-moment]").first
    expect(link).to_have_attribute("href", re.compile(r"\?location=store-harbour&channel=store$"))
    expect(page.get_by_role("link", name="Journey map")).to_have_attribute(
        "href", "/map?location=store-harbour&channel=store"
    )


def test_a_bad_filter_shows_an_error_page(page: Page, site: Site, tmp_path: Path) -> None:
    goto(page, site.url + "/?start=yesterday", status=422)
    expect(page.locator("h1")).to_have_text("Cannot show that")
    expect(page.get_by_role("alert")).to_contain_text("'yesterday' is not a day")
    page.screenshot(path=tmp_path / "bad-filter.png")


def test_an_unknown_moment_shows_not_found(page: Page, site: Site) -> None:
    goto(page, site.url + "/moments/no-such-moment", status=404)
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.get_by_role("alert")).to_contain_text("no-such-moment")


# -- journey map -------------------------------------------------------------------------------
def test_map_tile_describes_its_moment_and_opens_it(page: Page, site: Site, tmp_path: Path) -> None:
    goto(page, site.url + "/map")
    tiles = page.locator("a.tile")
    expect(tiles).to_have_count(site.expected["moment_count"])
    card = site.expected["card"]["checkout"]
    tile = page.locator('a.tile[data-moment="checkout"]')
    label = tile.get_attribute("aria-label") or ""
    assert label.startswith("Is paying quick and easy?")
    assert f"net {net(card['net'])}" in label
    assert "owner Store operations" in label
    assert f"coverage {pct(card['coverage'])}" in label
    assert float(tile.get_attribute("data-net") or "nan") == pytest.approx(card["net"])
    background = tile.evaluate("t => getComputedStyle(t).backgroundColor")
    assert background == rgb(net_colour(card["net"]))
    expect(tile.locator(".tile-net")).to_have_text(net(card["net"]))

    tip = tile.locator(".tip")
    expect(tip).to_be_hidden()
    tile.focus()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Owner: Store operations")
    expect(tip).to_contain_text(f"{card['lived']:,} lived · coverage {pct(card['coverage'])}")
    page.screenshot(path=tmp_path / "map-focus.png", full_page=True)

    tile.click()
    page.wait_for_url("**/moments/checkout")
    expect(page.locator("h1")).to_have_text("Is paying quick and easy?")


def test_map_tiles_can_be_reached_with_the_keyboard(page: Page, site: Site) -> None:
    goto(page, site.url + "/map")
    first = page.locator("a.tile").first
    for _ in range(40):  # past the header links and the filter form
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('tile')"):
            break
    expect(first).to_be_focused()
    expect(first.locator(".tip")).to_be_visible()
    moment = first.get_attribute("data-moment")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/moments/{moment}")
    expect(page.locator("h1")).to_have_text(site.expected["names"][moment])


# -- a moment ----------------------------------------------------------------------------------
def test_moment_page_shows_standard_scorecard_and_negatives(
    page: Page, site: Site, tmp_path: Path
) -> None:
    goto(page, site.url + "/moments/checkout")
    card = site.expected["card"]["checkout"]
    expect(page.locator("h1")).to_have_text("Is paying quick and easy?")
    expect(page.locator("#m-lived")).to_have_text(f"{card['lived']:,}")
    expect(page.locator("#m-net")).to_have_text(net(card["net"]))
    judged = section(page, "Judged against")
    expect(judged).to_contain_text("Standard on queue_seconds (queued at the till for)")
    expect(judged).to_contain_text("60 s")
    expect(judged).to_contain_text("240 s")
    expect(judged).to_contain_text("Survey answers 1–5")

    negatives = page.locator("#negatives > li")
    expected = site.expected["checkout_negatives"]
    expect(negatives).to_have_count(len(expected))
    for li, e in zip(negatives.all()[:5], expected[:5], strict=True):
        expect(li.locator(".reason")).to_have_text(e["reason"])
        expect(li.locator(".when")).to_contain_text(e["occurred_at"].strftime("%Y-%m-%d %H:%M"))
    page.screenshot(path=tmp_path / "moment.png", full_page=True)


def test_moment_search_narrows_the_negatives(page: Page, site: Site, tmp_path: Path) -> None:
    moment, word = SEARCH
    goto(page, site.url + f"/moments/{moment}")
    negatives = page.locator("#negatives > li")
    expect(negatives).to_have_count(len(site.expected["search_all"]))
    box = page.get_by_role("searchbox", name="search reasons and comments")
    box.fill(word)
    box.press("Enter")
    page.wait_for_url(re.compile(rf"q={word}"))
    hits = site.expected["search_hits"]
    assert 0 < len(hits) < len(site.expected["search_all"])
    expect(negatives).to_have_count(len(hits))
    for text in negatives.all_inner_texts():
        assert word in text.lower()
    expect(box).to_have_value(word)
    page.screenshot(path=tmp_path / "moment-search.png", full_page=True)

    box.fill("zz-no-such-words")
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=zz-no-such-words"))
    expect(negatives).to_have_count(1)
    expect(negatives).to_have_text("No negative lived moments matching “zz-no-such-words”.")


# -- owners ------------------------------------------------------------------------------------
def test_owner_page_ranks_what_to_fix_first(page: Page, site: Site, tmp_path: Path) -> None:
    goto(page, site.url + "/owners/store-ops")
    expect(page.locator("h1")).to_have_text("Store operations — my moments")
    rows = page.locator("#fix-first tbody tr")
    ranked = site.expected["fix_first"]
    expect(rows).to_have_count(len(ranked))
    ids = [a.get_attribute("data-moment") for a in rows.locator("a[data-moment]").all()]
    assert ids == [r["moment_id"] for r in ranked]
    for row, r in zip(rows.all(), ranked, strict=True):
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text(f"{r['negative']:,}")
        expect(cells.nth(3)).to_have_text(f"{r['harm']:,}")
        expect(row.locator("svg.chart")).to_have_count(1)
    page.screenshot(path=tmp_path / "owner.png", full_page=True)


def test_owners_list_links_to_each_owner(page: Page, site: Site) -> None:
    goto(page, site.url + "/owners")
    page.get_by_role("link", name="Store operations").click()
    page.wait_for_url("**/owners/store-ops")
    expect(page.locator("#fix-first")).to_be_visible()


# -- the customer's survey ---------------------------------------------------------------------
def test_survey_on_a_phone(phone: Page, survey_site: Site, tmp_path: Path) -> None:
    s = survey_site
    moment = "dressing-room"
    token = make_token(s.secret, "c-web-pages-1", moment)
    (before,) = s.api("/api/scorecard", moment=moment)
    lived_before = s.api("/api/totals")["lived"]
    goto(phone, s.url + "/")  # served (and kept by the response cache) before the answer
    expect(phone.locator("#kpi-lived")).to_have_text(f"{lived_before:,}")

    goto(phone, f"{s.url}/s/{token}")
    expect(phone.locator("h1")).to_have_text(QUESTION)
    expect(phone.locator(".moment-name")).to_have_text("Is a dressing room started for her?")
    choices = phone.locator('input[type="radio"][name="score"]')
    expect(choices).to_have_count(5)
    assert [c.get_attribute("value") for c in choices.all()] == ["1", "2", "3", "4", "5"]
    expect(phone.locator(".scale")).to_contain_text("Far below my expectations")
    expect(phone.locator(".scale")).to_contain_text("Far above my expectations")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=tmp_path / "survey.png", full_page=True)

    comment = phone.locator('textarea[name="comment"]')
    words = "A stylist had a room ready before I asked"
    comment.fill(words)
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#survey-error")).to_have_text("Choose an answer from 1 to 5")
    expect(comment).to_have_value(words)
    expect(choices.filter(has=phone.locator(":checked"))).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=tmp_path / "survey-error.png", full_page=True)
    assert s.api("/api/totals")["lived"] == lived_before  # nothing recorded yet

    phone.locator('label.choice:has(input[value="4"])').tap()
    expect(phone.locator('input[name="score"][value="4"]')).to_be_checked()
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("#survey-done")).to_have_text(THANKS)
    phone.screenshot(path=tmp_path / "survey-done.png", full_page=True)

    goto(phone, f"{s.url}/s/{token}")
    expect(phone.locator("#survey-done")).to_have_text(ALREADY)
    expect(phone.locator("form")).to_have_count(0)
    phone.screenshot(path=tmp_path / "survey-again.png", full_page=True)

    (after,) = s.api("/api/scorecard", moment=moment)
    assert after["lived"] == before["lived"] + 1
    assert after["neutral"] == before["neutral"] + 1  # 4 on 1–5 meets the expectation
    found = s.api(
        f"/api/moments/{moment}/comments", valence="neutral", q="stylist had a room", limit=5
    )
    assert [c["text"] for c in found] == [words]
    goto(phone, s.url + "/")  # the answer shows on the overview at once
    expect(phone.locator("#kpi-lived")).to_have_text(f"{lived_before + 1:,}")


def test_survey_with_a_tampered_link(phone: Page, survey_site: Site, tmp_path: Path) -> None:
    s = survey_site
    token = tamper(make_token(s.secret, "c-web-pages-2", "checkout"))
    before = s.api("/api/totals")
    goto(phone, f"{s.url}/s/{token}", status=400)
    expect(phone.locator("h1")).to_have_text("This link cannot be used")
    expect(phone.locator("#survey-invalid")).to_have_text(INVALID_MESSAGE)
    expect(phone.locator("form")).to_have_count(0)
    phone.screenshot(path=tmp_path / "survey-invalid.png", full_page=True)
    posted = phone.request.post(f"{s.url}/s/{token}", form={"score": "4", "comment": "hi"})
    assert posted.status == 400
    assert "survey-invalid" in posted.text()
    assert s.api("/api/totals") == before


def test_survey_with_an_expired_link(phone: Page, survey_site: Site, tmp_path: Path) -> None:
    s = survey_site
    expired = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    token = make_token(s.secret, "c-web-pages-3", "checkout", expires_at=expired)
    before = s.api("/api/totals")
    goto(phone, f"{s.url}/s/{token}", status=410)
    invalid = phone.locator("#survey-invalid")
    expect(invalid).to_contain_text("expired")
    expect(invalid).to_contain_text(f"{expired.day} {expired:%B %Y}")
    expect(phone.locator("form")).to_have_count(0)
    phone.screenshot(path=tmp_path / "survey-expired.png", full_page=True)
    posted = phone.request.post(f"{s.url}/s/{token}", form={"score": "4"})
    assert posted.status == 410
    assert s.api("/api/totals") == before


def test_survey_for_a_moment_no_longer_registered(phone: Page, survey_site: Site) -> None:
    token = make_token(survey_site.secret, "c-web-pages-4", "no-such-moment")
    phone.goto(f"{survey_site.url}/s/{token}")
    assert phone.locator("#survey-invalid").count() == 1, phone.locator("main").inner_text()
    assert phone.locator("header.top").count() == 0


# -- analyses ----------------------------------------------------------------------------------
def test_analysis_pages_show_the_library_findings(page: Page, site: Site) -> None:
    goto(page, site.url + "/")
    page.get_by_role("navigation").get_by_role("link", name="Analyses").click()
    expect(page.get_by_role("heading", name="The method's analyses", level=1)).to_be_visible()
    page.get_by_role("navigation", name="analyses").get_by_role("link", name="Consistency").click()
    expect(page).to_have_url(re.compile(r"/analyses/consistency$"))
    consistency = page.locator("section#consistency")
    first = site.expected["collapses"][0]
    expect(consistency.locator(".findings li").first).to_contain_text(
        f"{first['moment']} collapses at {first['where']}: {first['share']:.0%} negative"
    )
    expect(consistency.locator("svg.forest")).to_be_visible()
    expect(consistency.get_by_text("Collapses (")).to_be_visible()
    expect(page.locator("nav[aria-label=analyses] a[aria-current=page]")).to_have_text(
        "Consistency"
    )


def test_an_analysis_the_data_cannot_support_says_why(page: Page, site: Site) -> None:
    goto(page, site.url + "/analyses/drivers")
    page.get_by_label("Outcome").select_option("recommendation")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"outcome=recommendation"))
    expect(page.locator(".unavailable")).to_contain_text("Not available on this data")
    goto(page, site.url + "/analyses/nonsense", status=404)
