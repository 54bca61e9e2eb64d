"""One renderer: a report is a :class:`Document` of a few kinds of block, written out as a
self-contained HTML page (:meth:`Document.html`: inline CSS, plots as inline SVG, no script, nothing
fetched from the network) and as a Markdown summary (:meth:`Document.markdown`).

The conformance report (:mod:`reports.conformance`), the benchmark report (:mod:`reports.bench`) and
the replay report (:mod:`reports.replay`) only build documents; how a verdict, a table, a colour grid
or a plot looks is decided here once, for every report.

Inline markup in :class:`Text`, table cells and list items is one kind only: ```code``` in backticks.
Statuses (the colour of a grid cell, a table cell or a verdict) are the keys of :data:`STATUS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

import attrs

__all__ = ["STATUS", "Block", "Bullets", "Code", "Document", "Figure", "Grid", "Heading", "Quote", "Table", "Text",
           "Verdict", "write"]

# status -> (label in Markdown and in the legend, background colour, text colour)
STATUS: dict[str, tuple[str, str, str]] = {
    "pass": ("pass", "#2e7d32", "#ffffff"),
    "fail": ("FAIL", "#c62828", "#ffffff"),
    "n/a": ("not applicable", "#cfd8dc", "#37474f"),
    "vacuous": ("vacuous", "#f9a825", "#212121"),
    "unknown": ("unknown", "#f9a825", "#212121"),
    "killed": ("killed", "#2e7d32", "#ffffff"),
    "survived": ("SURVIVED", "#c62828", "#ffffff"),
    "gap": ("known gap", "#f9a825", "#212121"),
    "error": ("error", "#6a1b9a", "#ffffff"),
    "regressed": ("REGRESSED", "#c62828", "#ffffff"),
    "faster": ("faster", "#2e7d32", "#ffffff"),
    "same": ("within threshold", "#e8f5e9", "#1b5e20"),
    "new": ("new", "#e3f2fd", "#0d47a1"),
    "": ("", "", ""),
}
_SYMBOL = {"pass": "\u2713", "fail": "\u2717", "n/a": "\u2013", "vacuous": "\u2205", "unknown": "?",
           "killed": "\u2713", "survived": "\u2717", "gap": "~", "error": "!"}


@attrs.frozen
class Heading:
    text: str
    level: int = 2


@attrs.frozen
class Text:
    text: str


@attrs.frozen
class Verdict:
    status: str  # a STATUS key
    title: str
    detail: str = ""


@attrs.frozen
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # one status per cell ("" for none), or empty: no colouring
    status: tuple[tuple[str, ...], ...] = ()


@attrs.frozen
class Grid:
    """A colour grid: one row per ``rows`` label, one column per ``columns`` label, each cell a status,
    with an optional tooltip (HTML) per cell. Markdown shows it as a table of words."""

    corner: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    notes: tuple[tuple[str, ...], ...] = ()


@attrs.frozen
class Code:
    text: str
    lang: str = ""
    fold: str = ""  # when set, HTML shows the code folded under this summary line


@attrs.frozen
class Quote:
    text: str


@attrs.frozen
class Bullets:
    items: tuple[str, ...]


@attrs.frozen
class Figure:
    """An SVG plot (``svg`` is the ``<svg>`` element, or "" when no plotting library is installed) with
    its caption; Markdown shows the caption and points at the HTML page."""

    svg: str
    caption: str


Block = Heading | Text | Verdict | Table | Grid | Code | Quote | Bullets | Figure


@attrs.frozen
class Document:
    title: str
    blocks: tuple[Block, ...]

    def html(self) -> str:
        body = "\n".join(_html(b) for b in self.blocks)
        return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                f"<title>{_esc(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
                f"<h1>{_inline(self.title)}</h1>\n{body}\n</body>\n</html>\n")

    def markdown(self) -> str:
        parts = [f"# {self.title}\n"]
        parts.extend(_markdown(b) for b in self.blocks)
        return "\n".join(p for p in parts if p).rstrip("\n") + "\n"


def write(directory: Path | str, stem: str, doc: Document, markdown_name: str | None = None) -> None:
    """Write ``DIR/<stem>.html`` and ``DIR/<markdown_name or stem + '.md'>``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{stem}.html").write_text(doc.html(), encoding="utf-8")
    (d / (markdown_name or f"{stem}.md")).write_text(doc.markdown(), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212121;margin:1.5em auto;
max-width:1200px;padding:0 1em}
h1{font-size:1.6em;margin:.2em 0 .6em}h2{font-size:1.25em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd}
h3{font-size:1.05em;margin:1.2em 0 .4em}
code,pre{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
pre code{background:none;padding:0}.verdict code{background:rgba(255,255,255,.25);color:inherit}
details{margin:.4em 0}summary{cursor:pointer;color:#444}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.7em;overflow:auto;max-height:32em}
.verdict{padding:.8em 1.1em;border-radius:6px;margin:.5em 0 1em}
.verdict b{font-size:1.45em;display:block}
table{border-collapse:collapse;margin:.4em 0 1em}
th,td{border:1px solid #d0d7de;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.grid td.cell{text-align:center;min-width:4.5em;font-weight:600}
table.grid th.col{font-size:.85em;max-width:8em}
table.grid th.row{font-weight:normal;font-size:.9em;max-width:40em}
.legend span{display:inline-block;padding:.1em .6em;margin:0 .4em .4em 0;border-radius:3px;font-size:.85em}
blockquote{margin:.4em 0;padding:.2em .9em;border-left:4px solid #d0d7de;color:#444}
figure{margin:.6em 0 1.2em}figure svg{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#555}
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _inline(text: str) -> str:
    """Escape, then turn `code` spans into <code>."""
    out = []
    for i, piece in enumerate(re.split(r"`([^`]*)`", text)):
        out.append(f"<code>{_esc(piece)}</code>" if i % 2 else _esc(piece))
    return "".join(out)


def _style(status: str) -> str:
    _, bg, fg = STATUS.get(status, STATUS[""])
    return f' style="background:{bg};color:{fg}"' if bg else ""


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s*(%|x|s|ms|µs|/s)?", cell.strip()))


def _html(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_inline(block.text)}</h{block.level}>"
    if isinstance(block, Text):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Verdict):
        detail = f"<span>{_inline(block.detail)}</span>" if block.detail else ""
        return f'<div class="verdict"{_style(block.status)}><b>{_inline(block.title)}</b>{detail}</div>'
    if isinstance(block, Table):
        head = "".join(f"<th>{_inline(h)}</th>" for h in block.headers)
        rows = []
        for r, row in enumerate(block.rows):
            status = block.status[r] if r < len(block.status) else ()
            cells = []
            for c, cell in enumerate(row):
                s = status[c] if c < len(status) else ""
                cls = ' class="num"' if _is_number(cell) else ""
                cells.append(f"<td{cls}{_style(s)}>{_inline(cell)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    if isinstance(block, Grid):
        used = sorted({s for row in block.cells for s in row if s}, key=list(STATUS).index)
        legend = "".join(f"<span{_style(s)}>{_SYMBOL.get(s, '')} {_esc(STATUS[s][0])}</span>" for s in used)
        head = f'<th>{_inline(block.corner)}</th>' + "".join(f'<th class="col">{_inline(c)}</th>'
                                                              for c in block.columns)
        rows = []
        for r, label in enumerate(block.rows):
            cells = []
            for c, s in enumerate(block.cells[r]):
                note = block.notes[r][c] if r < len(block.notes) and c < len(block.notes[r]) else ""
                title = f' title="{_esc(note)}"' if note else ""
                cells.append(f'<td class="cell" data-status="{_esc(s)}"{title}{_style(s)}>'
                             f'{_SYMBOL.get(s, "")} {_esc(STATUS.get(s, (s,))[0])}</td>')
            rows.append(f'<tr><th class="row">{_inline(label)}</th>' + "".join(cells) + "</tr>")
        return (f'<div class="legend">{legend}</div>\n<table class="grid"><thead><tr>{head}</tr></thead><tbody>\n'
                + "\n".join(rows) + "\n</tbody></table>")
    if isinstance(block, Code):
        pre = f"<pre><code>{_esc(block.text)}</code></pre>"
        return f"<details><summary>{_inline(block.fold)}</summary>{pre}</details>" if block.fold else pre
    if isinstance(block, Quote):
        return f"<blockquote>{_inline(block.text)}</blockquote>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Figure):
        if not block.svg:
            return (f"<p><em>{_esc(block.caption)}: no plot (install the plotting library: "
                    f"<code>pip install 'kubeoracle[reports]'</code>)</em></p>")
        return f"<figure>{block.svg}<figcaption>{_inline(block.caption)}</figcaption></figure>"
    raise TypeError(f"unknown block {block!r}")


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def _markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}\n"
    if isinstance(block, Text):
        return block.text + "\n"
    if isinstance(block, Verdict):
        return f"**{block.title}**" + (f" {block.detail}" if block.detail else "") + "\n"
    if isinstance(block, Table):
        rows = []
        for r, row in enumerate(block.rows):
            status = block.status[r] if r < len(block.status) else ()
            rows.append([f"**{cell}**" if c < len(status) and status[c] in ("fail", "regressed", "survived")
                         and cell else cell for c, cell in enumerate(row)])
        return _md_table(block.headers, rows)
    if isinstance(block, Grid):
        rows = [[label, *(STATUS.get(s, (s,))[0] for s in block.cells[r])] for r, label in enumerate(block.rows)]
        return _md_table([block.corner, *block.columns], rows)
    if isinstance(block, Code):
        fence = f"```{block.lang}\n{block.text.rstrip()}\n```\n"
        return f"{block.fold}:\n\n{fence}" if block.fold else fence
    if isinstance(block, Quote):
        return f"> {block.text}\n"
    if isinstance(block, Bullets):
        return "\n".join(f"- {i}" for i in block.items) + "\n"
    if isinstance(block, Figure):
        return f"*{block.caption}* (plot in the HTML report)\n" if block.svg else ""
    raise TypeError(f"unknown block {block!r}")
