"""Read rendered pages: elements by attribute, with their text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source"})


@dataclass
class Element:
    """A parsed element: tag, attributes and the text inside it."""

    tag: str
    attrs: dict[str, str]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element.parts.append(data)


def parse(html: str) -> list[Element]:
    """Every element of ``html`` in document order."""
    parser = _Parser()
    parser.feed(html)
    return parser.elements


def find(html: str, **attrs: str) -> list[Element]:
    """Elements whose attributes (``data_x`` means ``data-x``) match."""
    wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
    return [
        e for e in parse(html) if all(e.attrs.get(k) == v for k, v in wanted.items())
    ]


def one(html: str, **attrs: str) -> Element:
    """The one element with these attributes."""
    found = find(html, **attrs)
    assert len(found) == 1, (attrs, len(found))
    return found[0]


def visible_text(html: str) -> str:
    """The page's text outside scripts, styles and SVG titles."""
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
