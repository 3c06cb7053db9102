"""Every kind of output the service produces passes the official HL7 FHIR Validator.

The outputs are captured from the real app (``capture.py``: PAS $submit answered A1, A4
and A3, a Claim update, a cancellation, $inquire, DTR packages for 38242 and 38243 with
and without prefilled answers, CRD order-sign, order-select and appointment-book, and the
OperationOutcomes of refused requests) and validated in ONE run of the offline validator
kit (``shared/fhir-validator``: engine 6.10.2 with PAS 2.2.1, DTR 2.0.1, CRD 2.2.1), the
official Da Vinci examples of ``shared/conformance`` validated in the same run.

Any error fails the test unless it is in ``NOISE``: messages the offline setup itself
causes, each explained below and each shown by the official examples or by the kit's
README. Every entry must still be needed (an entry nothing matches is removed), and the
entries that may excuse an error in our own outputs are few and scoped to the outputs
where the cause applies.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from medpolicy.adapters.cds_hooks import invariant_problems

from .capture import Capture, capture_outputs
from .hl7_validator import Issue, Report, java_17_or_later, validate

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
KIT = SHARED / "fhir-validator"
EXAMPLES = SHARED / "conformance"
OUTPUT_KINDS = {
    "pas-submit-a1-certified",
    "pas-submit-a4-pended",
    "pas-submit-a3-not-certified",
    "pas-update-a1",
    "pas-cancel",
    "pas-inquire-a3",
    "dtr-package-38242-prefilled",
    "dtr-package-38242-blank",
    "dtr-package-38243-prefilled",
    "dtr-package-38243-blank",
    "crd-order-sign",
    "crd-order-sign-criteria-not-met",
    "crd-order-sign-policy-not-in-effect",
    "crd-order-select",
    "crd-appointment-book",
    "outcome-no-bundle-identifier",
    "outcome-patient-without-name",
    "outcome-bad-element",
}
"""Captures the suite must have: one per kind of output the issue lists."""


@dataclass(frozen=True)
class Noise:
    """An error the offline setup causes, not the resource."""

    key: str
    pattern: str
    why: str
    ours: frozenset[str] = frozenset()
    """Kinds of our captures it may excuse (``pas``, ``dtr``, ``crd``); empty: examples only."""

    def matches(self, issue: Issue) -> bool:
        return re.search(self.pattern, issue.text) is not None


NOISE = (
    Noise(
        "terminology-version",
        r"^A definition for CodeSystem '(http://hl7\.org/fhir/remittance-outcome|"
        r"http://terminology\.hl7\.org/CodeSystem/(v3-NullFlavor|claim-type))' version "
        r"'[^']+' could not be found",
        "PAS 2.2.1 and CRD bind ClaimResponse.outcome, Claim.type and the NullFlavor 'OTH' "
        "to later versions of these code systems (5.0.0, 1.0.1, 3.0.0), which only the "
        "hl7.terminology packages define; the kit has them as empty placeholders. The codes "
        "themselves are valid in the R4 versions the kit has.",
        frozenset({"pas", "crd"}),
    ),
    Noise(
        "reference-outside-the-file",
        r"^Unable to resolve resource with reference '[A-Za-z]+/[A-Za-z0-9.\-]{1,64}'$",
        "A CRD systemAction updates the EHR's own order, and a DTR draft names the EHR's "
        "patient, order and coverage: those resources are on the EHR's FHIR server, not in "
        "the file. (PAS responses are not excused: everything they reference is in them.)",
        frozenset({"crd", "dtr"}),
    ),
    Noise(
        "crd-in-the-dtr-set",
        r"(No definition could be found for URL value|Unknown profile|Specified profile) "
        r"'?http://hl7\.org/fhir/us/davinci-crd/",
        "DTR 2.0.1 depends on davinci-crd#current, an empty placeholder in the kit, so in "
        "the dtr set CRD's code systems and profiles (DocReason for intendedUse) are unknown.",
        frozenset({"dtr"}),
    ),
    Noise(
        "crd-ci-q4-empty-is-false",
        r"^Constraint failed: crd-ci-q4:",
        "crd-ci-q4 reads `extension.where(url = 'pa-needed' and (...)) and ... implies ...`; "
        "when no pa-needed is satisfied, no-auth or not-covered the left side is empty, so "
        "the whole expression is empty, which the validator counts as a failure whenever "
        "doc-purpose is 'withpa' (it fires for pa-needed 'auth-needed' too). What q4 means "
        "is checked by test_crd_coverage_information_keeps_what_q4_means instead.",
        frozenset({"crd"}),
    ),
    Noise(
        "r5-cross-version-extension",
        r"(CanonicalType\[http://hl7\.org/fhir/5\.0/StructureDefinition/extension-|"
        r"did not match any of the allowed profiles|"
        r"Unable to find a match for the specified profile among choices|"
        r"Unable to find a profile match for Claim/|Claim\.related: (max|minimum))",
        "The PAS Claim profiles slice on R5 cross-version extensions (xver-r5.r4 is an empty "
        "placeholder), and every Claim profile check that follows from it fails.",
    ),
    Noise(
        "sdc-question-library",
        r"sdc-question-library#",
        "The local SDC build has no question library.",
    ),
    Noise(
        "mime-types-need-a-terminology-server",
        r"http://hl7\.org/fhir/ValueSet/mimetypes",
        "MIME types are only checked by a terminology server, which the kit has not.",
    ),
)


def _noise_for(issue: Issue, kind: str | None) -> Noise | None:
    for noise in NOISE:
        if noise.matches(issue) and (kind is None or kind in noise.ours):
            return noise
    return None


@dataclass
class Run:
    captures: list[Capture]
    examples: list[Path]
    report: Report

    def kind_of(self, issue: Issue) -> str | None:
        """The capture kind of the file an issue is about; None for an official example."""
        for capture in self.captures:
            if capture.path == issue.file:
                return capture.kind
        return None


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    missing = java_17_or_later()
    if missing:
        if os.environ.get("MEDPOLICY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"the HL7 validator needs Java 17 (.ci/run installs it): {missing}")
        pytest.skip(f"the HL7 validator needs Java 17: {missing}")
    if not (KIT / "validate.sh").is_file():
        pytest.fail(f"the validator kit is expected at {KIT}")
    folder = tmp_path_factory.mktemp("outputs")
    captures = capture_outputs(folder, EXAMPLES)
    examples = [
        *sorted((EXAMPLES / "pas").glob("*.json")),
        *sorted((EXAMPLES / "dtr").glob("*.json")),
        EXAMPLES / "crd" / "CRDServiceResponse.json",
    ]
    report = validate(KIT, [c.path for c in captures] + examples)
    (folder / "validator-report.txt").write_text(report.output, encoding="utf-8")
    return Run(captures, examples, report)


def test_every_kind_of_output_was_captured_and_validated(run: Run) -> None:
    names = {c.name for c in run.captures}
    assert names >= OUTPUT_KINDS, OUTPUT_KINDS - names
    validated = {Path(unit.split("#", 1)[0]) for unit in run.report.units}
    assert {c.path for c in run.captures} <= validated
    assert set(run.examples) <= validated
    assert run.report.errors >= 0, run.report.output[-3000:]


def test_our_outputs_have_no_validator_error_beyond_setup_noise(run: Run) -> None:
    unexplained = [
        str(issue)
        for issue in run.report.issues
        if issue.is_error
        and (kind := run.kind_of(issue)) is not None
        and _noise_for(issue, kind) is None
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_the_official_examples_show_only_setup_noise(run: Run) -> None:
    unexplained = [
        str(issue)
        for issue in run.report.issues
        if issue.is_error and run.kind_of(issue) is None and _noise_for(issue, None) is None
    ]
    assert unexplained == [], "\n".join(unexplained)


def test_every_noise_entry_for_our_outputs_is_still_needed(run: Run) -> None:
    """An entry that may excuse our outputs and matches nothing any more goes. (Entries for
    the examples only are the kit's documented control findings; one of them, the MIME type
    check, depends on what the validator met before, see the kit's caveats.)"""
    used = {
        noise.key
        for issue in run.report.issues
        if issue.is_error
        for noise in NOISE
        if noise.matches(issue)
    }
    assert {noise.key for noise in NOISE if noise.ours} <= used


def test_crd_coverage_information_keeps_what_q4_means(run: Run) -> None:
    checked = 0
    for capture in run.captures:
        if capture.kind != "crd":
            continue
        answer = json.loads(capture.path.read_text(encoding="utf-8"))
        for action in answer["systemActions"]:
            for extension in action["resource"]["extension"]:
                if extension["url"].endswith("/ext-coverage-information"):
                    assert invariant_problems(extension) == []
                    parts = {p["url"]: p for p in extension["extension"]}
                    if parts.get("doc-purpose", {}).get("valueCode") == "withpa":
                        pa = parts["pa-needed"]["valueCode"]
                        assert pa not in ("satisfied", "no-auth", "not-covered")
                    checked += 1
    assert checked >= 5
