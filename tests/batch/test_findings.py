"""Every finding of the claims review, each at the boundary that defines it, embedded."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from medpolicy import evaluate
from medpolicy.batch import LayoutError, ReviewJob, review_claims

from .conftest import MEETS, claim

ReviewRows = dict[str, dict[str, Any]]


def review(
    claims: Path, out: Path, auths: Path | None = None
) -> tuple[ReviewRows, list[dict[str, str]]]:
    """Findings keyed by claim id, and the errors file's rows."""
    review_claims(ReviewJob(str(claims), out, str(auths) if auths else None))
    rows = pq.read_table(out / "findings.parquet").to_pylist()
    with open(out / "errors.csv", encoding="utf-8") as handle:
        errors = list(csv.DictReader(handle))
    return {row["claim_id"]: row for row in rows}, errors


def test_each_finding_applies_exactly_where_it_is_defined(
    tmp_path: Path, claims_file: Callable[..., Path], auths_file: Callable[..., Path]
) -> None:
    claims = claims_file(
        [
            claim("visit", "99213"),
            claim("car-t", "Q2055"),
            claim("before-policy", "38242", "2010-05-01", facts=MEETS),
            claim("hscb-2020", "38243", "2020-05-01"),
            claim("approved", "38242", member="A", facts={"prior_hsct": "autologous"}),
            claim("denied-paid", "38242", member="D", facts=MEETS),
            claim("denied-unpaid", "38242", member="D", facts=MEETS, paid="0.00", line=2),
            claim("expired-auth", "38242", "2026-06-01", member="A", facts=MEETS),
            claim("meets", "38242", facts=MEETS),
            claim(
                "experimental", "38242", facts={**MEETS, "lymphocytes_genetically_modified": True}
            ),
            claim("not-met", "38242", facts={**MEETS, "cell_source": "other_donor"}),
            claim("missing", "38242", facts={"prior_hsct": "allogeneic"}),
        ]
    )
    auths = auths_file(
        [
            ("PA-1", "A", "38242", "2026-03-01", "2026-03-31", "approved"),
            ("PA-2", "D", "38242", "2026-02-01", "2026-04-30", "denied"),
        ]
    )
    found, errors = review(claims, tmp_path / "report", auths)
    assert errors == []
    finding = {claim_id: row["finding"] for claim_id, row in found.items()}
    assert finding == {
        "visit": "not_addressed",
        "car-t": "not_addressed",
        "before-policy": "not_addressed",
        "hscb-2020": "not_addressed",
        "approved": "authorized",
        "denied-paid": "unauthorized_paid",
        "denied-unpaid": "meets_criteria_no_authorization",
        "expired-auth": "meets_criteria_no_authorization",
        "meets": "meets_criteria_no_authorization",
        "experimental": "not_met_or_experimental",
        "not-met": "not_met_or_experimental",
        "missing": "insufficient_information",
    }
    assert found["approved"]["authorization_case_id"] == "PA-1"
    assert found["approved"]["outcome"] == "does_not_meet_criteria"
    assert found["denied-paid"]["authorization_status"] == "denied"
    assert found["experimental"]["failed_criteria"] == ["dli.e2"]
    assert found["not-met"]["failed_criteria"] == ["dli.2"]
    expected = evaluate(
        {
            "service": {"code": "38242", "date_of_service": "2026-03-02"},
            "diagnoses": ["C92.02"],
            "facts": {"prior_hsct": "allogeneic"},
        }
    )
    assert found["missing"]["missing_facts"] == [m.fact for m in expected.missing]
    assert "cell_source" in found["missing"]["missing_facts"]


