"""make book: a static offline HTML site of the committed notebooks, every page and link valid."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from workbook.book import build_book
from workbook.paths import notebooks_dir


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.ids = [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if a.get("src") and tag in ("img", "script", "audio", "source", "iframe"):
            self.srcs.append(a["src"])


@pytest.mark.slow
def test_book_builds_from_the_committed_notebooks_with_valid_links(tmp_path):
    pages = build_book(tmp_path / "book")
    notebooks = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in pages[:2]] == ["index.html", "needs-and-writes.html"]
    assert {f"{nb.stem}.html" for nb in notebooks} <= {p.name for p in pages}
    parsed = {}
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page.name] = parser
    for name, parser in parsed.items():
        remote = [s for s in parser.srcs if urlparse(s).scheme in ("http", "https")]
        assert not remote, f"{name} loads from the network: {remote}"
        for href in parser.hrefs:
            url = urlparse(href)
            if url.scheme in ("http", "https", "mailto"):
                continue  # links out (references) are fine; they are not needed to read the book
            target = url.path or name
            assert target in parsed, f"{name}: link {href!r} points to a page that does not exist"
            assert not url.fragment or url.fragment in parsed[target].ids, f"{name}: anchor {href!r} not found"
    index = parsed["index.html"].hrefs
    assert all(f"{nb.stem}.html" in index for nb in notebooks), "the contents page misses a notebook"
    for nb in notebooks:  # navigation on every notebook page, previous and next in order
        hrefs = parsed[f"{nb.stem}.html"].hrefs
        assert "index.html" in hrefs and "needs-and-writes.html" in hrefs
    first, second = (f"{nb.stem}.html" for nb in notebooks[:2])
    assert second in parsed[first].hrefs and first in parsed[second].hrefs
    signal = (tmp_path / "book" / f"{notebooks[0].stem}.html").read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="data:image/png;base64,', signal), "figures are not embedded"
    assert re.search(r'<audio[^>]*>\s*<source src="data:audio/', signal), "audio players are not embedded"
    needs = (tmp_path / "book" / "needs-and-writes.html").read_text(encoding="utf-8")
    assert needs.count("Needs (parameters)") == len(pages) - 2 and "features.parquet" in needs
