"""CDS Hooks ``aud``: the public base URL configured (a proxy in front, or not); without one
no call is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .app_fixtures import make_harness

PUBLIC = "https://payer.example/crd"
PATH = "/cds-services/order-sign"
BODY = {"hook": "order-sign", "context": {"draftOrders": {"entry": []}}}


def _status(folder: Path, audience: str, public: str | None = "") -> int:
    harness = make_harness(folder)
    if public is None:
        harness.app.state.public_base_url = None
    with TestClient(harness.app, raise_server_exceptions=False) as client:
        response = client.post(PATH, json=BODY, headers=harness.hook_headers(audience))
    return response.status_code


def test_behind_a_proxy_the_audience_is_the_public_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDPOLICY_PUBLIC_BASE_URL", PUBLIC + "/")
    assert _status(tmp_path / "a", PUBLIC + PATH) == 200
    assert _status(tmp_path / "b", "http://testserver" + PATH) == 401


def test_without_a_public_url_no_audience_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Host header is the caller's to choose, so it cannot vouch for aud."""
    monkeypatch.delenv("MEDPOLICY_PUBLIC_BASE_URL", raising=False)
    assert _status(tmp_path / "a", "http://testserver" + PATH, public=None) == 401
    assert _status(tmp_path / "b", PUBLIC + PATH, public=None) == 401
