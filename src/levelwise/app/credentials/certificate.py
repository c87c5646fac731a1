"""A printable certificate (SVG, A4 landscape) with a QR code to verify it."""

from __future__ import annotations

import segno

from levelwise.app.credentials._words import words
from levelwise.app.credentials.openbadges import xml_text

WIDTH = 1123
HEIGHT = 794
"""A4 landscape at 96 dpi."""


def certificate_svg(
    *,
    name: str | None,
    title: str,
    awarded_on: str,
    issuer: str,
    verify_url: str,
    revoked: bool = False,
    language: str | None = None,
) -> str:
    """The certificate as a standalone SVG document.

    Args:
        name: The learner's display name; None prints "a learner of <issuer>"
            instead (never an id: the certificate is public).
        title: The award (level or badge) name.
        awarded_on: The award's date (``YYYY-MM-DD``).
        issuer: The issuer's display name.
        verify_url: Where anyone can verify it; printed and encoded as a QR code.
        revoked: Print a "REVOKED" mark across it.
        language: The credential's language: its fixed sentences are in
            Chinese for ``zh*``, else in English; the names given are printed
            as they are (already in that language).

    Returns:
        The SVG text.
    """
    qr = segno.make(verify_url, error="m")
    code = qr.svg_inline(scale=5, border=2, dark="#111")
    # Place the QR code's own <svg> element inside the page (nested viewport).
    size = qr.symbol_size(scale=5, border=2)[0]
    code = code.replace(
        "<svg ", f'<svg x="{WIDTH - size - 80}" y="{HEIGHT - size - 80}" ', 1
    )
    said = words(language)
    who = (
        [(22, "normal", said.certifies), (34, "bold", name)]
        if name
        else [(22, "normal", said.learner_of.format(issuer=issuer))]
    )
    lines = [
        (40, "bold", said.heading),
        *who,
        (22, "normal", said.achieved),
        (34, "bold", title),
        (20, "normal", said.issued.format(date=awarded_on, issuer=issuer)),
    ]
    # The heading at y=150, then one line every 60 units from y=250.
    texts = "".join(
        f'<text x="{WIDTH // 2}" y="{150 if i == 0 else 190 + 60 * i}" '
        f'font-size="{size_}" font-weight="{weight}" '
        f'text-anchor="middle" font-family="sans-serif">{xml_text(text)}</text>'
        for i, (size_, weight, text) in enumerate(lines)
    )
    mark = (
        f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" font-size="120" fill="#dc2626" '
        'fill-opacity="0.35" text-anchor="middle" font-family="sans-serif" '
        f'transform="rotate(-20 {WIDTH // 2} {HEIGHT // 2})">{said.revoked}</text>'
        if revoked
        else ""
    )
    lang = f' xml:lang="{xml_text(language)}"' if language else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg"{lang} width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect x="20" y="20" width="{WIDTH - 40}" height="{HEIGHT - 40}" '
        'fill="#fff" stroke="#1d4ed8" stroke-width="6"/>'
        f"{texts}"
        f'<text x="80" y="{HEIGHT - 110}" font-size="16" font-family="sans-serif">'
        f"{xml_text(said.verify)}</text>"
        f'<text x="80" y="{HEIGHT - 85}" font-size="14" font-family="monospace">'
        f"{xml_text(verify_url)}</text>"
        f"{code}{mark}</svg>"
    )
