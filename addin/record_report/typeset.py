"""The record report as a PDF, laid out by Typst (its compiler comes in the ``typst`` package of the [report]
extra): a real 200-activity record in about 0.4 s, where WeasyPrint took two.

``templates/record.typ`` is the same document as ``record.html.j2``: the same sections, words and colours.
What it shows goes to it as JSON strings, which Typst prints as the text they are (never read as markup);
the charts are image files beside it in a folder of its own, the only folder Typst may read. Nothing is
fetched: Typst has no network, and no path outside that folder.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .data import DETAIL_FIELDS, ReportData, made_line

TEMPLATE = Path(__file__).parent / "templates" / "record.typ"
_PNG = re.compile(r'src="data:image/png;base64,([^"]+)"')


def chart_file(markup: str, folder: Path, name: str) -> str:
    """Write a chart (the inline SVG or the PNG <img> that ``charts`` gives) into ``folder``; its file name."""
    if markup.lstrip().startswith("<svg"):
        (folder / f"{name}.svg").write_text(markup, encoding="utf-8")
        return f"{name}.svg"
    found = _PNG.search(markup)
    if found is None:
        raise ValueError("a chart is neither SVG nor a PNG image")
    (folder / f"{name}.png").write_bytes(base64.b64decode(found.group(1)))
    return f"{name}.png"


def _collapsed(value: Any) -> Any:
    """Every string with its runs of white space made one space, as the HTML page shows text (Typst would
    break the line at a newline); an activity's ``detail`` lines keep their newlines, as the page's
    ``white-space: pre-line`` does."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_collapsed(v) for v in value]
    if isinstance(value, dict):
        return {k: ["\n".join(" ".join(line.split()) for line in v.strip().split("\n")) for v in value[k]]
                if k == "detail" else _collapsed(v) for k, v in value.items()}
    return value


def _activity(a: dict[str, Any], unit: str) -> dict[str, Any]:
    meta = a["dates"] + "".join(f" · {part}" for part in (f"{a['hours']} {unit}" if a["hours"] else "",
                                                           a["category"], a["skill_type"]) if part)
    detail = [f"{label}: {a[key]}" for label, key in DETAIL_FIELDS if a[key]]
    if a["comments"]:
        detail.append("Mentor comments: " + "; ".join(a["comments"]))
    return {"title": a["title"], "meta": meta, "detail": detail, "dates": a["dates"], "category": a["category"],
            "hours": a["hours"]}


def _trends(d: ReportData) -> list[dict[str, str]] | None:
    if not d.trends or len(d.trends.periods) <= 1:
        return None
    rows = []
    for p in d.trends.periods:
        done = d.trends.completed_objectives.get(p.label, [])
        carried = d.trends.carried_objectives.get(p.label, [])
        objectives = "; ".join(part for part in (f"completed {', '.join(done)}" if done else "",
                                                 f"carried over {', '.join(carried)}" if carried else "") if part)
        rows.append({"period": f"{p.label} ({p.profile})", "counted": f"{p.counted:g}",
                     "target": f"{p.target:g}" if p.target is not None else "none",
                     "verdict": p.verdict.replace("_", " "),
                     "skills": ", ".join(f"{k} {v:g}" for k, v in p.by_skill_group.items()),
                     "competences": ", ".join(d.trends.new_competences.get(p.label, [])), "objectives": objectives})
    return rows


def _section(d: ReportData, charts: list[tuple[str, str]], trend: str | None, folder: Path, n: int) -> dict[str, Any]:
    return {
        "body": d.body, "audience": d.audience, "unit": d.unit,
        "member": [list(pair) for pair in d.member], "verdict": d.verdict, "verdict_id": d.verdict_id,
        "score": d.score, "hours_line": d.hours_line, "criteria": d.criteria, "notes": d.notes,
        "charts": [{"file": chart_file(markup, folder, f"chart-{n}-{i}"), "alt": said}
                   for i, (markup, said) in enumerate(charts)],
        "trends": _trends(d), "trend_chart": chart_file(trend, folder, f"trend-{n}") if trend else None,
        "objectives": [{"ref": o["ref"], "objective": o["objective"], "status": o["status"],
                        "target_date": o["target_date"], "hours": o["hours"],
                        "activities": "; ".join(o["activities"]) or "none yet",
                        "evaluation": o["evaluation"] if d.audience == "full" else ""} for o in d.objectives],
        "activities": [_activity(a, d.unit) for a in d.activities],
    }


def typeset(data: ReportData, sections: list[tuple[ReportData, list[tuple[str, str]], str | None]]) -> bytes:
    """The PDF of the report's sections (each: its data, its charts' markup and text, its trend chart)."""
    bodies = [d.body for d, _, _ in sections]
    with tempfile.TemporaryDirectory(prefix="cpd-report-") as tmp:
        folder = Path(tmp)
        document = {"title": data.title, "made": made_line(data, bodies),
                    "dropped": (f"To keep the file small, this report leaves out {'; '.join(data.dropped)}."
                                if data.dropped else ""),
                    "sections": [_section(d, charts, trend, folder, n)
                                 for n, (d, charts, trend) in enumerate(sections)]}
        (folder / "report.json").write_text(json.dumps(_collapsed(document)), encoding="utf-8")
        (folder / "record.typ").write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
        return _compiled(folder)


# Typst keeps what it laid out for the next ten documents it compiles in the process (about 60 MB a
# 200-activity record: a server that had drawn eight held 557 MiB), so each PDF is compiled in a child process
# of its own, which gives it all back when it exits; that costs the child's start, about 30-40 ms. The child
# runs isolated (no current folder, no PYTHON* settings on its path) and is told where Typst is installed.
_CHILD = ("import sys; sys.path.insert(0, sys.argv[2]); import typst; folder = sys.argv[1]; "
          "typst.compile(folder + '/record.typ', output=folder + '/record.pdf', root=folder)")


def _compiled(folder: Path) -> bytes:
    """The PDF Typst makes of ``folder``'s record.typ, compiled in a child process."""
    spec = importlib.util.find_spec("typst")
    assert spec is not None and spec.origin, "report_pdf checks Typst is installed"
    installed = str(Path(spec.origin).parent.parent)
    done = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(folder), installed], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()
        raise RuntimeError(f"Typst could not lay out the report: {said[-1] if said else done.returncode}")
    return (folder / "record.pdf").read_bytes()
