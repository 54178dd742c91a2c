"""Self-contained HTML reports: one file, figures embedded as data URIs, inline CSS, no script.

A page never asks for anything over the network: every image is read from disk and embedded
as a ``data:`` URI, the style sheet is inline, fonts are the reader's system fonts, and an
image given by URL is replaced by visible placeholder text rather than fetched.

Building blocks, each returning an HTML fragment with every piece of text escaped:

- ``table_html(rows, columns)``: a table (numeric columns right-aligned),
- ``figure_html(path, caption)``: an embedded image with its caption,
- ``markdown_html(text, base_dir)``: Markdown with tables, images relative to ``base_dir``
  embedded,
- ``config_html(cfg)`` / ``versions_html(versions)``: nested settings as a two-column table,
- ``json_html(obj)``, ``csv_html(path)``, ``details_html(summary, body)``;

and two for whole pages:

- ``render_html(title, sections)``: a page with a contents list, one ``Section`` each,
- ``html_document(title, body_html)``: a page around any body.

``write_run_html(run_dir)`` writes ``report.html`` for a finished RBM or DBM run directory
(its report.md, configuration, data, versions, CSV outputs and files), e.g. for a sweep::

    sections = [Section("Runs", table_html(rows, ["run", "criterion", "units"])),
                Section("Figure", figure_html(png, "Units left per criterion"))]
    atomic_write_text(out / "sweep.html", render_html("Sweep", sections))
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boltzprune._validate import BoltzpruneError
from boltzprune.io import atomic_write_text, read_bytes, read_json

__all__ = ["Section", "render_html", "html_document", "table_html", "figure_html",
           "image_data_uri", "markdown_html", "config_html", "versions_html", "json_html",
           "csv_html", "details_html", "write_run_html", "RUN_REQUIRED_FILES"]

# Files every finished run directory holds (RBM and DBM experiments alike); report.md is
# written last, so its presence marks a run that got to the end.
RUN_REQUIRED_FILES = ("report.md", "config.json", "versions.json", "metrics.csv")

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
         ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
_NUM = ' class="num"'
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.I)

_CSS = """
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6474; --line: #d9dee7;
  --band: #f4f6fa; --accent: #2b4c7e; --accent-soft: #e8eef8; --warn: #9a3412; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.55;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
  "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
header.page { background: var(--accent); color: #fff; padding: 1.6rem 1.2rem 1.3rem; }
header.page h1 { margin: 0 auto; max-width: 68rem; font-size: 1.7rem; line-height: 1.25;
  font-weight: 650; }
header.page p { margin: .45rem auto 0; max-width: 68rem; color: #dbe4f3; font-size: .92rem; }
main { max-width: 68rem; margin: 0 auto; padding: 0 1.2rem 3rem; }
nav.toc { margin: 1.4rem 0 .5rem; padding: .8rem 1.1rem; background: var(--band);
  border: 1px solid var(--line); border-radius: 8px; font-size: .93rem; }
nav.toc strong { display: block; margin-bottom: .3rem; }
nav.toc ol { margin: 0; padding-left: 1.3rem; columns: 2 18rem; column-gap: 2rem; }
nav.toc ol ol { columns: auto; padding-left: 1.1rem; }
nav.toc li { break-inside: avoid; }
a { color: var(--accent); }
section.block { margin-top: 2.2rem; }
h2.section { font-size: 1.45rem; margin: 0 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--accent); }
.md h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; padding-bottom: .2rem;
  border-bottom: 1px solid var(--line); }
.md h3 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
.md h4, .md h5, .md h6 { font-size: 1rem; margin: 1.3rem 0 .4rem; }
p, ul, ol { margin: .55rem 0; }
li { margin: .15rem 0; }
code { font: .88em/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas,
  monospace; background: var(--band); border: 1px solid var(--line); border-radius: 4px;
  padding: .05em .3em; }
pre { font: .82rem/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: var(--band); border: 1px solid var(--line); border-radius: 6px;
  padding: .8rem 1rem; overflow: auto; max-height: 40rem; white-space: pre; }
pre code { background: none; border: 0; padding: 0; font-size: inherit; }
blockquote { margin: .8rem 0; padding: .2rem 1rem; border-left: 4px solid var(--line);
  color: var(--muted); }
.table-wrap { overflow-x: auto; margin: .8rem 0 1.1rem; border: 1px solid var(--line);
  border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem;
  font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; padding: .5rem .75rem; color: var(--muted);
  font-size: .86rem; }
