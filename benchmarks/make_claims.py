"""Write N realistic claim lines (and the authorizations on file) for `medpolicy review`.

Usage: ``python benchmarks/make_claims.py N [--out claims.parquet]
[--authorizations auths.parquet] [--seed 7]``; a name ending in .csv writes CSV.

The mix imitates a plan's paid professional and outpatient claims: about three lines per
claim, most lines office visits, labs, imaging and drugs with everyday ICD-10-CM codes;
about 2% donor lymphocyte infusions (38242) and stem cell boosts (38243) from a few dozen
transplant centres, with blood-cancer, transplant-status and GVHD codes and facts that are
complete, partial or adverse; a few CAR T and transplant-episode lines; dates of service
over 2024-2026, so both versions of MCP-210 apply; and about 0.1% malformed rows (no claim
id, no date, a line of business that does not exist, a diagnosis code that is not in
ICD-10-CM, facts that are not JSON or name no fact). About 80% of the policy lines have an
approved authorization on file, some a denied or pending one, the rest none.

Rows are a deterministic function of the row number and the seed (DuckDB does the work, so
ten million lines take seconds).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import duckdb

OTHER_CODES = {
    "99213": 160, "99214": 140, "99212": 40, "99215": 30, "99203": 20, "99204": 20,
    "36415": 80, "85025": 60, "80053": 50, "80061": 30, "84443": 20, "83036": 20,
    "71046": 25, "74177": 10, "93000": 20, "90471": 15, "90686": 15, "97110": 40,
    "96413": 15, "96415": 10, "J9035": 5, "J2505": 5, "J0897": 4, "G0008": 10,
    "99283": 20, "99284": 15, "81001": 20, "87086": 10, "38220": 2, "38221": 2,
    "38230": 1, "38240": 1, "38241": 1, "86812": 1, "S2150": 1, "Q2041": 1, "38228": 1,
}  # fmt: skip
OTHER_DIAGNOSES = [
    "I10", "E11.9", "E78.5", "Z00.00", "Z00.01", "J06.9", "M54.50", "F41.1", "K21.9",
    "E66.9", "N39.0", "R51.9", "Z23", "J45.909", "E03.9", "G47.33", "M17.11", "R10.9",
    "C50.911", "C34.90", "D64.9", "Z79.4", "C92.00", "Z94.84",
]  # fmt: skip
POLICY_DIAGNOSES = [
    "C92.02;Z94.84", "C92.00;Z94.84", "C92.01", "C91.02;Z94.84", "C93.12", "C90.02",
    "C83.30;Z94.84", "D46.9;Z94.84", "C92.02;D89.811", "C92.00;C50.911", "Z94.84",
    "C85.90", "D47.1", "D61.818;Z94.84", "C92.02", "C88.4", "Z85.6;Z94.84", "D57.1",
]  # fmt: skip
FACT_CHOICES: dict[str, list[object]] = {
    "prior_hsct": ["allogeneic", "allogeneic", "allogeneic", "autologous", "none"],
    "prior_hsct_medically_necessary": [True, True, True, False],
    "prior_car_t": [True, False, False],
    "cell_source": ["original_donor", "original_donor", "original_donor", "other_donor"],
    "lymphocytes_genetically_modified": [False, False, False, True],
    "dli_indication": [
        "relapsed_refractory_persistent", "relapsed_refractory_persistent",
        "mixed_chimerism_conversion", "relapse_prophylaxis", "other",
    ],
    "relapse_confirmed": [True, False],
    "high_risk_of_relapse": [True, True, False],
    "hscb_indication": [
        "engraftment_promotion", "engraftment_promotion", "chimerism_enhancement",
        "car_t_cytopenias", "other",
    ],
    "donor_chimerism_percent": [12.5, 49.9, 78.0, 92.0, 100.0],
    "active_gvhd": ["none", "none", "none", "acute", "chronic"],
    "graft_failure": [False, False, True],
}  # fmt: skip
MALFORMED_FACTS = ['{"prior_hsct": "sibling"}', "prior_hsct=allogeneic", '{"donor_type": "x"}']


COMMON = ("prior_hsct", "prior_hsct_medically_necessary", "active_gvhd", "graft_failure")
SECTION_FACTS = {
    "38242": (*COMMON, "cell_source", "lymphocytes_genetically_modified", "dli_indication",
              "relapse_confirmed", "high_risk_of_relapse", "donor_chimerism_percent"),
    "38243": (*COMMON, "prior_car_t", "cell_source", "hscb_indication",
              "donor_chimerism_percent"),
}  # fmt: skip


def fact_templates(rng: random.Random, code: str, count: int = 60) -> list[str]:
    """JSON fact objects as a transplant centre sends them for one service: most complete,
    some partial, about a third describing a request that meets the criteria."""
    names = SECTION_FACTS[code]
    templates = []
    for index in range(count):
        keep = len(names) if index % 3 else rng.randint(2, len(names) - 2)
        chosen = rng.sample(names, keep)
        facts = {n: rng.choice(FACT_CHOICES[n]) for n in chosen}
        if index % 3 == 1:
            facts.update(_meeting(code, rng))
        templates.append(json.dumps(facts))
    return templates


def _meeting(code: str, rng: random.Random) -> dict[str, object]:
    if code == "38242":
        return {
            "prior_hsct": "allogeneic", "prior_hsct_medically_necessary": True,
            "cell_source": "original_donor", "lymphocytes_genetically_modified": False,
            "dli_indication": "relapsed_refractory_persistent",
        }  # fmt: skip
    if rng.random() < 0.5:
        return {"prior_car_t": True, "prior_hsct": "none", "cell_source": "autologous",
                "hscb_indication": "car_t_cytopenias"}  # fmt: skip
    return {
        "prior_hsct": "allogeneic",
        "prior_hsct_medically_necessary": True,
        "cell_source": "original_donor",
        "hscb_indication": "engraftment_promotion",
    }


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values: list[str], salt: int) -> str:
    return f"{_list(values)}[1 + CAST(hash(i, {salt}) % {len(values)} AS BIGINT)]"


def claims_sql(n: int, seed: int) -> str:
    rng = random.Random(seed)
    weighted = [code for code, weight in OTHER_CODES.items() for _ in range(weight)]
    dli, hscb = fact_templates(rng, "38242"), fact_templates(rng, "38243")
    s = seed * 100
    return f"""
    WITH base AS (
      SELECT i, i // 3 AS claim, hash(i, {s + 1}) % 10000 AS roll,
        hash(i // 3, {s + 2}) AS claim_hash
      FROM range({n}) t(i)
    ), lines AS (
      SELECT *,
        CASE WHEN roll < 120 THEN '38242' WHEN roll < 200 THEN '38243'
             ELSE {_pick(weighted, s + 3)} END AS code,
        claim_hash % 900000 AS member,
        DATE '2024-01-01' + CAST(hash(i // 3, {s + 4}) % 1064 AS INTEGER) AS day
      FROM base
    )
    SELECT
      CASE WHEN hash(i, {s + 5}) % 4000 = 0 THEN NULL
           ELSE 'CLM' || lpad(CAST(claim AS VARCHAR), 10, '0') END AS claim_id,
      CAST(i % 3 + 1 AS INTEGER) AS line,
      'M' || lpad(CAST(member AS VARCHAR), 8, '0') AS member_id,
      CASE WHEN hash(i, {s + 6}) % 5000 = 0 THEN 'medicaide'
           ELSE ['medicaid', 'medicaid', 'medicaid', 'medicare', 'medicare', 'marketplace',
                 'commercial', 'commercial'][1 + CAST(claim_hash % 8 AS BIGINT)] END
        AS line_of_business,
      code AS service_code,
      CASE WHEN hash(i, {s + 7}) % 5000 = 0 THEN NULL ELSE day END AS date_of_service,
      CASE WHEN code IN ('38242', '38243') THEN
             CASE WHEN hash(i, {s + 8}) % 300 = 0 THEN 'C99.99;Z94.84'
                  ELSE {_pick(POLICY_DIAGNOSES, s + 9)} END
           ELSE {_pick(OTHER_DIAGNOSES, s + 10)} || ';' || {_pick(OTHER_DIAGNOSES, s + 11)}
      END AS diagnoses,
      CASE WHEN code IN ('38242', '38243') THEN
             CASE WHEN hash(i, {s + 12}) % 10 = 0 THEN NULL
                  WHEN hash(i, {s + 13}) % 400 = 0 THEN {_pick(MALFORMED_FACTS, s + 14)}
                  WHEN code = '38242' THEN {_pick(dli, s + 15)}
                  ELSE {_pick(hscb, s + 15)} END
      END AS facts,
      CAST(CASE WHEN code = '38242' THEN 2000 + hash(i, {s + 16}) % 13000
                WHEN code = '38243' THEN 5000 + hash(i, {s + 16}) % 35000
                ELSE 20 + hash(i, {s + 16}) % 380 END
           + (hash(i, {s + 17}) % 100) / 100.0 AS DECIMAL(12, 2)) AS paid_amount,
      CASE WHEN code IN ('38242', '38243')
           THEN '19' || lpad(CAST(claim_hash % 40 AS VARCHAR), 8, '0')
           ELSE '1' || lpad(CAST(claim_hash % 4000 AS VARCHAR), 9, '0') END AS provider
    FROM lines
    """


def authorizations_sql(claims: str, seed: int) -> str:
    s = seed * 100
    return f"""
    SELECT 'PA-' || lpad(CAST(row_number() OVER (ORDER BY member_id, date_of_service,
             service_code) AS VARCHAR), 8, '0') AS case_id,
      member_id, service_code,
      date_of_service - 14 AS start_date, date_of_service + 45 AS end_date,
      CASE WHEN h % 100 < 88 THEN 'approved' WHEN h % 100 < 95 THEN 'denied'
           ELSE 'pending' END AS status
    FROM (
      SELECT DISTINCT member_id, service_code, date_of_service,
        hash(member_id, service_code, {s + 20}) AS h
      FROM {claims}
      WHERE service_code IN ('38242', '38243') AND date_of_service IS NOT NULL
        AND claim_id IS NOT NULL
    ) p
    WHERE hash(member_id, service_code, {s + 21}) % 100 < 90
    """


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    target = str(path).replace("'", "''")
    options = "(HEADER)" if path.suffix.lower() == ".csv" else "(FORMAT parquet, COMPRESSION zstd)"
    con.execute(f"COPY ({query}) TO '{target}' {options}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of claim lines")
    parser.add_argument("--out", type=Path, default=Path("claims.parquet"))
    parser.add_argument("--authorizations", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE TABLE claims AS {claims_sql(args.n, args.seed)}")
    _copy(con, "SELECT * FROM claims", args.out)
    if args.authorizations is not None:
        _copy(con, authorizations_sql("claims", args.seed), args.authorizations)
    elapsed = time.perf_counter() - started
    print(f"wrote {args.n:,} claim lines to {args.out} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
