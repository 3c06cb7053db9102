"""Documents a PAS Bundle carries: DocumentReference attachments and Binary resources.

A provider may send the note behind a request with the request itself, as a
``DocumentReference`` whose ``content.attachment`` holds the data (base64) and its
``contentType``, or as a ``Binary``. Those with inline data are read like a document sent
to ``POST /v1/cases/{id}/documents``; an attachment given only by URL is not fetched.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Attached", "attached_documents"]


@dataclass(frozen=True)
class Attached:
    """One inline document of a Bundle: a name for people, its media type, its bytes."""

    name: str
    media_type: str
    content: bytes


def attached_documents(bundle: Any) -> list[Attached]:
    """Every inline document of the Bundle's DocumentReference and Binary resources."""
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    found: list[Attached] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        for name, media_type, data in _inline(resource, index):
            content = _decoded(data)
            if content is not None:
                found.append(Attached(name, media_type, content))
    return found


def _inline(resource: dict[str, Any], index: int) -> Iterator[tuple[str, str, Any]]:
    kind = resource.get("resourceType")
    label = f"{kind}/{resource.get('id') or index}"
    if kind == "Binary":
        yield label, str(resource.get("contentType") or ""), resource.get("data")
    elif kind == "DocumentReference":
        for content in resource.get("content") or []:
            attachment = content.get("attachment") if isinstance(content, dict) else None
            if isinstance(attachment, dict):
                title = attachment.get("title")
                name = title if isinstance(title, str) and title else label
                yield name, str(attachment.get("contentType") or ""), attachment.get("data")


def _decoded(data: Any) -> bytes | None:
    if not isinstance(data, str) or not data:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
