"""Documents attached to a case, and the facts proposed from them.

A provider's note, letter or report (plain text, or a PDF with a text layer) is read by
the policy's extractor (``medpolicy.extraction``); each fact it states becomes a proposal
with the exact words that support it. A proposal changes nothing: the case keeps its
version, status and deadline until a nurse or physician accepts the proposal, one fact at
a time. Accepting puts the fact into the request with the source "document, accepted by
reviewer" and the case is decided again.

Both are case events (``document`` with the proposals, ``accepted_fact``), so the case's
history shows which words each accepted fact came from. The text itself is not stored: the
evidence and its offsets are, with the document's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from medpolicy.service.errors import InvalidInputError

__all__ = [
    "ACCEPTED_EVENT",
    "DOCUMENT_EVENT",
    "MAX_DOCUMENT_BYTES",
    "SOURCE",
    "UNREAD_EVENT",
    "AcceptedFact",
    "Document",
    "accepted_facts",
    "document_detail",
    "proposal_states",
    "read_document",
]

SOURCE = "document, accepted by reviewer"
DOCUMENT_EVENT = "document"
ACCEPTED_EVENT = "accepted_fact"
UNREAD_EVENT = "unread_document"
MAX_DOCUMENT_BYTES = 5_000_000
TEXT_TYPES = ("text/plain",)
PDF_TYPES = ("application/pdf",)
ACCEPTED_TYPES = "text/plain (UTF-8) or application/pdf with a text layer"


@dataclass(frozen=True)
class Document:
    """A document's text, with what it was sent as."""

    name: str
    media_type: str
    text: str
    sha256: str


def read_document(content: bytes, media_type: str, name: str) -> Document:
    """The text of a document; ``InvalidInputError`` when it has none that can be read."""
    kind = media_type.split(";", maxsplit=1)[0].strip().lower()
    if len(content) > MAX_DOCUMENT_BYTES:
        raise InvalidInputError(
            "document_too_large",
            f"The document has {len(content)} bytes; at most {MAX_DOCUMENT_BYTES} are read.",
            field="document",
            accepted=f"a document of at most {MAX_DOCUMENT_BYTES} bytes",
        )
    if kind in TEXT_TYPES:
        text = _utf8(content)
    elif kind in PDF_TYPES:
        text = _pdf_text(content)
    else:
        raise InvalidInputError(
            "unsupported_document",
            f"Documents sent as {kind or 'no media type'} cannot be read.",
            field="Content-Type",
            accepted=ACCEPTED_TYPES,
        )
    if not text.strip():
        raise InvalidInputError(
            "empty_document",
            "The document has no text to read"
            + (" (a scanned PDF needs a text layer)." if kind in PDF_TYPES else "."),
            field="document",
            accepted=ACCEPTED_TYPES,
        )
    return Document(name, kind, text, hashlib.sha256(content).hexdigest())


def _utf8(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(
            "invalid_document",
            "The text document is not UTF-8.",
            field="document",
            accepted=ACCEPTED_TYPES,
        ) from None


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception:
        # A malformed PDF can make a parser fail in any way; every failure means the same
        # thing to the sender: the file cannot be read.
        raise InvalidInputError(
            "invalid_document",
            "The PDF cannot be read.",
            field="document",
            accepted=ACCEPTED_TYPES,
        ) from None
    return "\n".join(pages)


def document_detail(
    document: Document, document_id: str, extraction: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``document`` event's detail: what was read and the facts proposed from it."""
    facts = extraction["facts"]
    proposals = [
        {
            "id": f"{document_id}.{fact}",
            "fact": fact,
            "value": value,
            "evidence": extraction["evidence"][fact],
            "span": list(extraction["spans"][fact]),
        }
        for fact, value in facts.items()
        if value is not None
    ]
    return {
        "document_id": document_id,
        "name": document.name,
        "media_type": document.media_type,
        "sha256": document.sha256,
        "characters": len(document.text),
        "proposals": proposals,
        "set_aside": [
            {key: a[key] for key in ("fact", "kind", "text", "span")}
            for a in extraction["assertions"]
        ],
    }


@dataclass(frozen=True)
class AcceptedFact:
    """The value a reviewer last accepted for a fact, and the document it came from."""

    value: Any
    document_id: str
    document_name: str


def accepted_facts(events: Iterable[Any]) -> dict[str, AcceptedFact]:
    """For each fact a reviewer accepted from a document, the latest acceptance (events
    oldest first)."""
    names: dict[str, str] = {}
    accepted: dict[str, AcceptedFact] = {}
    for event in events:
        if event.kind == DOCUMENT_EVENT:
            names[event.detail["document_id"]] = str(event.detail.get("name") or "")
        elif event.kind == ACCEPTED_EVENT:
            document_id = str(event.detail["document_id"])
            accepted[str(event.detail["fact"])] = AcceptedFact(
                event.detail["value"], document_id, names.get(document_id, "")
            )
    return accepted


def proposal_states(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Every proposal of a case's documents, oldest first, with whether it was accepted
    (and by whom, when) from the case's events."""
    accepted: dict[str, Any] = {}
    proposals: list[dict[str, Any]] = []
    for event in events:
        if event.kind == ACCEPTED_EVENT:
            accepted[event.detail["proposal_id"]] = event
    for event in events:
        if event.kind != DOCUMENT_EVENT:
            continue
        for proposal in event.detail["proposals"]:
            taken = accepted.get(proposal["id"])
            proposals.append(
                {
                    **proposal,
                    "document_id": event.detail["document_id"],
                    "document_name": event.detail["name"],
                    "status": "accepted" if taken else "proposed",
                    "accepted_at": taken.at.isoformat() if taken else None,
                    "accepted_by_role": taken.actor_role if taken else None,
                }
            )
    return proposals
