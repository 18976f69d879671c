"""Robustness and select at 10k and 100k candidates (SYNTHETIC score matrices and points).

Run as ``python -m benchmarks.bench_decide``; each case runs in a fresh process (time and peak
memory of that process). ``main()`` returns the Markdown section.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from benchmarks.common import emit, fmt_mb, fmt_s, run_fresh

SIZES = {"10k": 10_000, "100k": 100_000}
CRITERIA = 6
SAMPLES = 2000


def synthetic_scores(n: int, seed: int = 0):
    """SYNTHETIC: n candidates x 6 criteria, scores like a real run's (many 100s, a spread
    below), 85% passing, weights 3,2,2,2,1,1."""
    rng = np.random.default_rng(seed)
    scores = np.clip(rng.normal(75, 25, (n, CRITERIA)), 0, 100)
    passes = rng.random(n) < 0.85
    return scores, passes, np.array([3.0, 2, 2, 2, 1, 1])


def case_robustness(n: int) -> dict:
    from geoschikt.decide.robustness import one_at_a_time, rank_acceptability

    scores, passes, weights = synthetic_scores(n)
    cpu = time.process_time()
    start = time.perf_counter()
    acc = rank_acceptability(scores, passes, weights, samples=SAMPLES, spread=0.5, top=10)
    mid = time.perf_counter()
    one_at_a_time(scores, passes, weights, tuple("abcdef"), spread=0.5, top=10)
    end = time.perf_counter()
    return {
        "case": f"robustness {n}",
        "seconds": round(mid - start, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "oat_seconds": round(end - mid, 2),
        "contested": int(((acc.p_top > 0) & (acc.p_top < 1)).sum()),
    }


def case_select(n: int, k: int = 40, spacing: float = 2000.0) -> dict:
    """SYNTHETIC: n points uniform in a 20 x 20 km municipality, suitability in 0.1 steps."""
    from geoschikt.decide.select import Problem, greedy, select

    rng = np.random.default_rng(1)
    passes = rng.random(n) < 0.85
    suit = np.round(np.clip(rng.normal(60, 12, n), 0, 100), 1)[passes]
    xy = rng.uniform(0, 20_000, (n, 2))[passes]
    problem = Problem(suit, xy, spacing, k=k)
    cpu = time.process_time()
    start = time.perf_counter()
    sel = select(problem, time_limit_s=120)
    seconds = time.perf_counter() - start
    base = greedy(problem)
    return {
        "case": f"select {n}",
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "eligible": problem.n,
        "in_model": sel.considered,
        "gap": sel.gap,
        "optimal": sel.optimal,
        "milp_sum": round(sel.suitability, 1),
        "greedy_sum": round(float(suit[base].sum()), 1),
    }


def main() -> str:
    rows = []
    for what in ("robustness", "select"):
        for label in SIZES:
            run = run_fresh(["benchmarks.bench_decide", "--case", what, "--size", label])
            if not run.ok:
                rows.append(f"| {what} | {label} | failed: {run.error} | | | |")
                continue
            r = run.result
            extra = (
                f"2,000 weightings; one-at-a-time {r['oat_seconds']} s"
                if what == "robustness"
                else f"K=40, 2 km; {r['in_model']} of {r['eligible']} in the model; "
                f"gap {r['gap']:.0%}; MILP {r['milp_sum']} vs greedy {r['greedy_sum']}"
            )
            rows.append(
                f"| {what} | {label} | {fmt_s(r['seconds'])} | {fmt_s(r['cpu_seconds'])} | "
                f"{fmt_mb(run.peak_mb)} | {extra} |"
            )
    head = [
        "## Decisions: robustness and select (SYNTHETIC score matrices)",
        "",
        f"Load average when measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| command | candidates | wall s | CPU s | peak MB | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    return "\n".join(head + rows) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", choices=["robustness", "select"])
    parser.add_argument("--size", choices=list(SIZES))
    args = parser.parse_args()
    if args.case:
        n = SIZES[args.size]
        emit(case_robustness(n) if args.case == "robustness" else case_select(n))
        sys.exit(0)
    print(main())
