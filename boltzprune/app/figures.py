"""What every report's figures share: criterion labels and colours, a readable text style,
a layout check stored in every saved PNG, and figures built on matplotlib's object API
(``matplotlib.figure.Figure``), so that drawing never switches the process's plotting
backend or touches pyplot's global state (rcParams included).

Figures are laid out for the page that shows them: report.html shows a figure at up to
about 1,230 px wide at a 1280-px window, so a figure is at most ``MAX_WIDTH_IN`` inches
wide at the default 110 dpi and its text is at least 9 pt (about 14 px) tall there.

Every PNG written by ``save_figure`` carries the result of ``layout_check`` in a tEXt chunk
under the key ``LAYOUT_KEY`` (JSON), so a test can read it back from the embedded image of a
rendered page and scale it by the image's on-screen size.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, NullLocator
from matplotlib.transforms import Bbox

from boltzprune.io import atomic_write_bytes

__all__ = ["CRITERION_LABELS", "COLORS", "LAYOUT_KEY", "MAX_WIDTH_IN", "STYLE", "label",
           "color", "md_label", "new_figure", "save_figure", "layout_check",
           "read_layout", "legend_below", "legend_axes", "count_ticks"]

CRITERION_LABELS = {"variance": "variance FI", "heuristic": "heuristic FI",
                    "eigenvector": "first eigenvector", "abs_w": "|w|", "random": "random",
                    "anti_fi": "anti-FI"}
COLORS = {"variance": "tab:blue", "heuristic": "tab:cyan", "eigenvector": "tab:purple",
          "abs_w": "tab:orange", "random": "tab:gray", "anti_fi": "tab:red"}

# The PNG tEXt key holding ``layout_check``'s JSON.
LAYOUT_KEY = "boltzprune-layout"
# The widest figure (inches) shown at natural size in report.html at a 1280-px window
# (110 dpi: 1,210 px, within the ~1,230 px a figure may take there).
MAX_WIDTH_IN = 11.0
# Font sizes (points) by the role of the text; at 110 dpi 9 pt is 13.75 px. Applied to
# every figure made by ``new_figure`` when it is saved: a text of that role smaller than
# this is raised to it, a larger one is kept.
STYLE = {"tick": 9.0, "axis_label": 10.0, "title": 10.5, "legend": 9.0, "suptitle": 12.0}


def label(c: str) -> str:
    """A criterion's label for figures and reports (custom criteria keep their name)."""
    return CRITERION_LABELS.get(c, c)


def md_label(c: str) -> str:
    """A criterion's label, safe inside a Markdown table ("|w|" -> "\\|w\\|")."""
    return label(c).replace("|", "\\|")


