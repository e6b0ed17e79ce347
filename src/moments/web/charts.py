"""Small server-drawn SVG charts, so pages need no charting library and no network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

# A diverging palette that colour-blind readers can tell apart (ColorBrewer PuOr):
# orange for expectations missed, grey for met, purple for exceeded.
NEGATIVE = "#e66101"
NEUTRAL = "#d9d9d9"
POSITIVE = "#5e3c99"


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def net_colour(net: float | None) -> str:
    """Orange (net −1) through grey (0) to purple (+1); nets beyond ±0.5 saturate."""
    if net is None:
        return "#ffffff"
    t = max(-1.0, min(1.0, net * 2))
    return _mix(NEUTRAL, NEGATIVE, -t) if t < 0 else _mix(NEUTRAL, POSITIVE, t)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""

    def channel(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(net: float | None) -> str:
    """Dark or white text, whichever reads better (higher WCAG contrast) on the tile."""
    bg = net_colour(net)
    dark, light = "#1a1a1a", "#ffffff"
    return dark if contrast(dark, bg) >= contrast(light, bg) else light


def mix_bar(neg: float | None, neu: float | None, pos: float | None, width: int = 160) -> str:
    """A stacked bar of the negative / neutral / positive shares."""
    if neg is None or neu is None or pos is None:
        return (
            f'<svg class="bar" width="{width}" height="12" role="img" aria-label="no data"></svg>'
        )
    parts, x = [], 0.0
    for share, colour in ((neg, NEGATIVE), (neu, NEUTRAL), (pos, POSITIVE)):
        w = share * width
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="12" fill="{colour}"/>')
        x += w
    label = f"{neg:.0%} negative, {neu:.0%} neutral, {pos:.0%} positive"
    return (
        f'<svg class="bar" width="{width}" height="12" role="img" aria-label="{label}">'
        f"<title>{label}</title>{''.join(parts)}</svg>"
    )


def line(
    points: Sequence[tuple[str, float | None]],
    width: int = 560,
    height: int = 140,
    label: str = "net by week",
    lo: float = -1.0,
    hi: float = 1.0,
    fit: bool = True,
) -> str:
    """A line chart of (label, value) points with a zero line; gaps where a value is None."""
    pts = [(k, v) for k, v in points]
    if not pts:
        return '<p class="muted">No data for this period.</p>'
    if fit:  # a symmetric range around zero that fits the data, in steps of 25 points
        top = max((abs(v) for _, v in pts if v is not None), default=0.25)
        hi = min(1.0, max(0.25, math.ceil(top * 4) / 4))
        lo = -hi
    small = height < 100  # a sparkline: no axis labels, little margin
    pad = 4 if small else 24
    n = max(len(pts) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * i / n
        y = pad + (height - 2 * pad) * (hi - v) / (hi - lo)
        return x, y

    segs: list[list[str]] = []
    cur: list[str] = []
    dots: list[str] = []
    for i, (k, v) in enumerate(pts):
        if v is None:
            if cur:
                segs.append(cur)
            cur = []
            continue
        x, y = xy(i, v)
        cur.append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{escape(k)}: '
            f"{v * 100:+.0f}</title></circle>"
        )
    if cur:
        segs.append(cur)
    zero_y = xy(0, 0.0)[1]
    lines = "".join(f'<polyline points="{" ".join(s)}"/>' for s in segs)
    axis = (
        f'<text x="2" y="{zero_y + 4:.1f}" class="axis">0</text>'
        f'<text x="2" y="{pad + 4}" class="axis">+{hi * 100:.0f}</text>'
        f'<text x="2" y="{height - pad + 4}" class="axis">{lo * 100:.0f}</text>'
        f'<text x="{pad}" y="{height - 4}" class="axis">{escape(pts[0][0])}</text>'
        f'<text x="{width - pad}" y="{height - 4}" class="axis" text-anchor="end">'
        f"{escape(pts[-1][0])}</text>"
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<line class="zero" x1="{pad}" x2="{width - pad}" '
        f'y1="{zero_y:.1f}" y2="{zero_y:.1f}"/>'
        + ("" if small else axis)
        + f'<g class="series">{lines}</g><g class="dots">{"".join(dots)}</g></svg>'
    )


def forest(
    rows: Sequence[tuple[str, float, float, float]],
    label: str,
    fmt: str = "{:+.2f}",
    width: int = 560,
    row_height: int = 22,
    zero: bool = True,
) -> str:
    """Estimates with 95 % intervals, one row each: (name, value, low, high). Bars run from
    zero (or the smallest low) to the value, whiskers show the interval."""
    finite = [(n, v, lo, hi) for n, v, lo, hi in rows if all(map(math.isfinite, (v, lo, hi)))]
    if not finite:
        return '<p class="muted">Nothing to plot.</p>'
    longest = max(len(n) for n, *_ in finite)
    left, right, pad = min(40 + 6 * longest, 300), 70, 6
    xs = [x for _, v, lo, hi in finite for x in (v, lo, hi)] + ([0.0] if zero else [])
    x0, x1 = min(xs), max(xs)
    if x1 - x0 < 1e-12:
        x0, x1 = x0 - 1, x1 + 1
    span = x1 - x0
    x0, x1 = x0 - 0.04 * span, x1 + 0.04 * span
    height = pad * 2 + row_height * len(finite)

    def sx(v: float) -> float:
        return left + (width - left - right) * (v - x0) / (x1 - x0)

    base = sx(0.0) if zero else sx(min(v for _, v, _, _ in finite))
    parts = []
    for i, (name, v, lo, hi) in enumerate(finite):
        y = pad + i * row_height + row_height / 2
        colour = NEGATIVE if v < 0 else POSITIVE
        a, b = sorted((base, sx(v)))
        text = f"{name}: {fmt.format(v)} (95 % interval {fmt.format(lo)} to {fmt.format(hi)})"
        parts.append(
            f"<g><title>{escape(text)}</title>"
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
            f"{escape(name[:46])}</text>"
            f'<rect x="{a:.1f}" y="{y - 6:.1f}" width="{max(b - a, 1):.1f}" height="12" '
            f'fill="{colour}" opacity="0.75"/>'
            f'<line class="whisker" x1="{sx(lo):.1f}" x2="{sx(hi):.1f}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/>'
            f'<line class="whisker" x1="{sx(lo):.1f}" x2="{sx(lo):.1f}" y1="{y - 4:.1f}" '
            f'y2="{y + 4:.1f}"/>'
            f'<line class="whisker" x1="{sx(hi):.1f}" x2="{sx(hi):.1f}" y1="{y - 4:.1f}" '
            f'y2="{y + 4:.1f}"/>'
            f'<text x="{width - right + 6}" y="{y + 4:.1f}" class="axis">'
            f"{escape(fmt.format(v))}</text></g>"
        )
    zero_line = (
        f'<line class="zero" x1="{sx(0.0):.1f}" x2="{sx(0.0):.1f}" y1="{pad}" y2="{height - pad}"/>'
        if zero and x0 <= 0 <= x1
        else ""
    )
    return (
        f'<svg class="chart forest" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{zero_line}'
        + "".join(parts)
        + "</svg>"
    )


def scatter(
    points: Sequence[tuple[str, float, float]],
    label: str,
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 320,
    diagonal: bool = False,
    split: tuple[float, float] | None = None,
    label_points: bool = True,
) -> str:
    """Points (name, x, y), labelled unless ``label_points`` is off (the name is always the
    tooltip). ``diagonal`` draws y = x (calibration); ``split`` the quadrant lines at (x, y)."""
    pts = [(n, x, y) for n, x, y in points if math.isfinite(x) and math.isfinite(y)]
    if not pts:
        return '<p class="muted">Nothing to plot.</p>'
    pad_l, pad_r, pad_t, pad_b = 48, 16, 12, 36
    xs, ys = [x for _, x, _ in pts], [y for _, _, y in pts]
    if split:
        xs.append(split[0])
        ys.append(split[1])
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    if diagonal:
        lo_x = lo_y = min(lo_x, lo_y)
        hi_x = hi_y = max(hi_x, hi_y)
    dx, dy = (hi_x - lo_x) or 1.0, (hi_y - lo_y) or 1.0
    # a margin around the points, but no negative axis for values that cannot be negative
    lo_x = lo_x - 0.08 * dx if lo_x < 0 else max(0.0, lo_x - 0.08 * dx)
    lo_y = lo_y - 0.08 * dy if lo_y < 0 else max(0.0, lo_y - 0.08 * dy)
    hi_x, hi_y = hi_x + 0.08 * dx, hi_y + 0.08 * dy

    def sx(v: float) -> float:
        return pad_l + (width - pad_l - pad_r) * (v - lo_x) / (hi_x - lo_x)

    def sy(v: float) -> float:
        return pad_t + (height - pad_t - pad_b) * (hi_y - v) / (hi_y - lo_y)

    extra = ""
    if diagonal:
        extra += (
            f'<line class="zero" x1="{sx(lo_x):.1f}" y1="{sy(lo_x):.1f}" '
            f'x2="{sx(hi_x):.1f}" y2="{sy(hi_x):.1f}"/>'
        )
    if split:
        extra += (
            f'<line class="zero" x1="{sx(split[0]):.1f}" x2="{sx(split[0]):.1f}" '
            f'y1="{pad_t}" y2="{height - pad_b}"/>'
            f'<line class="zero" x1="{pad_l}" x2="{width - pad_r}" '
            f'y1="{sy(split[1]):.1f}" y2="{sy(split[1]):.1f}"/>'
        )

    def tag(n: str, x: float, y: float) -> str:
        right = sx(x) > 0.7 * width  # labels near the right edge go to the dot's left
        tx = sx(x) - 6 if right else sx(x) + 6
        anchor = ' text-anchor="end"' if right else ""
        return (
            f"<g><title>{escape(n)}: {x:.3g}, {y:.3g}</title>"
            f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4"/>'
            + (
                f'<text x="{tx:.1f}" y="{sy(y) - 6:.1f}" class="axis"{anchor}>'
                f"{escape(n[:24])}</text>"
                if label_points
                else ""
            )
            + "</g>"
        )

    dots = "".join(tag(n, x, y) for n, x, y in pts)
    axes = (
        f'<text x="{width / 2:.0f}" y="{height - 6}" class="axis" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{height / 2:.0f}" class="axis" text-anchor="middle" '
        f'transform="rotate(-90 12 {height / 2:.0f})">{escape(y_label)}</text>'
        f'<text x="{pad_l}" y="{height - pad_b + 14}" class="axis">{lo_x:.3g}</text>'
        f'<text x="{width - pad_r}" y="{height - pad_b + 14}" class="axis" '
        f'text-anchor="end">{hi_x:.3g}</text>'
        f'<text x="{pad_l - 4}" y="{height - pad_b}" class="axis" text-anchor="end">'
        f"{lo_y:.3g}</text>"
        f'<text x="{pad_l - 4}" y="{pad_t + 8}" class="axis" text-anchor="end">{hi_y:.3g}</text>'
    )
    return (
        f'<svg class="chart scatter" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{extra}{axes}'
        f'<g class="dots">{dots}</g></svg>'
    )
