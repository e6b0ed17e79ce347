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
