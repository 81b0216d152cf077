"""Benchmark: `cjmgen build` on N demo lines (Parquet) against a bare polars floor on the same file.

Each measurement runs in its own process so peak memory (max RSS) is that run's alone; the floor is the best of 3.
Reproduce: .venv/bin/python bench/bench_build.py --rows 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPUTE = ("read", "facts", "analysis:rfm", "analysis:cohorts")

FLOOR = """
import sys, time, polars as pl
start = time.perf_counter()
out = (pl.scan_parquet(sys.argv[1]).filter(pl.col("customer_id").is_not_null())
       .group_by("customer_id").agg(pl.col("amount").sum(), pl.col("order_id").n_unique(), pl.col("date").max())
       .collect())
print(time.perf_counter() - start, out.height)
"""


WRAP = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print("__peak_kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start)
sys.exit(done.returncode)
"""


def child(args: list[str]) -> tuple[str, float, float]:
    """Run a command in its own wrapper process; return its stdout, wall seconds and its own peak RSS in MB."""
    done = subprocess.run([sys.executable, "-c", WRAP, *args], capture_output=True, text=True, check=True)
    out, _, tail = done.stdout.rpartition("__peak_kb")
    peak_kb, wall = tail.split()
    return out, float(wall), int(peak_kb) / 1024


def project(rows: int) -> Path:
    """A demo engagement with `rows` lines as Parquet, generated once under bench/data/."""
    folder = HERE / "data" / f"demo-{rows}"
    spec = folder / "project.yaml"
    if not spec.is_file():
        subprocess.run([sys.executable, "-m", "cjmgen", "demo", str(folder), "--rows", str(rows), "--format", "parquet"],
                       check=True, capture_output=True)
    return spec


def measure(rows: int) -> dict:
    spec = project(rows)
    data = spec.parent / "data" / "receipts.parquet"
    floors = [child([sys.executable, "-c", FLOOR, str(data)]) for _ in range(3)]  # best of 3: the VM is noisy
    floor = min(float(out.split()[0]) for out, _, _ in floors)
    floor_peak = max(peak for _, _, peak in floors)
    out = HERE / "data" / f"out-{rows}"
    _, wall, peak = child([sys.executable, "-m", "cjmgen", "build", str(spec), "--out", str(out), "--quiet"])
    timings = json.loads((out / "build.json").read_text())["timings_s"]
    compute = sum(timings.get(k, 0.0) for k in COMPUTE)
    return {"rows": rows, "floor_s": round(floor, 2), "floor_peak_mb": round(floor_peak), "compute_s": round(compute, 2),
            "ratio": round(compute / floor, 2), "wall_s": round(wall, 2), "peak_mb": round(peak), "stages": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args()
    for rows in args.rows:
        r = measure(rows)
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
        print(f"{rows:>11,} lines: compute {r['compute_s']:.2f} s = {r['ratio']:.2f}× floor ({r['floor_s']:.2f} s, "
              f"{r['floor_peak_mb']} MB); whole build {r['wall_s']:.2f} s, peak {r['peak_mb']} MB")
        print(f"{'':>18}stages (s): {stages}")
    print("reproduce: .venv/bin/python bench/bench_build.py --rows " + " ".join(map(str, args.rows)))


if __name__ == "__main__":
    main()
