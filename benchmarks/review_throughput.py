"""Claims review at plan scale: wall time, CPU time and peak memory of `medpolicy review`.

Usage: ``python benchmarks/review_throughput.py [N] [--engine duckdb|spark] [--dir DIR]``
(N defaults to 10,000,000). Writes N claim lines and their authorizations with
``make_claims.py`` (kept in DIR and reused when already there), then runs the review as a
user would, in its own process, and prints lines per second, the CPU time of the review
process (all threads) and its peak resident memory, with the machine's load average before
and after: on a shared machine the wall time is only as good as the cores it got, while the
CPU time says what the review itself cost.

The targets (issue 14): 10,000,000 lines embedded in under 60 s with less than 4 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _generate(n: int, folder: Path) -> tuple[Path, Path]:
    claims = folder / f"claims-{n}.parquet"
    auths = folder / f"auths-{n}.parquet"
    if not (claims.is_file() and auths.is_file()):
        subprocess.run(
            [
                sys.executable,
                str(HERE / "make_claims.py"),
                str(n),
                "--out",
                str(claims),
                "--authorizations",
                str(auths),
            ],
            check=True,
        )
    return claims, auths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000_000)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "medpolicy-bench")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    claims, auths = _generate(args.n, args.dir)
    out = args.dir / f"report-{args.engine}-{args.n}"
    command = [
        sys.executable, "-m", "medpolicy.cli", "review", str(claims),
        "--authorizations", str(auths), "--out", str(out), "--engine", args.engine,
    ]  # fmt: skip
    load_before = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            print(stderr.read(), file=sys.stderr)
            raise SystemExit(process.returncode)
        print(stdout.read().split("\n\n")[0])
    load_after = os.getloadavg()
    cpu = usage.ru_utime + usage.ru_stime
    print(f"engine            {args.engine}")
    print(f"lines             {args.n:,}")
    print(f"wall              {wall:.1f} s ({args.n / wall:,.0f} lines/s)")
    print(f"cpu (all threads) {cpu:.1f} s ({args.n / cpu:,.0f} lines per CPU-second)")
    print(
        f"peak memory       {usage.ru_maxrss / 1024 / 1024:.2f} GB (resident, the review process)"
    )
    print(f"load average      {load_before[0]:.1f} before, {load_after[0]:.1f} after, on "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"targets           wall < 60 s: {'yes' if wall < 60 else 'NO'}; "
          f"memory < 4 GB: {'yes' if usage.ru_maxrss < 4 * 1024 * 1024 else 'NO'}")  # fmt: skip


if __name__ == "__main__":
    main()
