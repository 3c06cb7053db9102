"""The review's summary: a table printed for the person at the terminal, and the same as a
self-contained HTML page with a chart (an inline SVG, no script, no network).

Every figure comes from the long-form summary rows that both engines compute with the same
query: (dimension, key, finding, lines, paid). Member ids, diagnoses and facts never reach
the summary; providers do, since payment integrity works provider by provider.
"""

from __future__ import annotations

import csv
import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from medpolicy.batch.review import FINDINGS

__all__ = ["AT_ISSUE", "ERRORS_HEADER", "Summary", "render_html", "render_text", "write_errors"]

AT_ISSUE = (
    "unauthorized_paid",
    "meets_criteria_no_authorization",
    "not_met_or_experimental",
    "insufficient_information",
)
"""Findings that ask a person to look: paid lines without an approved authorization."""

_SHORT = {
    "not_addressed": "not addressed",
    "authorized": "authorized",
    "unauthorized_paid": "unauthorized paid",
    "meets_criteria_no_authorization": "meets, no auth",
    "not_met_or_experimental": "not met / exper.",
    "insufficient_information": "insufficient info",
}
_COLOURS = {
    "authorized": "#4c956c",
    "unauthorized_paid": "#c1121f",
    "meets_criteria_no_authorization": "#f4a259",
    "not_met_or_experimental": "#7b2cbf",
    "insufficient_information": "#5e6472",
}
_TOP_PROVIDERS = 25
ERRORS_HEADER = ("source", "row", "id", "line", "field", "reason")


@dataclass(frozen=True, slots=True)
class Cell:
    lines: int = 0
    paid: Decimal = Decimal(0)


@dataclass
class Summary:
    """What a review found, ready to print or render."""

    engine: str
    lines_read: int
    errors: int
    patterns: int
    seconds: float
    by: dict[str, dict[str, dict[str, Cell]]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Sequence[object]],
        *,
        engine: str,
        lines_read: int,
        errors: int,
        patterns: int,
        seconds: float,
    ) -> Summary:
        by: dict[str, dict[str, dict[str, Cell]]] = defaultdict(lambda: defaultdict(dict))
        for dimension, key, finding, lines, paid in rows:
            amount = Decimal(str(paid)) if paid is not None else Decimal(0)
            by[str(dimension)][str(key)][str(finding)] = Cell(int(str(lines)), amount)
        return cls(
            engine, lines_read, errors, patterns, seconds, {k: dict(v) for k, v in by.items()}
        )

    def total(self, finding: str) -> Cell:
        return self.by.get("finding", {}).get(finding, {}).get(finding, Cell())

    def reviewed(self) -> int:
        return sum(self.total(f).lines for f in FINDINGS)

    def months(self) -> list[tuple[str, dict[str, Cell]]]:
        return sorted(self.by.get("month", {}).items())

    def providers(self) -> list[tuple[str, dict[str, Cell]]]:
        """Providers with lines at issue first, by paid amount at issue."""
        items = self.by.get("provider", {}).items()
        return sorted(items, key=lambda item: (-_at_issue(item[1]).paid, item[0]))


def _at_issue(cells: dict[str, Cell]) -> Cell:
    found = [cells[f] for f in AT_ISSUE if f in cells]
    return Cell(sum(c.lines for c in found), sum((c.paid for c in found), Decimal(0)))


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def render_text(summary: Summary) -> str:
    """The summary as fixed-width tables for a terminal."""
    out = [
        f"Reviewed {summary.reviewed():,} of {summary.lines_read:,} claim lines in "
        f"{summary.seconds:.1f} s ({summary.engine}; {summary.patterns:,} distinct fact "
        f"patterns decided); {summary.errors:,} could not be reviewed (see errors.csv).",
        "",
        f"{'finding':<34}{'lines':>12}{'paid':>18}",
    ]
    for finding in FINDINGS:
        cell = summary.total(finding)
        out.append(f"{finding:<34}{cell.lines:>12,}{_money(cell.paid):>18}")
    months = summary.months()
    if months:
        out += ["", "By month (lines; paid at issue = " + ", ".join(AT_ISSUE) + "):"]
        out.append(
            f"{'month':<9}"
            + "".join(f"{_SHORT[f]:>18}" for f in FINDINGS)
            + f"{'paid at issue':>18}"
        )
        for month, cells in months:
            counts = "".join(f"{cells.get(f, Cell()).lines:>18,}" for f in FINDINGS)
            out.append(f"{month:<9}{counts}{_money(_at_issue(cells).paid):>18}")
    providers = [p for p in summary.providers() if _at_issue(p[1]).lines][:10]
    if providers:
        out += ["", "Providers with the most paid at issue (top 10; all in summary.html):"]
        out.append(f"{'provider':<20}{'lines at issue':>16}{'paid at issue':>18}")
        for provider, cells in providers:
            issue = _at_issue(cells)
            out.append(f"{provider[:19]:<20}{issue.lines:>16,}{_money(issue.paid):>18}")
    return "\n".join(out) + "\n"


