"""Documents a PAS Bundle carries: DocumentReference attachments and Binary resources.

A provider may send the note behind a request with the request itself, as a
``DocumentReference`` whose ``content.attachment`` holds the data (base64) and its
``contentType``, or as a ``Binary``. Those with inline data are read like a document sent
to ``POST /v1/cases/{id}/documents``. An attachment given only by URL is not fetched
(fetching any URL a submission names would let a sender make the payer's server call
hosts of their choosing): it is reported as unread, with the reason, like one whose data
cannot be decoded, so that a nurse knows to ask for it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Attached", "Unread", "attached_documents", "unread_attachments"]

URL_ONLY = "url_only"
NO_DATA = "no_data"
INVALID_DATA = "invalid_data"


@dataclass(frozen=True)
class Attached:
    """One inline document of a Bundle: a name for people, its media type, its bytes."""

    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Unread:
    """An attachment that was not read: its name, media type, a code and the reason in
    words for the provider and the nurse (never the attachment's URL or content)."""

    name: str
    media_type: str
    code: str
    reason: str


def attached_documents(bundle: Any) -> list[Attached]:
    """Every inline document of the Bundle's DocumentReference and Binary resources."""
    return [a for a in _attachments(bundle) if isinstance(a, Attached)]


def unread_attachments(bundle: Any) -> list[Unread]:
    """Every attachment of the Bundle that has no inline data that can be decoded."""
    return [a for a in _attachments(bundle) if isinstance(a, Unread)]


def _attachments(bundle: Any) -> Iterator[Attached | Unread]:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        for name, media_type, data, url in _inline(resource, index):
            content = _decoded(data)
            if content is not None:
                yield Attached(name, media_type, content)
            elif data is None and isinstance(url, str) and url:
                yield Unread(
                    name,
                    media_type,
                    URL_ONLY,
                    "it is given only by URL, and the payer does not fetch documents from "
                    "URLs in a submission.",
                )
            elif data is None:
                yield Unread(name, media_type, NO_DATA, "it has neither data nor a URL.")
            else:
                yield Unread(name, media_type, INVALID_DATA, "its data is not valid base64.")


def _inline(resource: dict[str, Any], index: int) -> Iterator[tuple[str, str, Any, Any]]:
    kind = resource.get("resourceType")
    label = f"{kind}/{resource.get('id') or index}"
    if kind == "Binary":
        yield label, str(resource.get("contentType") or ""), resource.get("data"), None
    elif kind == "DocumentReference":
        for content in resource.get("content") or []:
            attachment = content.get("attachment") if isinstance(content, dict) else None
            if isinstance(attachment, dict):
                title = attachment.get("title")
                name = title if isinstance(title, str) and title else label
                media_type = str(attachment.get("contentType") or "")
                yield name, media_type, attachment.get("data"), attachment.get("url")


def _decoded(data: Any) -> bytes | None:
    if not isinstance(data, str) or not data:
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
