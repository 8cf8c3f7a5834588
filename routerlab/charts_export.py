"""Chart I/O and notebook set-up: offline rendering, PNG/SVG/HTML export (through vl-convert).

The builders in :mod:`routerlab.charts` are pure; everything that writes a file or changes Altair's
global configuration lives here.

Examples
--------
>>> from routerlab.charts_export import enable_offline, save_chart   # doctest: +SKIP
>>> enable_offline()               # once, in a notebook's set-up cell
>>> save_chart(chart, "plane.png")  # offline, via vl-convert
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import RouterlabError

#: Embed options used everywhere: the SVG renderer keeps charts checkable as text (tests, browser).
EMBED_OPTIONS = {"renderer": "svg", "actions": False}
_FORMATS = ("png", "svg", "html", "json", "pdf")


def _offline_bundle_path() -> Path:
    import altair as alt
    import vl_convert

    from .config import cache_dir

    src = Path(alt.__file__).parent / "jupyter" / "js" / "index.js"
    h = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
    return (
        cache_dir()
        / "altair"
        / f"jupyterchart-{alt.__version__}-vlc{vl_convert.__version__}-{h}.js"
    )


def enable_offline(renderer: str = "jupyter") -> None:
    """Make Altair charts render offline in JupyterLab 4 and Notebook 7 (no CDN).

    Altair 6 loads Vega from a CDN by default, and JupyterLab 4.6 has no renderer for its mimetype.
    This inlines the JavaScript (from ``vl-convert``) into ``alt.JupyterChart`` — the ~0.9 MB bundle
    is built once (about 5 s) and kept in the routerlab cache folder, so later kernels start in
    milliseconds — and renders every displayed chart through it with the SVG renderer (so charts can
    be checked as text). Call it once in a notebook's set-up cell; calling it again is cheap.

    Parameters
    ----------
    renderer : {"jupyter", "html"}
        ``"jupyter"`` (default) displays charts as ``alt.JupyterChart`` widgets (parameters and
        selections sync with Python); ``"html"`` inlines the JavaScript into each chart's HTML
        output (no widget manager needed, e.g. for static HTML exports of a notebook).
    """
    import altair as alt

    if renderer == "html":
        alt.renderers.enable("html", template="inline", embed_options=EMBED_OPTIONS)
        return
    if renderer != "jupyter":
        raise RouterlabError(f"renderer must be 'jupyter' or 'html', got {renderer!r}")
    jc = alt.JupyterChart
    if not getattr(jc, "_is_offline", False):
        path = _offline_bundle_path()
        try:
            bundle = path.read_text(encoding="utf-8")
        except OSError:
            bundle = None
        if bundle:
            # Same result as JupyterChart.enable_offline(), read from the cache.
            jc._esm = bundle
            jc._is_offline = True
        else:
            jc.enable_offline()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(jc._esm, encoding="utf-8")
                tmp.replace(path)
            except OSError:
                pass  # a read-only cache only costs the rebuild next time
    alt.renderers.enable("jupyter", offline=True, embed_options=EMBED_OPTIONS)


def save_chart(chart, path: str | os.PathLike, *, scale: float = 2.0) -> Path:
    """Write a chart to PNG, SVG, PDF, HTML (self-contained, JavaScript inlined) or JSON, offline.

    The format comes from the file suffix. Uses vl-convert: no browser, no network.

    Parameters
    ----------
    chart : alt.Chart (any top-level chart)
    path : str or Path
        ``.png``, ``.svg``, ``.pdf``, ``.html`` or ``.json``.
    scale : float
        Pixel scale for PNG.

    Returns
    -------
    Path
        The written file.
    """
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise RouterlabError(
            f"cannot save a chart as {p.suffix or 'a file without suffix'!r}: use one of "
            + ", ".join("." + f for f in _FORMATS)
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        p.write_text(chart_html(chart), encoding="utf-8")
    elif fmt == "png":
        chart.save(str(p), format="png", scale_factor=scale)
    else:
        chart.save(str(p), format=fmt)
    return p


def _vega_bundle() -> str:
    """The vega + vega-lite + vega-embed JavaScript from vl-convert (cached on disk and in memory)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    from .config import cache_dir

    ver = vl_version_for_vl_convert()
    key = (vlc.__version__, ver)
    if key in _BUNDLES:
        return _BUNDLES[key]
    path = cache_dir() / "altair" / f"vega-embed-vlc{vlc.__version__}-{ver}.js"
    try:
        bundle = path.read_text(encoding="utf-8")
    except OSError:
        bundle = vlc.javascript_bundle(vl_version=ver)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(bundle, encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass
    _BUNDLES[key] = bundle
    return bundle


_BUNDLES: dict[tuple[str, str], str] = {}


def chart_html(chart) -> str:
    """A self-contained HTML page showing one chart (Vega JavaScript inlined; readable offline)."""
    return charts_page([chart])


def charts_page(items, title: str = "routerlab report", *, css: str = "") -> str:
    """One self-contained HTML page with several charts and HTML snippets, readable offline.

    The Vega/Vega-Lite/vega-embed JavaScript (~0.9 MB, from vl-convert) is inlined once for the whole
    page, so a report with many charts stays small and opens without Jupyter or network.

    Parameters
    ----------
    items : list of (alt chart | str)
        Charts are embedded (SVG renderer); strings are inserted as raw HTML (escape user text
        yourself, e.g. with :func:`html.escape`).
    title : str
        The page title (escaped).
    css : str
        Extra CSS for the page.

    Examples
    --------
    >>> page = charts_page(["<h1>Report</h1>", chart])   # doctest: +SKIP
    >>> Path("report.html").write_text(page)             # doctest: +SKIP
    """
    import html as _html
    import json

    bundle = _vega_bundle()
    body, embeds = [], []
    for i, item in enumerate(items):
        if isinstance(item, str):
            body.append(item)
            continue
        div = f"rl-chart-{i}"
        body.append(f'<div class="rl-chart" id="{div}"></div>')
        spec = json.dumps(item.to_dict()).replace("</", "<\\/")
        embeds.append(
            f"vegaEmbed('#{div}', {spec}, {json.dumps(EMBED_OPTIONS)}).catch(console.error);"
        )
    safe_bundle = bundle.replace("</script", "<\\/script")
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8">\n'
        f"<title>{_html.escape(title)}</title>\n"
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}"
        f".rl-chart{{margin:1em 0}}{css}</style>\n"
        f'<script type="text/javascript">\n{safe_bundle}\n</script>\n</head>\n<body>\n'
        + "\n".join(body)
        + '\n<script type="text/javascript">\n'
        + "\n".join(embeds)
        + "\n</script>\n</body>\n</html>\n"
    )


__all__ = ["EMBED_OPTIONS", "chart_html", "charts_page", "enable_offline", "save_chart"]
