"""Charts for the workbench's quality page, drawn on the server as SVG: no script, no build.
Each chart is an image with a title and a description for a screen reader, and the page
shows its numbers as a table beside it (quality.html), so nothing is only in the picture."""

from html import escape

from markupsafe import Markup

WIDTH = 640
ROW = 22  # a bar's height with its gap
LABEL = 190  # room for a bar's label
COLOURS = ("#0b4f8a", "#3a7fc1", "#e0a020", "#8a1010")  # dark to alarming; contrast >= 3:1 on white


def bars(chart_id: str, title: str, rows: list[tuple[str, float]], *, maximum: float = 1.0,
         percent: bool = True) -> Markup:  # fmt: skip
    """One horizontal bar a row (label, value), scaled to `maximum`."""
    height = ROW * max(len(rows), 1) + 24
    span = WIDTH - LABEL - 70
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 8 + i * ROW
        w = span * (value / maximum) if maximum else 0
        shown = f"{value * 100:.1f}%" if percent else f"{value:,.0f}"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{ROW - 6}" fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL + w + 6:.1f}" y="{y + 13}">{shown}</text>'
        )
    return _svg(chart_id, title, height, "".join(parts))


def stacked(chart_id: str, title: str, rows: list[tuple[str, list[int]]], series: list[str]) -> Markup:
    """One horizontal bar a row, split into its series (e.g. age bands), scaled to the largest row."""
    height = ROW * max(len(rows), 1) + 44
    span = WIDTH - LABEL - 70
    top = max((sum(v) for _, v in rows), default=0) or 1
    parts = []
    for i, (label, values) in enumerate(rows):
        y = 8 + i * ROW
        x = float(LABEL)
        parts.append(f'<text x="{LABEL - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        for j, v in enumerate(values):
            w = span * v / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW - 6}" fill="{COLOURS[j % 4]}"/>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 13}">{sum(values):,}</text>')
    legend_y = 8 + len(rows) * ROW + 10
    for j, name in enumerate(series):
        x = LABEL + j * 110
        parts.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{COLOURS[j % 4]}"/>'
                     f'<text x="{x + 16}" y="{legend_y + 11}">{escape(name)}</text>')  # fmt: skip
    return _svg(chart_id, title, height, "".join(parts))


def columns(chart_id: str, title: str, points: list[tuple[str, float | None]]) -> Markup:
    """A column a point (label, 0..1 or None for no data), left to right, e.g. a rate by day."""
    height, base, top = 200, 170, 20
    step = (WIDTH - 60) / max(len(points), 1)
    parts = [f'<line x1="50" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#4a4a4a"/>',
             f'<text x="44" y="{top + 4}" text-anchor="end">100%</text>',
             f'<text x="44" y="{base}" text-anchor="end">0%</text>']  # fmt: skip
    for i, (label, value) in enumerate(points):
        x = 55 + i * step
        if value is not None:
            h = (base - top) * value
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[0]}"/>')  # fmt: skip
        if i % max(1, len(points) // 7) == 0:
            parts.append(f'<text x="{x:.1f}" y="{base + 18}">{escape(label)}</text>')
    return _svg(chart_id, title, height, "".join(parts))


def _svg(chart_id: str, title: str, height: int, body: str) -> Markup:
    """The chart as an image whose accessible name is its title; its table (aria-describedby)
    holds the numbers."""
    return Markup(
        f'<svg role="img" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-table" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" font-size="12" '
        f'font-family="system-ui, sans-serif"><title id="{chart_id}-title">{escape(title)}</title>{body}</svg>'
    )
