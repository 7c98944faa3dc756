"""A static offline HTML book of the executed notebooks (``make book``, ``python -m workbook.book``):
a contents page, a page per notebook (figures and players embedded, previous/next links) and a
page of what each needs and writes. nbconvert's CDN scripts are left out (formulas show as TeX).

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

_HEAD = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{}</title></head><body style="font:16px sans-serif">'
_NAV = '<nav style="font:15px sans-serif;padding:8px 16px;border-bottom:1px solid #ccc">{}</nav>'
_HOME = '<a href="index.html">Contents</a> · <a href="needs-and-writes.html">Needs and writes</a>'


def _about(nb) -> tuple[str, str, str]:
    """Title, parameters (source of the ``parameters`` cell) and the "Wrote" paragraph."""
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    title = next((ln[2:].strip() for ln in text.splitlines() if ln.startswith("# ")), "untitled")
    params = next((c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])), "")
    wrote = re.search(r"\*\*(?:Written for later notebooks|Wrote)[^*]*\*\*(.*?)(?:\n\n|\Z)", text, re.S)
    return title, params, wrote.group(1).strip() if wrote else "nothing"


def build_book(out: str | Path = "build/book", notebooks: list[Path] | None = None) -> list[Path]:
    """Write the book into ``out``; return the pages written (contents page first)."""
    out, folder = Path(out), notebooks_dir()
    out.mkdir(parents=True, exist_ok=True)
    notebooks = notebooks or sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted(folder.glob("solutions/*.ipynb"))
    nbs = [nbformat.read(str(p), as_version=4) for p in notebooks]
    pages, about = [f"{p.stem}.html" for p in notebooks], [_about(nb) for nb in nbs]
    for i, (nb, page) in enumerate(zip(nbs, pages)):
        nav = _NAV.format(" · ".join([_HOME] + [f'<a href="{pages[j]}">{label}: {html.escape(about[j][0])}</a>'
                                                for j, label in ((i - 1, "Previous"), (i + 1, "Next"))
                                                if 0 <= j < len(pages)]))
        body = HTMLExporter().from_notebook_node(nb)[0]
        body = re.sub(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>', "", body)
        (out / page).write_text(re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, body, count=1) + "\n")
    contents = "".join(f'<li><a href="{p}">{html.escape(a[0])}</a></li>' for p, a in zip(pages, about))
    needs = "".join(f'<h2><a href="{p}">{html.escape(t)}</a></h2><p>Needs (parameters):</p><pre>{html.escape(n)}</pre>'
                    f"<p>Writes: {html.escape(w)}</p>" for p, (t, n, w) in zip(pages, about))
    (out / "index.html").write_text(_HEAD.format("Voice age workbook") + _NAV.format(_HOME) + "<h1>Voice age workbook"
                                    "</h1><p>The executed notebooks in order; the solutions of the exercises last.</p>"
                                    f"<ol>{contents}</ol></body></html>\n")
    (out / "needs-and-writes.html").write_text(_HEAD.format("Needs and writes") + _NAV.format(_HOME)
                                               + f"<h1>What each notebook needs and writes</h1>{needs}</body></html>\n")
    return [out / "index.html", out / "needs-and-writes.html"] + [out / p for p in pages]


if __name__ == "__main__":
    written = build_book(sys.argv[1] if len(sys.argv) > 1 else "build/book")
    print(f"wrote {len(written)} pages; open {written[0].resolve()}")
