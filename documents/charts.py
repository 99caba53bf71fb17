"""SVG charts for printed reports, drawn here rather than with a chart library.

Why no library: the report needs two plain charts (horizontal bars, a deadline
timeline). Writing the SVG directly is ~150 lines, adds no dependency, produces vector
output WeasyPrint embeds inline (sharp in print, a few KB), and its text is set in the
report's own CJK font by the stylesheet — matplotlib would add ~40 MB and its own font
configuration to get Chinese labels right, pygal ships CSS/JS meant for browsers.

Every text value is escaped; sizes are in SVG user units that map to millimetres through
the ``viewBox`` and the CSS width of the ``svg`` element.
"""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

GREEN, BLUE, GREY, RED, INK = "#2e7d32", "#64b5f6", "#e0e0e0", "#c62828", "#222"
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'


def _text(x, y, value, *, size=3.2, anchor="start", fill=INK, weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}" {FONT}>{escape(value)}</text>')


def _clip(label, limit):
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def completion_bars(rows, *, title="", width=170):
    """Horizontal stacked bars: accepted / submitted share of each row's obligations.

    ``rows``: dicts with ``label``, ``total``, ``accepted``, ``submitted``, ``overdue`` and
    ``done_pct`` (the campaign selectors' progress rows).
    """
    label_w, right_w, bar_h, gap, top = 34, 30, 5.0, 2.2, 9
    plot_w = width - label_w - right_w
    height = top + len(rows) * (bar_h + gap) + 10
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.1f}" '
             f'width="{width}mm" height="{height:.1f}mm">']
    if title:
        parts.append(_text(0, 4.5, title, size=3.8, weight="bold"))
    for tick in range(0, 101, 20):
        x = label_w + plot_w * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 1}" x2="{x:.1f}" y2="{height - 8:.1f}" stroke="#bbb" '
                     f'stroke-width="0.2"/>')
        parts.append(_text(x, height - 4.5, f"{tick}%", size=2.6, anchor="middle", fill="#555"))
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        total = row["total"] or 0
        accepted = plot_w * row["accepted"] / total if total else 0
        submitted = plot_w * row["submitted"] / total if total else 0
        parts.append(_text(label_w - 1.5, y + bar_h - 1.2, _clip(row["label"], 10), size=3, anchor="end"))
        parts.append(f'<rect x="{label_w}" y="{y:.1f}" width="{plot_w:.1f}" height="{bar_h}" fill="{GREY}"/>')
        parts.append(f'<rect x="{label_w}" y="{y:.1f}" width="{accepted:.2f}" height="{bar_h}" fill="{GREEN}"/>')
        parts.append(f'<rect x="{label_w + accepted:.2f}" y="{y:.1f}" width="{submitted:.2f}" height="{bar_h}" '
                     f'fill="{BLUE}"/>')
        note = f'{row["done_pct"]:.1f}%'
        if row.get("overdue"):
            note += "  " + _("逾期 %(n)s") % {"n": row["overdue"]}
        parts.append(_text(label_w + plot_w + 1.5, y + bar_h - 1.2, note, size=2.8,
                           fill=RED if row.get("overdue") else INK))
    legend_y = height - 1
    for offset, colour, label in ((0, GREEN, _("已通过")), (22, BLUE, _("待审核")), (44, GREY, _("未完成"))):
        parts.append(f'<rect x="{label_w + offset}" y="{legend_y - 2.6:.1f}" width="3" height="2.6" fill="{colour}"/>')
        parts.append(_text(label_w + offset + 4, legend_y, label, size=2.6))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def deadline_timeline(tasks, *, start, end, as_of, title="", width=170):
    """A deadline timeline: one row per task, its window as a bar, the deadline as a mark.

    ``tasks``: dicts with ``label``, ``window_start``, ``deadline`` and ``done_pct``. The
    bar is shaded by completion; a red line marks the report date.
    """
    start = min([start] + [t["window_start"] for t in tasks])
    end = max([end] + [t["deadline"] for t in tasks])
    span = max((end - start).days, 1)
    label_w, row_h, top = 52, 4.2, 12
    plot_w = width - label_w - 4
    height = top + len(tasks) * row_h + 4

    def x_of(day):
        return label_w + plot_w * (day - start).days / span

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.1f}" '
             f'width="{width}mm" height="{height:.1f}mm">']
    if title:
        parts.append(_text(0, 4.5, title, size=3.8, weight="bold"))
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            x = x_of(month)
            parts.append(f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{height - 3:.1f}" stroke="#ccc" '
                         f'stroke-width="0.2"/>')
            parts.append(_text(x + 0.6, top - 3, _("%(m)s月") % {"m": month.month}, size=2.6, fill="#555"))
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    for i, task in enumerate(tasks):
        y = top + i * row_h
        x0, x1 = x_of(task["window_start"]), x_of(task["deadline"])
        done = max(0.0, min(100.0, task["done_pct"])) / 100
        parts.append(_text(label_w - 1.5, y + 2.9, _clip(task["label"], 16), size=2.6, anchor="end"))
        parts.append(f'<rect x="{x0:.2f}" y="{y + 0.8:.1f}" width="{max(x1 - x0, 0.6):.2f}" height="2.6" '
                     f'fill="{GREY}"/>')
        parts.append(f'<rect x="{x0:.2f}" y="{y + 0.8:.1f}" width="{max(x1 - x0, 0.6) * done:.2f}" height="2.6" '
                     f'fill="{GREEN}"/>')
        late = task["deadline"] < as_of and done < 1
        parts.append(f'<path d="M{x1:.2f} {y + 0.3:.1f} l1.6 1.8 l-1.6 1.8 l-1.6 -1.8 z" '
                     f'fill="{RED if late else INK}"/>')
    if start <= as_of <= end:
        x = x_of(as_of)
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 3:.1f}" stroke="{RED}" '
                     f'stroke-width="0.4" stroke-dasharray="1 0.8"/>')
        label = _("统计日 %(d)s") % {"d": f"{as_of:%m-%d}"}
        parts.append(_text(x, top - 6.5, label, size=2.6, anchor="middle", fill=RED))
    parts.append("</svg>")
    return mark_safe("".join(parts))
