"""The self-contained HTML report: escaping, tables, charts inlined, the simulated banner."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from routerlab.report import SIMULATED_BANNER, Report, table_html, write_report


def test_table_html_escapes_and_formats():
    df = pd.DataFrame({"apgr": [0.7123, np.nan], "n": [3, 4]}, index=["<knn>", "random"])
    out = table_html(df, digits=2, caption="a & b")
    assert "&lt;knn&gt;" in out and "<knn>" not in out
    assert "0.71" in out and "–" in out and "a &amp; b" in out
    assert "<td>3</td>" in out  # integer columns stay integers next to float ones


def test_report_html_is_offline_and_labelled(tmp_path):
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_point().encode(x="x", y="y")
    r = Report("T <1>", "sub", simulated=False)
    r.heading("Part").text("keep **95%** of `frontier`").chart(chart, caption="cap").kv({"a": 1.5})
    assert SIMULATED_BANNER not in r.body_html()
    r.mark_simulated()
    page = r.to_html()
    assert SIMULATED_BANNER in page and "T &lt;1&gt;" in page
    assert "<b>95%</b>" in page and "<code>frontier</code>" in page
    assert r.n_charts == 1 and page.count("vegaEmbed('#rl-chart-") == 1
    assert "cdn.jsdelivr" not in page.split("<body>")[1]  # the JavaScript is inline, no CDN
    p = write_report(r, tmp_path / "sub" / "report.html")
    assert p.read_text(encoding="utf-8") == page
    assert not list((tmp_path / "sub").glob(".*tmp"))