def color(c: str) -> str | None:
    return COLORS.get(c)


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure independent of pyplot (no backend switch, nothing to close), marked for
    the shared readable style (``STYLE``), which ``save_figure`` applies: figure code need
    not pass font sizes."""
    fig = Figure(figsize=figsize)
    fig._boltzprune_style = dict(STYLE)  # type: ignore[attr-defined]
    return fig


def _ncol(fig: Figure, labels: list[str], width_frac: float = 1.0) -> int:
    """How many legend columns of ``labels`` fit across ``width_frac`` of the figure."""
    avail_pt = fig.get_figwidth() * 72 * width_frac
    per_pt = (max(len(s) for s in labels) * 0.6 + 4.5) * STYLE["legend"]
    return max(1, min(len(labels), int(avail_pt // per_pt)))


def _handles(fig: Figure, axes: list[Axes] | None = None) -> tuple[list, list[str]]:
    seen: dict[str, Any] = {}
    for ax in axes if axes is not None else fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen)


def legend_below(fig: Figure, handles: list | None = None, labels: list[str] | None = None,
                 *, ncol: int | None = None) -> Legend | None:
    """One figure-level legend in its own band under everything drawn so far (axes, tick
    labels, axis labels), so it covers no data at any run size. ``handles`` / ``labels``
    default to every axes' labelled artists, each label once. Call after the layout is
    set (``tight_layout``); ``save_figure``'s tight bounding box keeps it in the picture.
    Returns None when there is nothing to show."""
    if handles is None:
        handles, labels = _handles(fig)
    if not handles:
        return None
    labels = list(labels if labels is not None else [h.get_label() for h in handles])
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    inv = fig.transFigure.inverted()
    bottom = min((inv.transform((0, ax.get_tightbbox(renderer).y0))[1]
                  for ax in fig.axes if ax.get_visible()), default=0.0)
    return fig.legend(handles, labels, loc="upper center",
                      ncol=ncol or _ncol(fig, labels), frameon=False,
                      bbox_to_anchor=(0.5, bottom - 0.005), bbox_transform=fig.transFigure)


def legend_axes(ax: Axes, handles: list, labels: list[str] | None = None, *,
                ncol: int | None = None) -> Legend:
    """Turn ``ax`` (a slot of the figure's grid kept for it) into a legend and nothing
    else: no frame, no ticks, the entries in as many columns as fit its width."""
    labels = list(labels if labels is not None else [h.get_label() for h in handles])
    ax.set_axis_off()
    frac = ax.get_position().width
    return ax.legend(handles, labels, loc="center", frameon=False,
                     ncol=ncol or _ncol(ax.figure, labels, frac))


def _compact(v: float) -> str:
    """1234 -> '1.23k', 270400 -> '270k', 1.5e6 -> '1.5M'."""
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.3g}{unit}"
    return f"{v:.3g}"


def count_ticks(ax: Axes, values, axis: str = "x", max_ticks: int = 6) -> None:
    """Labelled ticks for a log axis of counts (weights left) at any run size: the round
    values 1, 2, 5 x 10^k inside the data's range when at least three fall in it, else up
    to ``max_ticks`` of the data's own distinct values (a small run spans less than a
    decade). Labels are compact ('300k', '1.2M'); minor ticks are off."""
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 0], float)
    if len(v) == 0:
        return
    lo, hi = v.min(), v.max()
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    round_ = [m * 10.0 ** k for k in decades for m in (1, 2, 5) if lo <= m * 10.0 ** k <= hi]
    if len(round_) >= 3:
        ticks = round_
        if len(ticks) > max_ticks:
            ticks = [m * 10.0 ** k for k in decades for m in (1,) if lo <= 10.0 ** k <= hi]
            if len(ticks) < 3:
                ticks = round_[::int(np.ceil(len(round_) / max_ticks))]
    else:
        # the data's values, largest first, each at least 1/(max_ticks + 1) of the range
        # (in log) from the last one kept, so that labels never run into each other
        distinct = np.unique(np.round(v, -max(0, int(np.log10(hi)) - 2)))[::-1]
        gap = np.log10(distinct[0] / distinct[-1]) / (max_ticks + 1)
        ticks = [distinct[0]]
        for t in distinct[1:]:
            if np.log10(ticks[-1] / t) >= gap and (t == distinct[-1] or np.log10(
                    t / distinct[-1]) >= gap):
                ticks.append(t)
        if len(distinct) > 1 and ticks[-1] != distinct[-1]:
            ticks.append(distinct[-1])
        ticks = sorted(ticks)
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    set_ticks(ticks, [_compact(t) for t in ticks])
    (ax.xaxis if axis == "x" else ax.yaxis).set_minor_locator(NullLocator())


# ---------------------------------------------------------------------------------------
# Style and layout check


def _tick_labels(ax: Axes, axes: tuple | None = None) -> Iterator[tuple[Text, str]]:
    """The tick labels of ``ax`` (of its x and y axis, or of ``axes``) at a tick inside
    the view interval."""
    for axis in axes or (ax.xaxis, ax.yaxis):
        lo, hi = sorted(axis.get_view_interval())
        span = (hi - lo) * 1e-9
        for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
            loc = tick.get_loc()
            if loc is None or not lo - span <= loc <= hi + span:
                continue
            for t in (tick.label1, tick.label2):
                yield t, "tick"


def _role_texts(fig: Figure) -> Iterator[tuple[Text, str]]:
    """Every text of the figure with its role: tick, axis_label, title, legend, suptitle or
    other (annotations, free text)."""
    seen: set[int] = set()

    def once(items):
        for t, role in items:
            if id(t) not in seen:
                seen.add(id(t))
                yield t, role

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        yield from once(_tick_labels(ax))
        yield from once((a.label, "axis_label") for a in (ax.xaxis, ax.yaxis))
        yield from once((a.offsetText, "tick") for a in (ax.xaxis, ax.yaxis))
        yield from once((t, "title") for t in (ax.title, ax._left_title, ax._right_title))
        yield from once((t, "other") for t in ax.texts)
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_visible())]
    for lg in legends:
        if lg is not None and lg.get_visible():
            yield from once((t, "legend") for t in (*lg.get_texts(), lg.get_title()))
    for name, role in (("_suptitle", "suptitle"), ("_supxlabel", "axis_label"),
                       ("_supylabel", "axis_label")):
        t = getattr(fig, name, None)
        if t is not None:
            yield from once([(t, role)])
    yield from once((t, "other") for t in fig.texts)


def _visible_text(t: Text) -> bool:
    return t.get_visible() and bool(t.get_text().strip())


def _apply_style(fig: Figure, style: dict[str, float]) -> None:
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None:
        suptitle.set_wrap(True)  # a long title wraps at the figure's width
    for t, role in _role_texts(fig):
        size = style.get(role)
        if size is not None and _visible_text(t) and t.get_fontsize() < size:
            t.set_fontsize(size)


def _extent(a, renderer) -> Bbox | None:
    try:
        b = a.get_window_extent(renderer)
    except (TypeError, ValueError, RuntimeError):  # pragma: no cover - odd artists
        return None
    if b is None or not np.all(np.isfinite(b.get_points())) or (b.width == 0 and
                                                                b.height == 0):
        return None
    return b


def _path_hits(path, transform, box: Bbox, filled: bool) -> bool:
    p = transform.transform_path(path).cleaned(remove_nans=True)
    if len(p.vertices) == 0:
        return False
    if len(p.vertices) == 1 or (p.codes is not None and len(set(p.codes.tolist())) == 1):
        pts = p.vertices
        return bool(np.any((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
                           & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1)))
    return bool(p.intersects_bbox(box, filled=filled))


def _artist_name(a) -> str:
    lab = a.get_label() if hasattr(a, "get_label") else ""
    name = type(a).__name__
    return f"{name} '{lab}'" if lab and not str(lab).startswith("_") else name


def _data_hits(ax: Axes, box: Bbox, px_per_pt: float) -> Iterator[str]:
    """The plotted artists of ``ax`` that reach into ``box`` (display coordinates)."""
    for line in ax.lines:
        if not line.get_visible():
            continue
        pad = line.get_linewidth() / 2 * px_per_pt
        path, tr = line.get_path(), line.get_transform()
        if line.get_linestyle() not in ("None", "none", "", " ") and line.get_linewidth() > 0:
            if _path_hits(path, tr, box.expanded(1, 1).padded(pad), filled=False):
                yield _artist_name(line)
                continue
        if line.get_marker() not in (None, "None", "none", "", " "):
            r = line.get_markersize() / 2 * px_per_pt
            pts = tr.transform(np.column_stack([line.get_xdata(orig=False),
                                                line.get_ydata(orig=False)]).astype(float))
            pts = pts[np.all(np.isfinite(pts), axis=1)]
            if np.any((pts[:, 0] >= box.x0 - r) & (pts[:, 0] <= box.x1 + r)
                      & (pts[:, 1] >= box.y0 - r) & (pts[:, 1] <= box.y1 + r)):
                yield _artist_name(line)
    for patch in ax.patches:
        if patch.get_visible() and _path_hits(patch.get_path(), patch.get_transform(), box,
                                              filled=True):
            yield _artist_name(patch)
    for coll in ax.collections:
        if not coll.get_visible():
            continue
        if _collection_hits(coll, box, px_per_pt):
            yield _artist_name(coll)
    for im in ax.images:
        if isinstance(im, AxesImage) and im.get_visible():
            b = _extent(im, None)
            if b is not None and b.overlaps(box):
                yield _artist_name(im)


def _collection_hits(coll: Collection, box: Bbox, px_per_pt: float) -> bool:
    if isinstance(coll, PathCollection):  # scatter: markers at offsets
        pts = coll.get_offset_transform().transform(np.asarray(coll.get_offsets(), float))
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        sizes = coll.get_sizes()
        r = np.sqrt(sizes.max() if len(sizes) else 36.0) / 2 * px_per_pt
        return bool(np.any((pts[:, 0] >= box.x0 - r) & (pts[:, 0] <= box.x1 + r)
                           & (pts[:, 1] >= box.y0 - r) & (pts[:, 1] <= box.y1 + r)))
    lws = coll.get_linewidths()
    pad = (max(lws) if len(lws) else 1.0) / 2 * px_per_pt
    filled = not isinstance(coll, LineCollection) and len(coll.get_facecolors()) > 0
    tr = coll.get_transform()
    return any(_path_hits(p, tr, box.padded(pad), filled=filled) for p in coll.get_paths())


def _legend_box(lg: Legend, renderer) -> Bbox | None:
    frame = lg.get_frame()
    if lg.get_frame_on() and frame.get_visible():
        return _extent(frame, renderer)
    return _extent(lg, renderer)


def _name_axes(ax: Axes, i: int) -> str:
    title = ax.get_title() or ax.get_title("left") or ax.get_ylabel()
    return f"axes {i}" + (f" '{title}'" if title else "")


def layout_check(fig: Figure, dpi: float = 110) -> dict[str, Any]:
    """The figure's layout as saved at ``dpi`` with a tight bounding box:

    - ``min_font_px``: the smallest font size of any visible, non-empty text (tick labels,
      axis labels, titles, legend texts, annotations, suptitle) in pixels of the PNG,
      points x dpi / 72. A text's height is its font's em size (the nominal size: a
      capital letter is about 0.73 em, a line of text about 1.2 em).
    - ``min_font_text``: that text (for messages).
    - ``legend_overlaps``: one entry per (legend, plotted artist) whose legend box (its
      frame, or its contents when it has none) meets the artist inside an axes, in display
      coordinates: lines (paths and markers, widened by half the line / marker size),
      patches (bars), collections (fill_between, errorbar bars, scatter markers) and
      images. Every legend (of the figure or of an axes) is checked against every axes.
    - ``sparse_ticks``: the axes (and which axis) whose ticks show exactly one label, as a
      log axis spanning less than a decade does (one fixed tick on a linear axis, e.g. a
      single bar's category, is not counted).
    - ``width_px`` / ``height_px``: the PNG's size.

    The figure is laid out (drawn without rendering) at ``dpi``; it is left at that dpi.
    """
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)  # the PNG canvas; attaching it switches no backend
    fig.set_dpi(dpi)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    px_per_pt = dpi / 72.0
    sizes = [(t.get_fontsize() * px_per_pt, t.get_text().strip())
             for t, _ in _role_texts(fig) if _visible_text(t)]
    smallest = min(sizes, default=(0.0, ""), key=lambda s: s[0])
    overlaps = []
    checks: list[tuple[Legend, str, list[tuple[int, Axes]]]] = []
    axes = [(i, ax) for i, ax in enumerate(fig.axes) if ax.get_visible()]
    for k, lg in enumerate(fig.legends):
        checks.append((lg, f"figure legend {k}", axes))
    for i, ax in axes:
        lg = ax.get_legend()
        if lg is not None:
            checks.append((lg, f"legend of {_name_axes(ax, i)}", axes))
    for lg, lg_name, targets in checks:
        if not lg.get_visible():
            continue
        box = _legend_box(lg, renderer)
        if box is None:
            continue
        for i, ax in targets:
            inside = Bbox.intersection(box, ax.bbox)
            if inside is None or inside.width <= 0 or inside.height <= 0:
                continue
            for hit in dict.fromkeys(_data_hits(ax, inside, px_per_pt)):
                overlaps.append({"legend": lg_name, "axes": _name_axes(ax, i),
                                 "artist": hit})
    sparse = []
    for i, ax in axes:
        if not ax.axison:
            continue
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            shown = [t for t, _ in _tick_labels(ax, (axis,)) if _visible_text(t)]
            loc = axis.get_major_locator()
            one_category = (isinstance(loc, FixedLocator) and len(loc.locs) == 1
                            and axis.get_scale() == "linear")
            if len(shown) == 1 and not one_category:
                sparse.append(f"{_name_axes(ax, i)}: {name} axis has one labelled tick "
                              f"({shown[0].get_text()!r})")
    tight = fig.get_tightbbox(renderer).padded(0.1)
    return {"min_font_px": round(smallest[0], 2), "min_font_text": smallest[1][:60],
            "legend_overlaps": overlaps, "sparse_ticks": sparse, "width_px": int(tight.width * dpi),
            "height_px": int(tight.height * dpi), "dpi": dpi}


def read_layout(png: bytes | str | Path) -> dict[str, Any] | None:
    """``layout_check``'s result stored in a PNG written by ``save_figure`` (bytes or a
    path), or None when the PNG has none."""
    from PIL import Image

    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    with Image.open(io.BytesIO(data)) as im:
        text = im.info.get(LAYOUT_KEY)
    return json.loads(text) if text else None


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> None:
    """Write ``fig`` as PNG to ``path`` atomically, with the shared style applied (figures
    from ``new_figure``) and ``layout_check``'s result as JSON in a tEXt chunk
    (``LAYOUT_KEY``). The bytes depend only on the figure (no dates)."""
    style = getattr(fig, "_boltzprune_style", None)
    if style:
        fig.set_dpi(dpi)
        fig.draw_without_rendering()  # makes the ticks the axes will draw
        _apply_style(fig, style)
    layout = layout_check(fig, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight",
                metadata={LAYOUT_KEY: json.dumps(layout, sort_keys=True)})
    atomic_write_bytes(path, buf.getvalue())

