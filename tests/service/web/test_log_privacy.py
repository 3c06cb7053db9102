"""Working a case in the workbench leaves no member id, fact value, note, reason or token
in the server's log (a real ``medpolicy serve`` at debug level)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from medpolicy.service.cli import main

from ..samples import adverse_request
from ..server import Server, create_database

MEMBER = "MBR-WORKBENCH-5e1d"
NOTE = "NOTE-MARKER-91c2 chimerism report page 3"
REASON = "REASON-MARKER-3f7a: the cells would come from a new donor."
QUESTION = "QUESTION-MARKER-77b0: who donated the original graft?"


def secret(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    create_database(f"sqlite:///{data_dir / 'medpolicy.sqlite3'}")
    assert main(["token", "create", *args, "--data-dir", str(data_dir)]) == 0
    return capsys.readouterr().out.strip()


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found
    return found.group(1)


@pytest.mark.slow
def test_working_a_case_in_the_workbench_logs_no_patient_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = secret(tmp_path, capsys, "--role", "provider", "--org", "acme")
    physician = secret(tmp_path, capsys, "--role", "physician", "--name", "Maya Chen, MD")
    request = adverse_request()
    request["member"]["id"] = MEMBER
    log = tmp_path / "server.log"
    with Server(tmp_path, log, log_level="debug") as server:
        with httpx.Client(base_url=server.url, timeout=30) as api:
            created = api.post(
                "/v1/cases",
                json={"request": request, "priority": "standard"},
                headers={"Authorization": f"Bearer {provider}", "Idempotency-Key": "k1"},
            )
        case_id = created.json()["id"]
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as browser:
            work_the_case(browser, case_id, physician, provider)
    text = log.read_text()
    assert "POST /cases/{case_id}/decision 303" in text
    for marker in (MEMBER, NOTE, REASON, QUESTION, "61.5", "BAD-VALUE-MARKER", "other_donor",
                   physician, provider, "C92.02"):  # fmt: skip
        assert marker not in text, marker


def work_the_case(browser: httpx.Client, case_id: str, physician: str, provider: str) -> None:
    """Sign in, look, record facts (one refused), ask for information, deny."""
    form = browser.get("/signin").text
    browser.post("/signin", data={"token": physician, "csrf": hidden(form, "csrf")})
    browser.post("/signin", data={"token": provider, "csrf": "x"})
    assert MEMBER in browser.get("/queue").text
    page = browser.get(f"/cases/{case_id}").text
    guards = {"csrf": hidden(page, "csrf"), "revision": hidden(page, "revision")}
    page = browser.post(
        f"/cases/{case_id}/facts",
        data={**guards, "fact": "donor_chimerism_percent", "number": "61.5", "note": NOTE},
    ).text
    guards["revision"] = hidden(page, "revision")
    browser.post(
        f"/cases/{case_id}/facts",
        data={**guards, "entry": "cell_source=BAD-VALUE-MARKER", "note": NOTE},
    )
    page = browser.post(
        f"/cases/{case_id}/information-request",
        data={**guards, "questions": QUESTION, "documents": "", "respond_by": "2031-01-01"},
    ).text
    guards["revision"] = hidden(page, "revision")
    page = browser.post(
        f"/cases/{case_id}/decision",
        data={**guards, "decision": "deny", "criteria": "dli.2", "rationale": REASON},
    ).text
    assert "Denied" in page
    browser.get(f"/cases/{MEMBER}")