def render_html(summary: Summary, title: str = "Claims review") -> str:
    """A self-contained page: totals, a chart of lines per month by finding, tables."""
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{summary.reviewed():,} of {summary.lines_read:,} claim lines reviewed in "
        f"{summary.seconds:.1f} s ({esc(summary.engine)}; {summary.patterns:,} distinct fact "
        f"patterns decided). {summary.errors:,} lines could not be reviewed: see "
        "<code>errors.csv</code>. These are review findings for payment-integrity staff, "
        "not denials: a person confirms each one.</p>",
        "<h2>Findings</h2>",
        _table(
            ["finding", "lines", "paid"],
            [[f, f"{summary.total(f).lines:,}", _money(summary.total(f).paid)] for f in FINDINGS],
        ),
        "<h2>Lines per month, by finding (not addressed left out)</h2>",
        _chart(summary.months()),
        "<h2>By month</h2>",
        _table(
            ["month", *(_SHORT[f] for f in FINDINGS), "paid at issue"],
            [
                [m, *(f"{c.get(f, Cell()).lines:,}" for f in FINDINGS), _money(_at_issue(c).paid)]
                for m, c in summary.months()
            ],
        ),
        f"<h2>Providers (top {_TOP_PROVIDERS} by paid amount at issue)</h2>",
        _table(
            ["provider", *(_SHORT[f] for f in FINDINGS[1:]), "paid at issue"],
            [
                [
                    p,
                    *(f"{c.get(f, Cell()).lines:,}" for f in FINDINGS[1:]),
                    _money(_at_issue(c).paid),
                ]
                for p, c in summary.providers()[:_TOP_PROVIDERS]
            ],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th scope='col'>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chart(months: Sequence[tuple[str, dict[str, Cell]]]) -> str:
    """Stacked bars, one per month, of lines per finding (all but not addressed)."""
    shown = FINDINGS[1:]
    if not months:
        return "<p>No reviewed lines.</p>"
    height, left, bottom = 220, 60, 40
    gap = 6 if len(months) > 24 else 10
    bar = max(4, min(28, 1000 // len(months) - gap))
    peak = max(sum(c.get(f, Cell()).lines for f in shown) for _, c in months) or 1
    width = left + len(months) * (bar + gap) + 20
    shapes = [
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' "
        f"height='{height + bottom + 20}' viewBox='0 0 {width} {height + bottom + 20}' "
        "style='max-width:100%;height:auto' aria-label='Lines per month by finding'>",
        f"<text x='4' y='14' class='axis'>{peak:,}</text>",
        f"<line x1='{left - 4}' y1='10' x2='{left - 4}' y2='{height + 10}' stroke='#999'/>",
    ]
    for index, (month, cells) in enumerate(months):
        x = left + index * (bar + gap)
        y: float = height + 10
        for finding in shown:
            count = cells.get(finding, Cell()).lines
            if not count:
                continue
            size = count / peak * height
            y -= size
            shapes.append(
                f"<rect x='{x}' y='{y:.1f}' width='{bar}' height='{size:.1f}' "
                f"fill='{_COLOURS[finding]}'><title>{html.escape(month)}: "
                f"{count:,} {finding}</title></rect>"
            )
        shapes.append(
            f"<text x='{x + bar / 2}' y='{height + 28}' class='axis' text-anchor='end' "
            f"transform='rotate(-45 {x + bar / 2} {height + 28})'>{html.escape(month)}</text>"
        )
    shapes.append("</svg>")
    legend = "".join(
        f"<span class='key'><span class='swatch' style='background:{_COLOURS[f]}'></span>"
        f"{html.escape(f)}</span>"
        for f in shown
    )
    return "".join(shapes) + f"<p>{legend}</p>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:80rem}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.axis{font-size:11px;fill:#444}
.key{margin-right:1rem;white-space:nowrap}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def write_errors(path: Path, rows: Iterable[Sequence[object]]) -> int:
    """Write errors.csv (the same bytes from either engine); return how many rows.

    Each row: source (claims or authorizations), row (1-based, the header not counted),
    id (claim or case id as given), line, field (the column at fault) and reason (what was
    given and what is accepted)."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ERRORS_HEADER)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count
