"""A static, offline HTML book of the executed notebooks (``make book``, ``python -m workbook.book``).

One page per notebook (nbconvert, figures and players embedded), a contents page, a page of
what each notebook needs (its parameters) and writes, and previous/next links on every page.
Nothing is fetched from the network (nbconvert's CDN scripts, MathJax and require.js, are
left out: formulas show as TeX source).

Notebook: all of them (this is how they are read without Jupyter).
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from workbook.paths import notebooks_dir

__all__ = ["build_book"]

_NAV = ('<nav style="font:15px sans-serif;padding:8px 16px;border-bottom:1px solid #ccc">{}</nav>')


def _about(nb) -> tuple[str, str, str]:
    """Title, parameters (source of the ``parameters`` cell) and the "Wrote" paragraph."""
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), "untitled")
    params = next((c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])), "")
    wrote = re.search(r"\*\*(?:Written for later notebooks|Wrote)[^*]*\*\*(.*?)(?:\n\n|\Z)", text, re.S)
    return title, params, wrote.group(1).strip() if wrote else "nothing"


def build_book(out: str | Path = "build/book", notebooks: list[Path] | None = None) -> list[Path]:
    """Write the book into ``out``; return the pages written (contents page first)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folder = notebooks_dir()
    notebooks = notebooks or sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted(folder.glob("solutions/*.ipynb"))
    nbs = [nbformat.read(str(p), as_version=4) for p in notebooks]
    pages = [f"{p.stem}.html" for p in notebooks]
    titles = [_about(nb)[0] for nb in nbs]
    exporter = HTMLExporter()
    for i, (nb, page) in enumerate(zip(nbs, pages)):
        links = ['<a href="index.html">Contents</a>', '<a href="needs-and-writes.html">Needs and writes</a>']
        links += [f'<a href="{pages[j]}">{label}: {html.escape(titles[j])}</a>'
                  for j, label in ((i - 1, "Previous"), (i + 1, "Next")) if 0 <= j < len(pages)]
        nav = _NAV.format(" · ".join(links))
        body, _ = exporter.from_notebook_node(nb)
        body = re.sub(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>', "", body)  # offline: no CDN scripts
        (out / page).write_text(re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, body, count=1) + "\n")
    rows, needs = [], []
    for nb, page, title in zip(nbs, pages, titles):
        rows.append(f'<li><a href="{page}">{html.escape(title)}</a></li>')
        _, params, wrote = _about(nb)
        needs.append(f'<h2><a href="{page}">{html.escape(title)}</a></h2><p>Needs (parameters):</p>'
                     f"<pre>{html.escape(params)}</pre><p>Writes: {html.escape(wrote)}</p>")
    head = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{}</title></head><body style="font:16px sans-serif;max-width:60em;margin:auto">'
    nav = _NAV.format('<a href="index.html">Contents</a> · <a href="needs-and-writes.html">Needs and writes</a>')
    (out / "index.html").write_text(head.format("Voice age workbook") + nav + "<h1>Voice age workbook</h1>"
                                    "<p>The executed notebooks, in order; solutions to the exercises last.</p>"
                                    f"<ol>{''.join(rows)}</ol></body></html>\n")
    (out / "needs-and-writes.html").write_text(head.format("Needs and writes") + nav + "<h1>What each notebook "
                                               f"needs and writes</h1>{''.join(needs)}</body></html>\n")
    return [out / "index.html", out / "needs-and-writes.html"] + [out / p for p in pages]


if __name__ == "__main__":
    written = build_book(sys.argv[1] if len(sys.argv) > 1 else "build/book")
    print(f"wrote {len(written)} pages; open {written[0].resolve()}")
