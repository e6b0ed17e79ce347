"""The server-drawn SVG charts: colours, the mix bar and the line chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from moments.web import charts
from moments.web.charts import NEGATIVE, NEUTRAL, POSITIVE, line, mix_bar, net_colour, text_colour

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def channels(colour: str) -> tuple[int, int, int]:
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r, g, b


def svg(markup: str) -> ET.Element:
    """The chart parsed as XML (it must be well formed whatever its labels say)."""
    return ET.fromstring(markup.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        def lin(c: int) -> float:
            s = c / 255
            return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

        r, g, b = (lin(c) for c in channels(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# -- net_colour --------------------------------------------------------------------------------
def test_net_colour_endpoints() -> None:
    assert net_colour(None) == "#ffffff"
    assert net_colour(0.0) == NEUTRAL
    assert net_colour(-0.5) == NEGATIVE
    assert net_colour(0.5) == POSITIVE


@pytest.mark.parametrize("net", [-1.0, -0.75, -0.500001, -3.0])
def test_net_colour_saturates_below_minus_a_half(net: float) -> None:
    assert net_colour(net) == NEGATIVE


@pytest.mark.parametrize("net", [1.0, 0.75, 0.500001, 3.0])
def test_net_colour_saturates_above_a_half(net: float) -> None:
    assert net_colour(net) == POSITIVE


@pytest.mark.parametrize(("end", "sign"), [(NEGATIVE, -1), (POSITIVE, 1)])
def test_net_colour_blends_monotonically_towards_each_end(end: str, sign: int) -> None:
    steps = [sign * i / 100 for i in range(0, 51)]  # 0 … ±0.5
    colours = [channels(net_colour(n)) for n in steps]
    start, stop = channels(NEUTRAL), channels(end)
    for k in range(3):
        values = [c[k] for c in colours]
        assert values[0] == start[k] and values[-1] == stop[k]
        if stop[k] >= start[k]:
            assert values == sorted(values), (k, values)
        else:
            assert values == sorted(values, reverse=True), (k, values)
    distance = [sum(abs(a - b) for a, b in zip(c, stop, strict=True)) for c in colours]
    assert distance == sorted(distance, reverse=True)
    assert len(set(colours)) > 20  # a blend, not a few steps


def test_net_colour_halfway_is_the_midpoint() -> None:
    for net, end in ((-0.25, NEGATIVE), (0.25, POSITIVE)):
        mid = channels(net_colour(net))
        for got, a, b in zip(mid, channels(NEUTRAL), channels(end), strict=True):
            assert abs(got - (a + b) / 2) <= 0.5


def test_text_colour_is_the_more_readable_of_dark_and_white() -> None:
    from moments.web.charts import contrast

    assert text_colour(None) == "#1a1a1a" and text_colour(0.0) == "#1a1a1a"
    assert text_colour(1.0) == "#ffffff"  # full purple takes white
    for net in [x / 20 for x in range(-20, 21)]:
        bg, ink = net_colour(net), text_colour(net)
        other = "#ffffff" if ink == "#1a1a1a" else "#1a1a1a"
        assert contrast(ink, bg) >= contrast(other, bg)


@pytest.mark.parametrize("net", [-1.0, -0.5, -0.31, 0.31])
def test_tile_text_is_readable_on_strong_tiles(net: float) -> None:
    assert contrast(text_colour(net), net_colour(net)) >= 4.5


@pytest.mark.parametrize("net", [None, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5, 1.0])
def test_tile_text_is_readable(net: float | None) -> None:
    assert contrast(text_colour(net), net_colour(net)) >= 4.5


# -- mix_bar -----------------------------------------------------------------------------------
def test_mix_bar_labels_and_stacks_the_shares() -> None:
    markup = mix_bar(0.1, 0.55, 0.35)
    label = "10% negative, 55% neutral, 35% positive"
    root = svg(markup)
    assert root.get("aria-label") == label
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == label
    rects = root.findall(f"{SVG}rect")
    assert [r.get("fill") for r in rects] == [NEGATIVE, NEUTRAL, POSITIVE]
    widths = [float(r.get("width") or "nan") for r in rects]
    assert widths == pytest.approx([16.0, 88.0, 56.0], abs=0.05)
    xs = [float(r.get("x") or "nan") for r in rects]
    assert xs == pytest.approx([0.0, 16.0, 104.0], abs=0.05)
    assert sum(widths) == pytest.approx(160, abs=0.1)


def test_mix_bar_rounds_its_label_and_takes_a_width() -> None:
    root = svg(mix_bar(1 / 3, 1 / 3, 1 / 3, width=90))
    assert root.get("aria-label") == "33% negative, 33% neutral, 33% positive"
    assert root.get("width") == "90"
    widths = [float(r.get("width") or "nan") for r in root.findall(f"{SVG}rect")]
    assert widths == pytest.approx([30.0, 30.0, 30.0], abs=0.05)


def test_mix_bar_of_one_valence() -> None:
    root = svg(mix_bar(0.0, 0.0, 1.0))
    assert root.get("aria-label") == "0% negative, 0% neutral, 100% positive"
    widths = [float(r.get("width") or "nan") for r in root.findall(f"{SVG}rect")]
    assert widths == [0.0, 0.0, 160.0]


@pytest.mark.parametrize("shares", [(None, None, None), (0.2, None, 0.8), (None, 0.5, 0.5)])
def test_mix_bar_without_data(shares: tuple[float | None, float | None, float | None]) -> None:
    root = svg(mix_bar(*shares, width=120))
    assert root.get("aria-label") == "no data"
    assert root.get("width") == "120"
    assert root.findall(f"{SVG}rect") == []


# -- line --------------------------------------------------------------------------------------
def _points(root: ET.Element) -> list[list[tuple[float, float]]]:
    out = []
    for poly in root.iter(f"{SVG}polyline"):
        pairs = [p.split(",") for p in (poly.get("points") or "").split()]
        out.append([(float(x), float(y)) for x, y in pairs])
    return out


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_line_without_points_says_so() -> None:
    assert line([]) == '<p class="muted">No data for this period.</p>'


def test_line_draws_every_point_with_a_titled_dot() -> None:
    pts = [("2026-01-05", 0.1), ("2026-01-12", -0.2), ("2026-01-19", 0.4)]
    root = svg(line(pts, label="net by week"))
    assert root.get("aria-label") == "net by week"
    assert root.get("viewBox") == "0 0 560 140"
    (segment,) = _points(root)
    assert len(segment) == 3
    assert [x for x, _ in segment] == pytest.approx([24.0, 280.0, 536.0], abs=0.05)
    dots = [c.findtext(f"{SVG}title") for c in root.iter(f"{SVG}circle")]
    assert dots == ["2026-01-05: +10", "2026-01-12: -20", "2026-01-19: +40"]
    # the first and last labels under the axis
    assert "2026-01-05" in _texts(root) and "2026-01-19" in _texts(root)


def test_line_leaves_gaps_where_values_are_missing() -> None:
    pts = [("a", 0.1), ("b", None), ("c", 0.2), ("d", 0.3), ("e", None), ("f", None), ("g", 0.0)]
    root = svg(line(pts))
    segments = _points(root)
    assert [len(s) for s in segments] == [1, 2, 1]
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    # x positions keep their place on the axis: a gap does not pull the points together
    step = (560 - 48) / 6
    assert segments[1][0][0] == pytest.approx(24 + 2 * step, abs=0.05)
    assert segments[2][0][0] == pytest.approx(24 + 6 * step, abs=0.05)


def test_line_of_missing_values_only() -> None:
    root = svg(line([("a", None), ("b", None)]))
    assert _points(root) == []
    assert list(root.iter(f"{SVG}circle")) == []
    assert "+25" in _texts(root)  # the smallest fitted range


def test_line_fits_a_symmetric_range_in_steps_of_25_points() -> None:
    def axis(values: list[float]) -> tuple[str, str]:
        texts = _texts(svg(line([(str(i), v) for i, v in enumerate(values)])))
        return texts[1], texts[2]  # top and bottom labels (after the zero)

    assert axis([0.1, -0.05]) == ("+25", "-25")
    assert axis([0.26]) == ("+50", "-50")
    assert axis([-0.6, 0.1]) == ("+75", "-75")
    assert axis([0.9]) == ("+100", "-100")
    assert axis([1.0, -1.0]) == ("+100", "-100")


def test_line_places_values_between_its_range() -> None:
    root = svg(line([("a", 1.0), ("b", 0.0), ("c", -1.0)], fit=False))
    (segment,) = _points(root)
    assert [y for _, y in segment] == pytest.approx([24.0, 70.0, 116.0], abs=0.05)
    zero = next(root.iter(f"{SVG}line"))
    assert float(zero.get("y1") or "nan") == pytest.approx(70.0)


def test_line_of_one_point() -> None:
    root = svg(line([("only", 0.2)], width=220, height=60))  # a sparkline: 4 px margin
    (segment,) = _points(root)
    assert segment == [(4.0, pytest.approx(segment[0][1]))]
    assert 4 <= segment[0][1] <= 56


def test_line_escapes_its_labels() -> None:
    markup = line([(HOSTILE, 0.1), ("b", 0.2), (HOSTILE + "!", 0.3)], label=HOSTILE)
    assert "<script>" not in markup
    root = svg(markup)  # well formed
    assert root.get("aria-label") == HOSTILE
    assert root.findtext(f"{SVG}title") == HOSTILE
    dots = [c.findtext(f"{SVG}title") for c in root.iter(f"{SVG}circle")]
    assert dots[0] == f"{HOSTILE}: +10"
    assert HOSTILE in _texts(root) and HOSTILE + "!" in _texts(root)


def test_forest_draws_a_bar_and_whiskers_per_estimate() -> None:
    svg = charts.forest(
        [("a", 0.5, 0.4, 0.6), ("b", -0.2, -0.3, -0.1), ("skipped", float("nan"), 0, 1)],
        "effects",
        fmt="{:+.0%}",
    )
    assert svg.count("<rect") == 2 and svg.count('class="whisker"') == 6
    assert "a: +50% (95 % interval +40% to +60%)" in svg
    assert charts.NEGATIVE in svg and charts.POSITIVE in svg
    assert "skipped" not in svg
    assert "Nothing to plot" in charts.forest([], "empty")


def test_scatter_places_points_and_guides() -> None:
    svg = charts.scatter([("x", 0.1, 0.2), ("y", 0.9, 0.8)], "s", "X", "Y", diagonal=True)
    assert svg.count("<circle") == 2 and 'class="zero"' in svg
    assert ">x</text>" in svg and 'text-anchor="end">y</text>' in svg  # right edge: to the left
    bare = charts.scatter([("x", 0.1, 0.2)], "s", "X", "Y", label_points=False)
    assert "<title>x: 0.1, 0.2</title>" in bare and ">x</text>" not in bare
