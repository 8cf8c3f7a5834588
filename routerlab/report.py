"""A self-contained HTML report: headings, paragraphs, tables and Altair charts in one offline file.

:class:`Report` collects items in order and :meth:`Report.to_html` returns one HTML string (the Vega
JavaScript is inlined once, via :func:`routerlab.charts_export.charts_page`, so the file opens in any
browser without Jupyter or network). :func:`write_report` writes it. Building the HTML is pure (data in,
string out); only :func:`write_report` touches the disk.

When any item mentions a scenario model, the report carries a banner saying that "(simulated)" marks
declared, not recorded, numbers.

Examples
--------
>>> import pandas as pd
>>> r = Report("Demo")
>>> r.heading("Routers").table(pd.DataFrame({"apgr": [0.71]}, index=["knn"]))  # doctest: +ELLIPSIS
<routerlab.report.Report object at ...>
>>> "<table" in r.body_html()
True
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The banner shown when a report involves scenario (simulated) models.
SIMULATED_BANNER = (
    "Models marked <b>(simulated)</b> are scenario models: declared accuracy, latency and price "
    "profiles (routerlab/scenario.py), not recorded answers. Record your own endpoint with "
    "<code>routerlab record</code> to replace them."
)

_CSS = (
    "h1{margin-bottom:.2em}.rl-sub{color:#555;margin-top:0}"
    "table.rl{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "table.rl th,table.rl td{border:1px solid #ddd;padding:.25em .6em;text-align:right}"
    "table.rl th:first-child,table.rl td:first-child{text-align:left}"
    "table.rl thead th{background:#f4f4f4}.rl-cap{color:#555;font-size:.9em}"
    ".rl-sim{background:#fff7e0;border:1px solid #e8c66a;padding:.5em .8em;border-radius:4px}"
    ".rl-kv td{text-align:left}.rl-ok{color:#1e7b34}.rl-bad{color:#b03a2e}"
    "pre.rl{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.88em}"
)


def _fmt(v: Any, digits: int) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        return f"{float(v):.{digits}f}"
    return str(v)


def table_html(df: pd.DataFrame, *, digits: int = 3, caption: str | None = None) -> str:
    """An escaped HTML table of ``df`` (index as the first column; NaN shown as "–")."""
    cols = [str(c) for c in df.columns]
    idx_name = df.index.name or ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [str(idx_name), *cols])
    rows = []
    for idx, *values in df.itertuples(name=None):  # keeps each column's own type (ints stay ints)
        cells = [f"<td>{html.escape(str(idx))}</td>"]
        cells += [f"<td>{html.escape(_fmt(v, digits))}</td>" for v in values]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption class='rl-cap'>{html.escape(caption)}</caption>" if caption else ""
    return (
        f"<table class='rl'>{cap}<thead><tr>{head}</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


class Report:
    """An ordered list of report items; each adder returns ``self`` so calls chain.

    Parameters
    ----------
    title : str
    subtitle : str, optional
    simulated : bool
        Show the "(simulated)" banner at the top (also switched on by :meth:`mark_simulated`).
    """

    def __init__(self, title: str, subtitle: str | None = None, *, simulated: bool = False):
        self.title = title
        self.subtitle = subtitle
        self.simulated = simulated
        self.items: list[Any] = []

    # ------------------------------------------------------------------ adders
    def heading(self, text: str, level: int = 2) -> Report:
        level = min(max(int(level), 2), 4)
        self.items.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def text(self, text: str) -> Report:
        """A paragraph of plain text (escaped); ``**bold**`` and ``\\`code\\``` are kept."""
        t = html.escape(text)
        parts = t.split("**")
        t = "".join(f"<b>{p}</b>" if i % 2 else p for i, p in enumerate(parts))
        parts = t.split("`")
        t = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
        self.items.append(f"<p>{t}</p>")
        return self

    def table(self, df: pd.DataFrame, *, digits: int = 3, caption: str | None = None) -> Report:
        self.items.append(table_html(df, digits=digits, caption=caption))
        return self

    def kv(self, pairs: Mapping[str, Any], *, digits: int = 4) -> Report:
        """A two-column table of labels and values."""
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v, digits))}</td></tr>"
            for k, v in pairs.items()
        )
        self.items.append(f"<table class='rl rl-kv'><tbody>{rows}</tbody></table>")
        return self

    def code(self, text: str) -> Report:
        self.items.append(f"<pre class='rl'>{html.escape(text)}</pre>")
        return self

    def chart(self, chart, caption: str | None = None) -> Report:
        """An Altair chart (embedded as a Vega-Lite spec, rendered offline in the browser)."""
        self.items.append(chart)
        if caption:
            self.items.append(f"<p class='rl-cap'>{html.escape(caption)}</p>")
        return self

    def mark_simulated(self, simulated: bool = True) -> Report:
        self.simulated = self.simulated or bool(simulated)
        return self

    # ------------------------------------------------------------------ output
    def _head(self) -> str:
        out = f"<h1>{html.escape(self.title)}</h1>"
        if self.subtitle:
            out += f"<p class='rl-sub'>{html.escape(self.subtitle)}</p>"
        if self.simulated:
            out += f"<p class='rl-sim'>{SIMULATED_BANNER}</p>"
        return out

    def body_html(self) -> str:
        """The report's HTML items without charts (for tests and previews)."""
        return self._head() + "\n".join(i for i in self.items if isinstance(i, str))

    @property
    def n_charts(self) -> int:
        return sum(not isinstance(i, str) for i in self.items)

    def to_html(self) -> str:
        """The whole page: one self-contained HTML string (Vega JavaScript inlined once)."""
        from .charts_export import charts_page

        return charts_page([self._head(), *self.items], title=self.title, css=_CSS)


def write_report(report: Report | str, path: str | os.PathLike) -> Path:
    """Write a report (or an HTML string) to ``path`` (folders created; atomic rename)."""
    text = report.to_html() if isinstance(report, Report) else str(report)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)
    return p


__all__ = ["SIMULATED_BANNER", "Report", "table_html", "write_report"]