def test_reasons_name_the_line_s_own_date_and_version(
    tmp_path: Path, claims_file: Callable[..., Path]
) -> None:
    claims = claims_file(
        [
            claim("before", "38242", "2010-05-01"),
            claim("hscb-2020", "38243", "2020-05-01"),
            claim("visit", "99213"),
            claim("car-t", "Q2055"),
            claim("not-met", "38242", "2025-08-14", facts={**MEETS, "cell_source": "other_donor"}),
        ]
    )
    found, _ = review(claims, tmp_path / "report")
    assert "2010-05-01" in found["before"]["reason"]
    assert "2020-05-01" in found["hscb-2020"]["reason"]
    assert found["visit"]["reason"] is None
    assert found["visit"]["policy"] is None
    assert "CAR T" in found["car-t"]["reason"]
    assert "version 2025-08-13" in found["not-met"]["reason"]
    assert found["not-met"]["policy_version"] == "2025-08-13"


def test_every_policy_line_gets_the_outcome_evaluate_gives_the_same_request(
    tmp_path: Path, claims_file: Callable[..., Path]
) -> None:
    """Deciding patterns once and joining back changes nothing: line by line, the review
    agrees with the engine's own answer to that line as a request."""
    facts_cycle: list[dict[str, Any]] = [
        MEETS,
        {"prior_hsct": "allogeneic"},
        {**MEETS, "cell_source": "other_donor"},
        {"prior_hsct": "autologous", "prior_hsct_medically_necessary": True,
         "hscb_indication": "engraftment_promotion", "cell_source": "autologous"},
        {"prior_car_t": True, "hscb_indication": "car_t_cytopenias"},
        {},
    ]  # fmt: skip
    days = ["2014-11-10", "2014-11-11", "2024-06-30", "2025-08-12", "2025-08-13", "2026-11-30"]
    diagnoses = ["C92.02", "C92.00;C50.911", "Z94.84", None, "D46.9"]
    rows = []
    for index in range(240):
        rows.append(
            claim(
                f"C{index}",
                ["38242", "38243"][index % 2],
                days[index % len(days)],
                facts=facts_cycle[index % len(facts_cycle)],
                diagnoses=diagnoses[index % len(diagnoses)],
                lob=["medicare", "commercial", None][index % 3],
            )
        )
    found, errors = review(claims_file(rows), tmp_path / "report")
    assert errors == []
    for row in rows:
        request: dict[str, Any] = {
            "service": {
                "code": row["service_code"],
                "date_of_service": str(row["date_of_service"]),
            },
            "facts": json.loads(row["facts"]),
        }
        if row["diagnoses"]:
            request["diagnoses"] = row["diagnoses"].split(";")
        if row["line_of_business"]:
            request["member"] = {"line_of_business": row["line_of_business"]}
        expected = evaluate(request)
        line = found[row["claim_id"]]
        assert line["outcome"] == expected.outcome, row["claim_id"]
        assert (line["missing_facts"] or []) == [m.fact for m in expected.missing]
        assert line["reason"] == " ".join(expected.reasons)


def test_malformed_lines_go_to_the_errors_file_with_row_and_reason_and_the_rest_is_reviewed(
    tmp_path: Path, claims_file: Callable[..., Path]
) -> None:
    claims = claims_file(
        [
            claim("ok-1", "99213"),
            claim(None, "99213"),
            claim("no-date", "38242", None),
            claim("lob", "38242", lob="medicaide"),
            claim("icd", "38242", diagnoses="C99.99"),
            claim("fact", "38242", facts={"prior_hsct": "sibling"}),
            claim("json", "38242", facts="prior_hsct=allogeneic"),
            claim("shape", "9921"),
            claim("no-paid", "99213", paid=None),
            claim("ok-2", "38242", facts=MEETS),
        ]
    )
    found, errors = review(claims, tmp_path / "report")
    assert set(found) == {"ok-1", "ok-2"}
    by_row = {int(e["row"]): e for e in errors}
    assert {row: e["field"] for row, e in by_row.items()} == {
        2: "claim_id",
        3: "date_of_service",
        4: "line_of_business",
        5: "diagnoses",
        6: "facts",
        7: "facts",
        8: "service_code",
        9: "paid_amount",
    }
    assert "'medicaide'" in by_row[4]["reason"]
    assert "medicaid, medicare, marketplace, commercial" in by_row[4]["reason"]
    assert "C99.99" in by_row[5]["reason"]
    assert "'sibling'" in by_row[6]["reason"]
    assert by_row[3]["id"] == "no-date"


