"""Letters compiled to PDF by typst, offline, with the font shipped in this package.

typst (the PyPI package) embeds the compiler; ``fonts/`` holds Liberation Sans (SIL Open
Font License, see ``fonts/OFL.txt``). System fonts and typst's own embedded fonts are left
out, so a letter looks the same on every machine. A letter is tagged PDF (for screen
readers) and its creation time is the letter's date, so the same case gives the same bytes.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medpolicy.service.letters.wording import KINDS, TEMPLATES, letter_data

FONTS = Path(__file__).parent / "fonts"


class TypstLetters:
    """The service's letter press: ``write(kind, context)`` gives the PDF bytes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiler: Any = None

    def write(self, kind: str, context: dict[str, Any]) -> bytes:
        """The PDF of the ``kind`` letter (approval, information, adverse) for ``context``."""
        data = letter_data(kind, context)
        stamp = datetime.fromisoformat(context["date"][:10]).replace(tzinfo=UTC)
        with self._lock:
            pdf = self._typst().compile(
                input=str(TEMPLATES / f"{kind}.typ"),
                format="pdf",
                sys_inputs={"data": json.dumps(data)},
                timestamp=stamp,
            )
        if not isinstance(pdf, bytes):
            raise TypeError("typst gave no single PDF")
        return pdf

    def _typst(self) -> Any:
        if self._compiler is None:
            import typst

            fonts = typst.Fonts(
                include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS)]
            )
            self._compiler = typst.Compiler(
                root=str(TEMPLATES), font_paths=fonts, ignore_system_fonts=True
            )
        return self._compiler


__all__ = ["KINDS", "TypstLetters"]