th, td { padding: .38rem .75rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { background: var(--accent-soft); font-weight: 600; white-space: nowrap;
  border-bottom: 2px solid #b8c4d8; }
tbody tr:nth-child(even) { background: #fafbfd; }
tbody tr:hover { background: #f0f4fa; }
tbody tr:last-child td, tbody tr:last-child th { border-bottom: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.kv th, table.kv td { padding-top: .25rem; padding-bottom: .25rem; }
table.kv th { width: 38%; font-weight: 500; white-space: normal; word-break: break-word; }
table.kv td { word-break: break-word; }
table.kv th code, table.kv td code { background: none; border: 0; padding: 0; }
/* Figures may be wider than the text column: up to the window less a margin (1,232 px
   at a 1280-px window), centred on the column, so a figure made for that width (at most
   11 in at 110 dpi) is shown at its natural size and its text stays legible. */
figure { margin: 1.2rem 0 1.6rem; text-align: center; position: relative; left: 50%;
  width: max(100%, min(100vw - 3rem, 80rem)); transform: translateX(-50%); }
figure img, .md img { max-width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
figure figcaption { max-width: 68rem; margin-left: auto; margin-right: auto; }
figcaption { margin-top: .4rem; color: var(--muted); font-size: .9rem; }
.missing { display: inline-block; padding: .6rem 1rem; border: 2px dashed var(--warn);
  border-radius: 6px; color: var(--warn); background: #fff7ed; font-weight: 600; }
details { margin: .8rem 0 1.1rem; border: 1px solid var(--line); border-radius: 6px;
  background: #fff; }
details > summary { cursor: pointer; padding: .55rem .85rem; background: var(--band);
  border-radius: 6px; font-weight: 600; }
details[open] > summary { border-bottom: 1px solid var(--line);
  border-radius: 6px 6px 0 0; }
details > .details-body { padding: .3rem .85rem .6rem; }
details .table-wrap { max-height: 36rem; overflow: auto; }
details thead th { position: sticky; top: 0; }
.note { color: var(--muted); font-size: .88rem; }
footer.page { max-width: 68rem; margin: 0 auto; padding: 1rem 1.2rem 2rem;
  color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
@media (max-width: 640px) {
  body { font-size: 15px; }
  header.page h1 { font-size: 1.35rem; }
  th, td { padding: .3rem .5rem; }
  nav.toc ol { columns: 1; }
}
@media print {
  body { font-size: 10.5pt; }
  header.page { background: none; color: #000; padding: 0 0 .6rem;
    border-bottom: 2px solid #000; }
  header.page p { color: #333; }
  nav.toc { display: none; }
  main, footer.page { max-width: none; padding: 0; }
  figure { left: 0; width: auto; transform: none; }
  a { color: inherit; text-decoration: none; }
  figure, table, tr, img { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .table-wrap, details .table-wrap, pre { overflow: visible; max-height: none; border: 0; }
  details { border: 0; }
  details > summary { background: none; padding-left: 0; }
  details::details-content { content-visibility: visible; height: auto; }
  tbody tr:nth-child(even), tbody tr:hover { background: none; }
}
"""


# ---------------------------------------------------------------------------------------
# Fragments


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def _is_number(x: object) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return isinstance(x, str) and bool(_NUMBER.match(x.strip()))


def _cell_text(x: object, digits: int | None) -> str:
    """A cell's text: ``None`` empty, floats (and float-like strings when ``digits``) to
    ``digits`` significant digits."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x).lower()
    if digits is not None:
        if isinstance(x, float):
            return _fmt_float(x, digits)
        if isinstance(x, str) and _NUMBER.match(x.strip()) and not re.fullmatch(r"[+-]?\d+", x):
            return _fmt_float(float(x), digits)
    return str(x)


def _fmt_float(v: float, digits: int) -> str:
    if math.isnan(v) or math.isinf(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{v:.1f}"
    return f"{v:.{digits}g}"


def table_html(rows: Iterable[Sequence[Any] | Mapping[str, Any]], columns: Sequence[str], *,
               caption: str | None = None, max_rows: int | None = None,
               digits: int | None = 6, wrap: bool = True, css_class: str = "") -> str:
    """A table of ``rows`` (sequences in column order, or mappings keyed by column name).

    Every header and cell is escaped. A column whose non-empty cells are all numbers is
    right-aligned; floats (and float-like strings) are shown to ``digits`` significant digits
    (``None`` shows them as given). With ``max_rows`` only that many rows are shown, with a
    note saying how many were left out.
    """
    columns = [str(c) for c in columns]
    body: list[list[object]] = []
    n_total = 0
    for row in rows:
        n_total += 1
        if max_rows is not None and len(body) >= max_rows:
            continue
        if isinstance(row, Mapping):
            cells = [row.get(c) for c in columns]
        else:
            cells = list(row)
            if len(cells) != len(columns):
                raise ValueError(f"table row {n_total} has {len(cells)} cells, expected "
                                 f"{len(columns)} ({', '.join(columns)})")
        body.append(cells)
    numeric = [all(_is_number(r[j]) for r in body if r[j] not in (None, ""))
               and any(r[j] not in (None, "") for r in body) for j in range(len(columns))]
    out = [f'<table class="{_esc(css_class)}">' if css_class else "<table>"]
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{_NUM if numeric[j] else ""}>{_esc(c)}</th>'
        for j, c in enumerate(columns)) + "</tr></thead>")
    out.append("<tbody>")
    for r in body:
        out.append("<tr>" + "".join(
            f'<td{_NUM if numeric[j] else ""}>{_esc(_cell_text(x, digits))}</td>'
            for j, x in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    text = "".join(out)
    if wrap:
        text = f'<div class="table-wrap">{text}</div>'
    if max_rows is not None and n_total > len(body):
        text += (f'<p class="note">First {len(body):,} of {n_total:,} rows shown; '
                 f"{n_total - len(body):,} more not shown.</p>")
    return text


def image_data_uri(path: str | Path) -> str:
    """The file at ``path`` as a ``data:`` URI (PNG, JPEG, GIF, SVG or WebP by suffix)."""
    path = Path(path)
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise BoltzpruneError(f"{path}: not an image this report can embed "
                              f"(suffix {path.suffix or 'none'}; use {', '.join(_MIME)})")
    data = read_bytes(path, "image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _missing(what: str, block: bool) -> str:
    tag = "div" if block else "span"
    return f'<{tag} class="missing" role="img" aria-label="{_esc(what)}">[{_esc(what)}]</{tag}>'


def figure_html(path: str | Path, caption: str | None = None, *, alt: str | None = None,
                missing_ok: bool = True) -> str:
    """An image embedded as a data URI in a ``<figure>`` with an optional caption. A missing
    or unreadable file gives visible placeholder text (or, with ``missing_ok=False``, a
    BoltzpruneError)."""
    alt = alt if alt is not None else (caption or Path(path).name)
    try:
        img = f'<img src="{image_data_uri(path)}" alt="{_esc(alt)}">'
    except BoltzpruneError:
        if not missing_ok:
            raise
        img = _missing(f"missing figure: {Path(path).name}", block=True)
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{img}{cap}</figure>"


def details_html(summary: str, body_html: str, *, open: bool = False) -> str:
    """A collapsible block; ``summary`` is text (escaped), ``body_html`` HTML."""
    return (f"<details{' open' if open else ''}><summary>{_esc(summary)}</summary>"
            f'<div class="details-body">{body_html}</div></details>')


def json_html(obj: Any) -> str:
    """``obj`` as indented JSON in a ``<pre>`` block."""
    return f"<pre><code>{_esc(json.dumps(obj, indent=2, default=str))}</code></pre>"


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings and lists of mappings as (dotted key, leaf) pairs; lists of scalars
    stay one leaf."""
    if isinstance(obj, Mapping):
        if not obj:
            return [(prefix, {})] if prefix else []
        out: list[tuple[str, Any]] = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple))
                                              for v in obj):
        out = []
        for i, v in enumerate(obj):
            out += _flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, obj)]


def _leaf_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, default=str)


def config_html(cfg: Mapping[str, Any], *, caption: str | None = None) -> str:
    """A nested configuration as a two-column table of dotted keys
    (``sampling.thin``, ``schedule.pretrain[0].epochs``) and JSON values."""
    rows = [(f"<code>{_esc(k)}</code>", f"<code>{_esc(_leaf_text(v))}</code>")
            for k, v in _flatten(cfg)]
    return _kv_table(rows, ("setting", "value"), caption)


def versions_html(versions: Mapping[str, Any], *, caption: str | None = None) -> str:
    """Package and platform versions (any nesting) as a two-column table."""
    rows = [(_esc(k), f"<code>{_esc(_leaf_text(v))}</code>") for k, v in _flatten(versions)]
    return _kv_table(rows, ("component", "version"), caption)


def _kv_table(rows: Sequence[tuple[str, str]], header: tuple[str, str],
              caption: str | None) -> str:
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    body = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows)
    return (f'<div class="table-wrap"><table class="kv">{cap}<thead><tr>'
            f'<th scope="col">{_esc(header[0])}</th><th scope="col">{_esc(header[1])}</th>'
            f"</tr></thead><tbody>{body}</tbody></table></div>")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            columns = next(reader, [])
            rows = [r for r in reader if r]
    except FileNotFoundError:
        raise BoltzpruneError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise BoltzpruneError(f"{path}: not a readable CSV file ({e})") from None
    width = len(columns)
    rows = [(r + [""] * width)[:width] for r in rows]
    return columns, rows


def csv_html(path: str | Path, *, max_rows: int | None = 1000, collapsed: bool | None = None,
             inline_rows: int = 40, link: str | None = None) -> str:
    """A CSV file as a table. Files longer than ``inline_rows`` rows (or any with
    ``collapsed=True``) go in a collapsible block; at most ``max_rows`` rows are shown.
    ``link`` is a relative href to the file, shown beside its name."""
    path = Path(path)
    columns, rows = _read_csv(path)
    table = table_html(rows, columns, max_rows=max_rows)
    name = f'<a href="{_esc(link)}">{_esc(path.name)}</a>' if link else _esc(path.name)
    dims = f"{len(rows):,} rows × {len(columns)} columns"
    if collapsed is None:
        collapsed = len(rows) > inline_rows
    if collapsed:
        return (f'<details><summary>{_esc(path.name)}: {dims} (click to show)</summary>'
                f'<div class="details-body"><p class="note">File: {name}. Numbers rounded to '
                f"6 significant digits; full precision in the file.</p>{table}</div></details>")
    return (f'<p class="note">File: {name}, {dims}; numbers rounded to 6 significant '
            f"digits.</p>{table}")


# ---------------------------------------------------------------------------------------
# Markdown


def _markdown_parser():
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - a declared dependency
        raise BoltzpruneError("HTML reports need markdown-it-py: pip install "
                              "'markdown-it-py>=3'") from None

    # Raw HTML in the Markdown is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _image_html(src: str, alt: str, base_dir: Path | None, block: bool,
                images: list[Path] | None) -> str:
    if src.startswith("data:image/"):
        uri = src
    elif _SCHEME.match(src) or src.startswith("//"):
        return _missing(f"external image not embedded: {src}", block)
    else:
        if base_dir is None:
            return _missing(f"missing figure: {src}", block)
        base = base_dir.resolve()
        path = (base / src).resolve()
        if base != path and base not in path.parents:
            return _missing(f"image outside the report folder not embedded: {src}", block)
        try:
            uri = image_data_uri(path)
        except BoltzpruneError:
            return _missing(f"missing figure: {src}", block)
        if images is not None:
            images.append(path)
    img = f'<img src="{_esc(uri)}" alt="{_esc(alt)}">'
    if block:
        cap = f"<figcaption>{_esc(alt)}</figcaption>" if alt else ""
        return f"<figure>{img}{cap}</figure>"
    return img


def markdown_html(text: str, base_dir: str | Path | None = None, *,
                  headings: list[tuple[int, str, str]] | None = None,
                  images: list[Path] | None = None) -> str:
    """Markdown (CommonMark with GitHub tables) as HTML.

    Images are embedded as data URIs, read relative to ``base_dir`` (and only from inside
    it); a paragraph holding one image alone becomes a ``<figure>`` captioned with its alt
    text. A missing image, an image by URL or one outside ``base_dir`` becomes visible
    placeholder text. Raw HTML is escaped. Headings get ``id`` anchors; pass a list as
    ``headings`` to collect ``(level, id, text)`` for a table of contents, and as ``images``
    to collect the resolved paths of the embedded image files.
    """
    md = _markdown_parser()
    from markdown_it.token import Token

    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    base = Path(base_dir) if base_dir is not None else None
    taken: set[str] = set()
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == "heading_open" and i + 1 < len(tokens):
            title = md.renderer.renderInlineAsText(tokens[i + 1].children or [], md.options, env)
            slug = _slug(title, taken)
            t.attrSet("id", slug)
            if headings is not None:
                headings.append((int(t.tag[1]), slug, title))
        if t.type == "table_open":
            out.append(Token("html_block", "", 0, content='<div class="table-wrap">'))
            out.append(t)
            i += 1
            continue
        if t.type == "table_close":
            out.append(t)
            out.append(Token("html_block", "", 0, content="</div>\n"))
            i += 1
            continue
        if t.type == "inline" and t.children:
            kids = t.children
            standalone = (len(kids) == 1 and kids[0].type == "image" and i > 0
                          and tokens[i - 1].type == "paragraph_open"
                          and i + 1 < len(tokens) and tokens[i + 1].type == "paragraph_close")
            if standalone:
                tokens[i - 1].hidden = True
                tokens[i + 1].hidden = True
            new_kids = []
            for k in kids:
                if k.type == "image":
                    alt = md.renderer.renderInlineAsText(k.children or [], md.options, env)
                    frag = _image_html(str(k.attrGet("src") or ""), alt, base, standalone,
                                       images)
                    new_kids.append(Token("html_inline", "", 0, content=frag))
                else:
                    new_kids.append(k)
            t.children = new_kids
        out.append(t)
        i += 1
    return md.renderer.render(out, md.options, env)


# ---------------------------------------------------------------------------------------
# Pages


@dataclass
class Section:
    """One block of a page: ``title`` (text, escaped) and ``body`` (HTML). ``id`` is the
    anchor (made from the title when empty); ``toc`` adds sub-entries ``(level, id, text)``
    under this section in the contents list."""

    title: str
    body: str
    id: str = ""
    toc: list[tuple[int, str, str]] = field(default_factory=list)


def html_document(title: str, body_html: str, *, subtitle: str | None = None,
                  footer: str | None = None) -> str:
    """A complete page: ``title`` and ``subtitle``, ``footer`` are text (escaped),
    ``body_html`` goes in ``<main>`` as it is. The style sheet is inline; nothing is
    loaded from elsewhere."""
    sub = f"<p>{_esc(subtitle)}</p>" if subtitle else ""
    foot = f'<footer class="page">{_esc(footer)}</footer>' if footer else ""
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            # No script runs, so forbid loading anything that is not embedded in the page.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "img-src data:; style-src 'unsafe-inline'\">\n"
            f'<meta name="generator" content="boltzprune">\n<title>{_esc(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<header class="page"><h1>{_esc(title)}</h1>{sub}</header>\n'
            f"<main>\n{body_html}\n</main>\n{foot}\n</body>\n</html>\n")


def render_html(title: str, sections: Sequence[Section], *, subtitle: str | None = None,
                footer: str | None = None, toc: bool = True) -> str:
    """A page of ``sections`` with a contents list linking to each (and to its ``toc``
    sub-entries)."""
    taken: set[str] = set()
    for s in sections:  # anchors inside the sections' bodies are taken too
        taken.update(i for _, i, _ in s.toc)
    ids = []
    for s in sections:
        if s.id:
            taken.add(s.id)
            ids.append(s.id)
        else:
            ids.append(_slug(s.title, taken))
    parts = []
    if toc and len(sections) > 1:
        items = []
        for s, sid in zip(sections, ids, strict=True):
            sub = ""
            if s.toc:
                top = min(level for level, _, _ in s.toc)
                subs = [(i, t) for level, i, t in s.toc if level == top]
                sub = "<ol>" + "".join(f'<li><a href="#{_esc(i)}">{_esc(t)}</a></li>'
                                       for i, t in subs) + "</ol>"
            items.append(f'<li><a href="#{_esc(sid)}">{_esc(s.title)}</a>{sub}</li>')
        parts.append(f'<nav class="toc" aria-label="Contents"><strong>Contents</strong>'
                     f'<ol>{"".join(items)}</ol></nav>')
    for s, sid in zip(sections, ids, strict=True):
        parts.append(f'<section class="block" id="{_esc(sid)}">'
                     f'<h2 class="section">{_esc(s.title)}</h2>\n{s.body}\n</section>')
    return html_document(title, "\n".join(parts), subtitle=subtitle, footer=footer)


# ---------------------------------------------------------------------------------------
# Run directories


def _human_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _files_html(run_dir: Path, out_name: str) -> str:
    rows = []
    for p in sorted(run_dir.iterdir()):
        if p.name.startswith(".") or p.name == out_name:
            continue
        if p.is_dir():
            files = [q for q in p.rglob("*") if q.is_file()]
            size = sum(q.stat().st_size for q in files)
            rows.append((f"<code>{_esc(p.name)}/</code>",
                         f"folder, {len(files)} files", _human_size(size)))
        elif p.is_file():
            rows.append((f'<a href="{_esc(p.name)}"><code>{_esc(p.name)}</code></a>', "file",
                         _human_size(p.stat().st_size)))
    body = "".join(f'<tr><th scope="row">{a}</th><td>{b}</td><td class="num">{c}</td></tr>'
                   for a, b, c in rows)
    return ('<p class="note">Links open the files beside this report; the folders hold '
            "the checkpoints (safetensors).</p>"
            '<div class="table-wrap"><table class="kv"><thead><tr><th scope="col">name</th>'
            '<th scope="col">kind</th><th scope="col" class="num">size</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def write_run_html(run_dir: str | Path, *, out_name: str = "report.html") -> Path:
    """Write ``out_name`` (default report.html) into a finished run directory of the RBM or
    DBM experiment and return its path.

    The page holds report.md (figures embedded), every other figure in figures/, the
    tables (table1_*.csv inline, metrics.csv collapsed), the configuration, the data
    description, versions, summary.json (collapsed) and a list of the run's files. Raises
    BoltzpruneError naming the first missing file when ``run_dir`` is not a finished run.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise BoltzpruneError(f"{run_dir}: run directory not found")
    for name in RUN_REQUIRED_FILES:
        if not (run_dir / name).is_file():
            raise BoltzpruneError(f"{run_dir}: not a finished run, {name} is missing")
    try:
        md_text = (run_dir / "report.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BoltzpruneError(f"{run_dir / 'report.md'}: could not read ({e})") from None
    config = read_json(run_dir / "config.json")
    versions = read_json(run_dir / "versions.json")

    # The report's first-level heading becomes the page title.
    title = f"boltzprune run {run_dir.name}"
    lines = md_text.splitlines()
    for j, line in enumerate(lines):
        if line.strip():
            if re.match(r"^#\s+\S", line):
                title = line.lstrip("#").strip()
                md_text = "\n".join(lines[:j] + lines[j + 1:])
            break

    sections: list[Section] = []
    headings: list[tuple[int, str, str]] = []
    embedded: list[Path] = []
    report = markdown_html(md_text, run_dir, headings=headings, images=embedded)
    sections.append(Section("Report", f'<div class="md">{report}</div>', id="report",
                            toc=headings))

    referenced = set(embedded)
    fig_dir = run_dir / "figures"
    extra = sorted(p for p in fig_dir.glob("*") if p.suffix.lower() in _MIME
                   and p.resolve() not in referenced) if fig_dir.is_dir() else []
    if extra:
        sections.append(Section("Other figures", "".join(
            figure_html(p, f"figures/{p.name}") for p in extra), id="other-figures"))

    tables = []
    for p in sorted(run_dir.glob("*.csv")):
        if p.name == "metrics.csv":
            continue
        tables.append(f"<h3>{_esc(p.stem)}</h3>" + csv_html(p, link=p.name))
    tables.append("<h3>metrics</h3><p>Every stage's metrics, one row per run and stage.</p>"
                  + csv_html(run_dir / "metrics.csv", link="metrics.csv", collapsed=True))
    sections.append(Section("Tables", "".join(tables), id="tables"))

    sections.append(Section("Configuration",
                            '<p class="note">Resolved settings from '
                            '<a href="config.json">config.json</a>.</p>' + config_html(config),
                            id="configuration"))
    for name in ("data_stats.json", "data.json"):
        if (run_dir / name).is_file():
            sections.append(Section("Data", f'<p class="note">From <a href="{name}">{name}'
                                    "</a>.</p>" + config_html(read_json(run_dir / name)),
                                    id="data"))
            break
    sections.append(Section("Versions",
                            '<p class="note">From <a href="versions.json">versions.json'
                            "</a>.</p>" + versions_html(versions), id="versions"))
    if (run_dir / "summary.json").is_file():
        summary = read_json(run_dir / "summary.json")
        sections.append(Section("Summary", details_html(
            "summary.json: aggregates over seeds (click to show)", json_html(summary)),
            id="summary"))
    sections.append(Section("Files", _files_html(run_dir, out_name), id="files"))

    from boltzprune import __version__ as bp_version

    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rev = versions.get("git_revision") if isinstance(versions, Mapping) else None
    subtitle = f"Run directory {run_dir.resolve().name}" + (
        f" · git {str(rev)[:12]}" if rev else "")
    footer = (f"Written by boltzprune {bp_version} on {now} from the files in this run "
              "directory; self-contained (figures embedded, no network access).")
    page = render_html(title, sections, subtitle=subtitle, footer=footer)
    path = run_dir / out_name
    atomic_write_text(path, page)
    return path
