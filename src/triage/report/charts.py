"""Charts for the annual report, drawn as inline SVG by templates/report/_charts.html.j2.

This module only computes geometry (bars, segments, legend) from the report's JSON; the
template writes the SVG elements, so every label passes Jinja's autoescaping. Suppressed
counts ("<5", "[c]") are never drawn, so a chart never reveals a suppressed number; a bar
with a hidden part says so rather than showing a share or a total that leaves it out.
"""

from __future__ import annotations

import textwrap
from typing import Any

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
WIDTH, LABEL_W, BAR_H, GAP, TOP = 640, 170, 22, 10, 8
LABEL_CHARS, LINE_H = 26, 13  # a label wraps at 26 characters (LABEL_W at 11px), never cut


HIDDEN = "small numbers not shown"
# Text on a coloured segment is black or white, whichever contrasts more (WCAG 2.2 1.4.3 asks
# 4.5:1; every colour of the palette reaches it with one of the two); each segment has a dark
# outline so that even the lightest colour stands out from the white page (1.4.11, 3:1).
OUTLINE = "#1a1a1a"


def _luminance(colour: str) -> float:
    """Relative luminance of #rrggbb (WCAG 2.2)."""
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def ink(fill: str) -> str:
    """Black or white text for a segment of ``fill``, whichever contrasts more."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


def _num(value: Any) -> int | None:
    """A count to draw: 0 where nothing was counted, None where the count is suppressed."""
    if isinstance(value, str):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _shown(count: Any) -> str:
    """A count at the end of a bar: thousands separated; a suppressed one as it is."""
    return f"{count:,}" if isinstance(count, int) and not isinstance(count, bool) else str(count)


def _row(report: dict[str, Any], table: str, group: str | None, label: str) -> dict[str, Any] | None:
    for t in report["tables"]:
        if t["id"] == table:
            return next((r for r in t["rows"] if r["group"] == group and r["label"] == label), None)
    return None


def stacked(title: str, rows: list[tuple[str, list[tuple[str, int | None]]]], *, share: bool, unit: str = "",
            palette: list[str] = PALETTE, ends: dict[str, str] | None = None) -> dict[str, Any]:
    """Horizontal bars, one per row, each made of segments (a series each); ``share``
    scales every bar to 100%, else all bars share one scale. A part that is None is hidden:
    a share bar with one is not drawn; other bars draw the parts shown. ``ends`` gives the
    text at the end of a bar (its total as the table prints it), else the sum drawn."""
    series = list(dict.fromkeys(name for _, parts in rows for name, _ in parts))
    colour = {name: palette[i % len(palette)] for i, name in enumerate(series)}
    plot_w = WIDTH - LABEL_W - 60
    biggest = max([sum(v or 0 for _, v in parts) for _, parts in rows] + [1])
    bars = []
    y = float(TOP)
    for label, shown in rows:
        lines = textwrap.wrap(label, LABEL_CHARS, break_on_hyphens=False) or [label]
        row_h = max(BAR_H, len(lines) * LINE_H)
        hidden = any(v is None for _, v in shown)
        parts = [] if hidden and share else [(name, v) for name, v in shown if v is not None]
        total = sum(v for _, v in parts)
        scale = plot_w / (total if share else biggest) if total else 0
        x, segments = float(LABEL_W), []
        for name, value in parts:
            if value <= 0:
                continue
            w = value * scale
            pct = round(100 * value / total) if total else 0
            segments.append({"x": round(x, 1), "w": round(w, 1), "colour": colour[name], "ink": ink(colour[name]),
                             "title": f"{label}: {name} {value}{unit} ({pct}%)",
                             "text": f"{pct}%" if share and w > 28 else ""})
            x += w
        bar_y = y + (row_h - BAR_H) / 2
        if hidden and share:
            total_text = HIDDEN
        elif ends and label in ends:
            total_text = ends[label]
        else:
            total_text = f"{total:,}{unit}" if not share else "" if total else "none"
        ty = bar_y + BAR_H / 2 + 4
        bars.append({"label": label, "label_lines": lines, "label_y": ty - (len(lines) - 1) * LINE_H / 2,
                     "y": bar_y, "ty": ty, "segments": segments, "end_x": round(x + 6, 1), "value": total_text})
        y += row_h + GAP
    legend, lx = [], float(LABEL_W)
    ly = y + 6
    for name in series:
        if len(series) == 1:
            break
        width = 18 + 7 * len(name)
        if lx + width > WIDTH:
            lx, ly = float(LABEL_W), ly + 18
        legend.append({"x": lx, "y": ly, "colour": colour[name], "name": name})
        lx += width
    height = ly + (22 if legend else 0)
    return {"title": title, "width": WIDTH, "height": height, "bar_h": BAR_H, "label_w": LABEL_W,
            "line_h": LINE_H, "bars": bars, "legend": legend, "outline": OUTLINE}


def charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The main series: representation mix, timescale bands by year, top natures."""
    years = report["years"]
    out = []
    mix_parts = [("Social care", "CSC representations", "Total"), ("Corporate", "Corporate representations", "Total"),
                 ("Pre-complaint", "Other representations", "Pre-complaint"),
                 ("Case concern", "Other representations", "Local Response / case concern"),
                 ("Ad hoc", "Other representations", "Ad hoc"),
                 ("Call back", "Other representations", "Call back requests")]
    rows: list[tuple[str, list[tuple[str, int | None]]]] = []
    for y in years:
        parts = [(name, _num((_row(report, "representations", g, lab) or {"counts": {}})["counts"].get(y)))
                 for name, g, lab in mix_parts]
        others = _num((_row(report, "representations", "Other representations", "Total other representations")
                       or {"counts": {}})["counts"].get(y))
        named = [v for _, v in parts[2:]]
        # the rest of the other types, unless a hidden count would be in it
        rest = None if others is None or None in named else max(others - sum(v or 0 for v in named), 0)
        rows.append((y, parts + [("Other types", rest)]))
    total = _row(report, "representations", None, "Total representations") or {"counts": {}}
    out.append(stacked("Representation mix by year", rows, share=False,
                       ends={y: _shown(total["counts"].get(y, "")) for y in years}))
    tables = {t["id"]: t for t in report["tables"]}
    for group, name in (("Social Care Complaints Stage 1", "Social care stage 1"),
                        ("Corporate complaints Stage 1", "Corporate stage 1")):
        bands = [r for r in tables["timescales"]["rows"] if r["group"] == group and r["label"].startswith("in ")]
        names = [r["label"].replace("in between ", "").replace(" and ", " to ").replace("in over ", "over ")
                 .replace("in ", "within ") for r in bands]
        rows = [(y, [(name, _num(r["counts"].get(y))) for name, r in zip(names, bands)]) for y in years]
        # within the standard blue, up to the maximum orange, beyond it vermilion
        out.append(stacked(f"{name}: response times by year", rows, share=True,
                           palette=[PALETTE[0], PALETTE[1], PALETTE[5]]))
    learning = tables.get("learning")
    if learning:
        # what became of the actions of the year, by where they came from; then the remedies
        def cell(group: str, label: str) -> int | None:
            row = next((r for r in learning["rows"] if r["group"] == group and r["label"] == label), None)
            return _num(row["counts"].get(years[0])) if row else 0
        groups = ["From complaint findings", "Ombudsman remedies", "Wider learning"]
        rows = [(g, [("Implemented", cell(g, "Implemented")), ("Dropped", cell(g, "of which dropped")),
                     ("Still open", cell(g, "of which still open"))]) for g in groups]
        if any(v for _, parts in rows for _, v in parts):
            out.append(stacked(f"Actions agreed {years[0]}: implemented or not, by source", rows, share=False,
                               palette=[PALETTE[0], PALETTE[7], PALETTE[5]]))
        g = "Ombudsman remedies due in the year"
        remedies = [(y, [(name, _num(next(r for r in learning["rows"] if r["group"] == g and r["label"] == label)
                                     ["counts"].get(y)))
                         for name, label in (("On time", "Met on time"), ("Late", "Met late"),
                                             ("Outstanding", "Outstanding"), ("Dropped", "Dropped"))]) for y in years]
        if any(v for _, parts in remedies for _, v in parts):
            out.append(stacked("Ombudsman remedies due by year: met on time, late or outstanding", remedies, share=True,
                               palette=[PALETTE[0], PALETTE[1], PALETTE[5], PALETTE[7]]))
    for table, name in (("natures_social_care", "Social care"), ("natures_corporate", "Corporate")):
        counted = [(r["label"], _num(r["counts"].get(years[0]))) for r in tables[table]["rows"] if r["label"] != "Total"]
        top = sorted(((lab, v) for lab, v in counted if v and lab not in ("Blank Data", "Unknown")),
                     key=lambda x: (-x[1], x[0]))[:10]
        if top:
            out.append(stacked(f"{name} complaints: top natures {years[0]}", [(lab, [("complaints", v)]) for lab, v in top],
                               share=False))
    return out
