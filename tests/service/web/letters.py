"""Reading a letter as its reader would: its text (pdftotext) and its pages (pdftoppm)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def pdf_text(pdf: bytes) -> str:
    """The letter's text, in reading order."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def pdf_pages_as_png(pdf: bytes, prefix: Path) -> list[Path]:
    """Draw each page as a PNG (kept for a person to look at) and check that it shows a page
    of a letter: US Letter proportions, ink on it, and a letterhead band at the top."""
    source = prefix.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(source), str(prefix)], check=True)
    pngs = sorted(prefix.parent.glob(prefix.name + "-*.png"))
    assert pngs, "pdftoppm drew no page"
    for number, _png in enumerate(pngs, start=1):
        width, height, ink, top_ink = _ink(source, number)
        assert abs(height / width - 11 / 8.5) < 0.02, (width, height)
        assert 0.001 < ink < 0.2, f"page {number}: {ink:.4f} of the page is ink"
        if number == 1:
            assert ink > 0.01, f"page 1 is nearly blank ({ink:.4f} ink)"
            assert top_ink > 0.01, "page 1 has no letterhead"
    return pngs


def _ink(source: Path, page: int) -> tuple[int, int, float, float]:
    """Width, height, share of dark pixels, and that share in the top tenth of ``page``."""
    gray = subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", "-f", str(page), "-l", str(page), str(source)],
        capture_output=True,
        check=True,
    ).stdout
    magic, width, height, _maxval, pixels = gray.split(maxsplit=4)
    assert magic == b"P5"
    w, h = int(width), int(height)
    dark = [value < 128 for value in pixels[: w * h]]
    top = dark[: w * (h // 10)]
    return w, h, sum(dark) / len(dark), sum(top) / len(top)
