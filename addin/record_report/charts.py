"""The report's charts, drawn by matplotlib: hours by category against the target, the skill mix,
competence coverage (one figure), and hours per period. SVG (vector, text kept as text) by default; PNG at a
given resolution when a size limit asks for less."""
from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..extras import available

if TYPE_CHECKING:                 # matplotlib comes with the [report] extra: imported where a chart is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..trends import PeriodFigures

Items = Sequence[tuple[str, float]]        # (label, value) bars

BLUE, GREY, RED = "#1F4E78", "#B0B7C3", "#C0392B"


def drawable() -> bool:
    """Whether charts can be drawn here: matplotlib comes with the [report] extra."""
    return available("matplotlib")


def _encode(fig: Figure, dpi: int | None, alt: str = "chart") -> str:
    """The chart as markup for the page: inline SVG, or an <img> of a PNG at ``dpi``."""
    import matplotlib
    buf = io.BytesIO()
    if dpi is None:
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "cpd"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
        svg = buf.getvalue().decode("utf-8")
        return svg[svg.index("<svg"):]
    fig.savefig(buf, format="png", dpi=dpi)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _plain(ax: Axes, title: str) -> None:
    """A panel's title, small tick labels, and no top or right frame."""
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _bars(ax: Axes, items: Items, unit: str, title: str, colour: str = BLUE) -> None:
    names = [n for n, _ in items][::-1]
    values = [v for _, v in items][::-1]
    bars = ax.barh(names, values, color=[colour if v > 0 else GREY for v in values])
    for bar, v in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:g}", va="center", fontsize=8)
    ax.set_xlabel(unit, fontsize=8)
    _plain(ax, title)


def record_charts(categories: Items, skills: Items, competences: Items, target: float | None, counted: float, unit: str,
                  dpi: int | None = None) -> list[tuple[str, str]]:
    """A chart each, as (markup, text alternative with its figures): hours by category with the total
    counted against the target (a dashed line, labelled under the bars), the skill mix, and hours per
    competence (grey, and said so in the title, when one is not covered). A chart each, so that the
    page can start the next one where this one ends."""
    from matplotlib.figure import Figure              # imported on first use: the CLI stays quick without charts
    panels = [("categories", [(n, round(v, 2)) for n, v in categories] + [("All counted", round(counted, 2))])]
    if skills:
        panels.append(("skills", [(n, round(v, 2)) for n, v in skills]))
    if competences:
        panels.append(("competences", [(c, round(v, 2)) for c, v in competences]))
    uncovered = any(v == 0 for _, v in competences)
    titles = {"categories": f"{'Hours' if unit == 'hours' else unit} by category",
              "skills": "Skill mix",
              "competences": "Competence coverage" + (" (grey: not covered)" if uncovered else "")}
    drawn = []
    for name, items in panels:
        rows = len(items) + (1 if name == "categories" and target is not None else 0)
        fig = Figure(figsize=(6.6, 0.24 * rows + 0.75))
        ax = fig.subplots()
        _bars(ax, items, unit, titles[name])
        described = "; ".join(f"{n} {v:g}" for n, v in items)
        if name == "categories" and target is not None:
            # the target's label in a row of its own under the bars: clear of the title and of every bar
            ax.set_ylim(-1.5, len(items) - 0.4)
            ax.axvline(target, color=RED, linestyle="--", linewidth=1)
            ax.annotate(f"target {target:g}", (target, -1.0), xytext=(3, 0), textcoords="offset points", color=RED,
                        fontsize=8, va="center", ha="left")
            described += f"; target {target:g}"
        fig.subplots_adjust(left=0.3, right=0.95, top=1 - 0.32 / fig.get_figheight(),
                            bottom=0.42 / fig.get_figheight())
        drawn.append((_encode(fig, dpi, titles[name]), f"{titles[name]} ({unit}): {described}."))
    return drawn


PALETTE = ("#1F4E78", "#4E8CC2", "#9CC3E4", "#2E7D32", "#8BC34A", "#F2A93B", "#8E6C8A", "#B0B7C3")


def _stacked(ax: Axes, labels: list[str], series: dict[str, list[float]], title: str, unit: str) -> None:
    """Bars per period, stacked by series (category or skill group), with a legend."""
    bottom = [0.0] * len(labels)
    for i, (name, values) in enumerate(series.items()):
        ax.bar(labels, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=name)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel(unit, fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _plain(ax, title)


def trend_chart(periods: Sequence[PeriodFigures], dpi: int | None = None) -> str:
    """The periods side by side, a panel each: hours counted against the target, the category mix, the
    skill mix, and how many competences CPD has covered so far."""
    from matplotlib.figure import Figure
    labels = [p.label for p in periods]
    unit = periods[0].unit if periods else "hours"
    fig = Figure(figsize=(6.6, 8.4))
    hours, cats, skills, comps = fig.subplots(4, 1, gridspec_kw={"hspace": 0.75})
    hours.bar(labels, [p.counted for p in periods], color=BLUE, label="counted")
    targets = [p.target for p in periods]
    if any(t is not None for t in targets):
        hours.plot(labels, [t if t is not None else float("nan") for t in targets], color=RED, marker="_",
                   markersize=22, linestyle="none", label="target")
    hours.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    hours.set_ylabel(unit, fontsize=8)
    _plain(hours, "Hours per period against the target")
    names = list(dict.fromkeys(k for p in periods for k, v in p.by_category.items() if v))
    _stacked(cats, labels, {n: [p.by_category.get(n, 0.0) for p in periods] for n in names}, "Category mix", unit)
    groups = list(dict.fromkeys(k for p in periods for k in p.by_skill_group))
    _stacked(skills, labels, {n: [p.by_skill_group.get(n, 0.0) for p in periods] for n in groups}, "Skill mix", unit)
    seen: set[str] = set()
    covered = []
    for p in periods:
        seen.update(p.competences)
        covered.append(len(seen))
    comps.plot(labels, covered, color=BLUE, marker="o")
    comps.set_ylim(bottom=0)
    from matplotlib.ticker import MaxNLocator
    comps.yaxis.set_major_locator(MaxNLocator(integer=True))      # a count of competences: whole numbers
    _plain(comps, "Competences covered so far")
    fig.subplots_adjust(left=0.1, right=0.72, top=0.96, bottom=0.04)
    return _encode(fig, dpi)
