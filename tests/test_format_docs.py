"""docs/request.md and docs/determination.md are what the code that reads and writes the
formats says they are: regenerated here and compared, so they cannot drift."""

from __future__ import annotations

from pathlib import Path

from medpolicy.adapters.format_docs import documents
from medpolicy.policy.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_format_documents_match_the_code() -> None:
    written = documents(ROOT / "docs", ROOT / "examples", default_registry())
    assert len(written) == 2
    stale = "regenerate with: python -m medpolicy.adapters.format_docs docs/"
    for path, text in written.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name}: {stale}"


def test_the_request_document_lists_every_fact_and_field_the_decoder_takes() -> None:
    text = (ROOT / "docs" / "request.md").read_text(encoding="utf-8")
    for fact in default_registry().all_facts:
        assert f"| `{fact}` |" in text
    for field in ("service.code", "service.date_of_service", "member.line_of_business"):
        assert f"| `{field}` |" in text