def test_a_missing_column_is_one_error_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("claim_id,line,member_id,service_code\nC1,1,M1,38242\n", encoding="utf-8")
    out = tmp_path / "report"
    with pytest.raises(LayoutError) as caught:
        review_claims(ReviewJob(str(path), out))
    assert "date_of_service, paid_amount" in caught.value.message
    assert not out.exists()


def test_a_fact_column_that_names_no_fact_is_refused_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "claim_id,line,member_id,service_code,date_of_service,paid_amount,fact_prior_hsc\n"
        "C1,1,M1,38242,2026-03-02,10.00,allogeneic\n",
        encoding="utf-8",
    )
    with pytest.raises(LayoutError, match="fact_prior_hsc"):
        review_claims(ReviewJob(str(path), tmp_path / "report"))


def test_facts_as_columns_decide_like_the_json_column(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    header = (
        "claim_id,line,member_id,service_code,date_of_service,paid_amount,diagnoses,"
        "fact_prior_hsct,fact_prior_hsct_medically_necessary,fact_cell_source,"
        "fact_dli_indication,fact_lymphocytes_genetically_modified,facts\n"
    )
    path.write_text(
        header + "cols,1,M1,38242,2026-03-02,10.00,C92.02,allogeneic,true,original_donor,"
        "relapsed_refractory_persistent,false,\n"
        + 'clash,1,M1,38242,2026-03-02,10.00,C92.02,allogeneic,,,,,"{""prior_hsct"": '
        '""autologous""}"\n' + "bad,1,M1,38242,2026-03-02,10.00,C92.02,allogeneic,maybe,,,,\n",
        encoding="utf-8",
    )
    found, errors = review(path, tmp_path / "report")
    assert found["cols"]["finding"] == "meets_criteria_no_authorization"
    fields = {e["id"]: e["field"] for e in errors}
    assert fields == {"clash": "fact_prior_hsct", "bad": "fact_prior_hsct_medically_necessary"}


def test_csv_and_parquet_of_the_same_lines_give_the_same_findings(
    tmp_path: Path, claims_file: Callable[..., Path]
) -> None:
    rows = [
        claim("a", "38242", facts=MEETS),
        claim("b", "38243", "2026-01-05", facts={"prior_car_t": True}),
        claim("c", "99214"),
        claim("d", "38242", "2026-02-30"[:8] + "28", facts={"prior_hsct": "none"}),
    ]
    parquet, _ = review(claims_file(rows), tmp_path / "p")
    from_csv, _ = review(claims_file(rows, "claims.csv"), tmp_path / "c")
    assert from_csv == parquet


def test_a_broken_csv_record_is_an_error_with_its_row_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "claim_id,line,member_id,service_code,date_of_service,paid_amount\n"
        "C1,1,M1,99213,2026-03-02,10.00\n"
        "C2,1,M1,99213,2026-03-02\n"
        "C3,x,M1,99213,2026-13-02,1O.00\n"
        "C4,1,M1,99213,2026-03-02,10.00\n",
        encoding="utf-8",
    )
    found, errors = review(path, tmp_path / "report")
    assert set(found) == {"C1", "C4"}
    assert [(e["row"], e["field"]) for e in errors] == [("2", "record"), ("3", "line")]
    assert "has 5 fields where the header has 6" in errors[0]["reason"]


def test_repeated_patterns_are_decided_once(
    tmp_path: Path, claims_file: Callable[..., Path]
) -> None:
    rows = [claim(f"C{i}", "38242", f"2026-03-{1 + i % 28:02d}", facts=MEETS) for i in range(300)]
    rows += [claim(f"V{i}", "99213") for i in range(300)]
    summary = review_claims(ReviewJob(str(claims_file(rows)), tmp_path / "report"))
    assert summary.patterns == 2
    assert summary.total("meets_criteria_no_authorization").lines == 300
