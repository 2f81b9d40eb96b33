"""The batch run report as one self-contained HTML page: no scripts, no external files, charts as inline SVG."""

from __future__ import annotations

from html import escape
from typing import Any

BAR_COLOURS = {"block": "#c0392b", "review": "#d68910", "pass": "#27ae60"}
DEFAULT_BAR = "#2e86c1"


def bar_chart(title: str, items: list[tuple[str, int]], colours: dict[str, str] | None = None) -> str:
    """A horizontal bar chart: one labelled bar per item, longest first as given."""
    if not items:
        return f"<h2>{escape(title)}</h2><p>none</p>"
    top = max(n for _, n in items) or 1
    row, label_w, bar_w = 22, 220, 420
    height = row * len(items) + 10
    bars = []
    for i, (label, n) in enumerate(items):
        y = 5 + i * row
        width = max(1, round(bar_w * n / top)) if n else 0
        colour = (colours or {}).get(label, DEFAULT_BAR)
        bars.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row - 6}" fill="{colour}">'
            f"<title>{escape(str(label))}: {n:,}</title></rect>"
            f'<text x="{label_w + width + 6}" y="{y + 15}">{n:,}</text>')
    return (f"<h2>{escape(title)}</h2>"
            f'<svg role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 90}" height="{height}" '
            f'font-size="13" font-family="sans-serif">{"".join(bars)}</svg>')


def html_report(report: dict[str, Any]) -> str:
    facts = [
        ("run", report["run_id"]), ("engine", report["engine"]), ("snapshot", report["snapshot"]),
        ("lexicon version", report["lexicon_version"]), ("full run", "yes" if report["full_run"] else "no"),
        ("accounts", f"{report['rows']:,}"), ("screened", f"{report['screened']:,}"),
        ("resumed from a killed attempt", f"{report['resumed']:,}"), ("unchanged", f"{report['unchanged']:,}"),
        ("new findings", f"{report['new_findings']:,}"), ("time", f"{report['seconds']:.1f} s"),
        ("names/min", f"{report['names_per_min']:,}" if report["names_per_min"] else "-"),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts)
    charts = [
        bar_chart("Decisions", list(report["decisions"].items()), BAR_COLOURS),
        bar_chart("Findings by category", list(report["categories"].items())),
        bar_chart("Most imitated targets", [(t["target"], t["accounts"]) for t in report["top_targets"]]),
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>impostor run {escape(report['run_id'])}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 2px 12px 2px 0; }}
th {{ font-weight: normal; color: #555; }} h2 {{ margin-top: 1.6em; font-size: 1.1em; }}
</style></head>
<body>
<h1>impostor batch run</h1>
<table>{table}</table>
{"".join(charts)}
</body></html>
"""
