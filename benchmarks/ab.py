# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time two whole commands side by side: A B A B ... pairs, whole processes, standard library only.

    python benchmarks/ab.py -n 3 --warmup 1 --a '.venv/bin/python benchmarks/rerun_ab.py' \\
        --b '.venv/bin/python benchmarks/rerun_ab.py --tree build/ab-base'

Each command is split with shlex and run without a shell (its output discarded unless --keep-output), first its
warm-up runs (A then B), then RUNS pairs in turn (A, B, A, B ...). Per run: wall seconds (time.monotonic around the
process's start and wait) and CPU seconds (user + system of the process and the children it waited for, from
getrusage(RUSAGE_CHILDREN) before and after). The report gives min/median/max of wall and CPU for A and for B, the
A/B ratios pair by pair and their median, and every run's exit code. A pair in which either run exits non-zero is
left out of the figures, and the script exits 1 at the end if any run (warm-ups included) exited non-zero."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run_once(argv: list[str], keep: Path | None, label: str) -> dict:
    """Run argv once; its wall and CPU seconds and exit code."""
    outputs = [subprocess.DEVNULL, subprocess.DEVNULL]
    if keep is not None:
        outputs = [(keep / f"{label}.out").open("wb"), (keep / f"{label}.err").open("wb")]
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=outputs[0], stderr=outputs[1])  # pylint: disable=consider-using-with
        rc = proc.wait()
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        for handle in outputs:
            if handle is not subprocess.DEVNULL:
                handle.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 6), "cpu_s": round(cpu, 6), "rc": rc}


def spread(values: list[float]) -> dict | None:
    """min, median and max of values (None when there are none)."""
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def ratio(a: float, b: float) -> float | None:
    """a/b (None when b is 0, e.g. a command that used no measurable CPU)."""
    return a / b if b > 0 else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked; the two commands split into a_argv and b_argv."""
    parser = argparse.ArgumentParser(
        prog="ab.py", description="Time two whole commands side by side (A B A B ... pairs, whole processes).",
        epilog="Example: python benchmarks/ab.py -n 3 --warmup 1 --a 'sleep 0.2' --b 'sleep 0.1'. "
               "Exit status: 0; 1 when any run exited non-zero (such pairs are left out of the figures) or a command could not start; "
               "2 on a usage error.")
    parser.add_argument("-n", "--runs", type=int, default=5, metavar="RUNS", help="pairs to time (default: 5)")
    parser.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs of each command first (default: 1)")
    parser.add_argument("--a", required=True, metavar="COMMAND", help="command A (split with shlex, run without a shell)")
    parser.add_argument("--b", required=True, metavar="COMMAND", help="command B (split with shlex, run without a shell)")
    parser.add_argument("--keep-output", type=Path, metavar="DIR",
                        help="keep each run's stdout and stderr in DIR (A-warmup1.out, A-1.out, A-1.err, ...) instead of discarding them")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("-n must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    for side in ("a", "b"):
        try:
            words = shlex.split(getattr(args, side))
        except ValueError as err:
            parser.error(f"--{side}: {err}")
        if not words:
            parser.error(f"--{side} is empty")
        setattr(args, side + "_argv", words)
    return args


def measure(args: argparse.Namespace) -> dict:
    """Run the warm-ups and the pairs; everything measured, in order."""
    if args.keep_output is not None:
        args.keep_output.mkdir(parents=True, exist_ok=True)
    commands = {"A": args.a_argv, "B": args.b_argv}
    result = {"a": args.a, "b": args.b, "runs": args.runs, "warmup": args.warmup, "load_before": os.getloadavg(),
              "warmups": [], "pairs": []}

    def one(side: str, label: str, what: str) -> dict:
        try:
            run = run_once(commands[side], args.keep_output, f"{side}-{label}")
        except OSError as err:
            sys.exit(f"ab.py: cannot start {side} ({shlex.join(commands[side])}): {err}")
        flag = "" if run["rc"] == 0 else f"  EXIT CODE {run['rc']}"
        print(f"ab.py: {side} {what}: {run['wall_s']:.3f} s wall, {run['cpu_s']:.3f} s cpu{flag}", file=sys.stderr, flush=True)
        return run

    for index in range(1, args.warmup + 1):
        for side in ("A", "B"):
            result["warmups"].append({"side": side, **one(side, f"warmup{index}", f"warm-up {index}/{args.warmup}")})
    for index in range(1, args.runs + 1):
        a = one("A", str(index), f"run {index}/{args.runs}")
        b = one("B", str(index), f"run {index}/{args.runs}")
        ok = a["rc"] == 0 and b["rc"] == 0
        result["pairs"].append({"pair": index, "a": a, "b": b, "counted": ok,
                                "ab_wall": ratio(a["wall_s"], b["wall_s"]), "ab_cpu": ratio(a["cpu_s"], b["cpu_s"])})
    result["load_after"] = os.getloadavg()
    counted = [pair for pair in result["pairs"] if pair["counted"]]
    result["summary"] = {
        "A wall s": spread([pair["a"]["wall_s"] for pair in counted]),
        "B wall s": spread([pair["b"]["wall_s"] for pair in counted]),
        "A cpu s": spread([pair["a"]["cpu_s"] for pair in counted]),
        "B cpu s": spread([pair["b"]["cpu_s"] for pair in counted]),
        "A/B wall": spread([pair["ab_wall"] for pair in counted if pair["ab_wall"] is not None]),
        "A/B cpu": spread([pair["ab_cpu"] for pair in counted if pair["ab_cpu"] is not None]),
    }
    failed = [f"{run['side']} warm-up" for run in result["warmups"] if run["rc"] != 0]
    failed += [f"{side} run {pair['pair']}" for pair in result["pairs"] for side in ("A", "B") if pair[side.lower()]["rc"] != 0]
    result["failed"] = failed
    result["pairs_counted"] = len(counted)
    return result


def number(value: float | None, places: int) -> str:
    """value with places decimals, or n/a."""
    return "n/a" if value is None else f"{value:.{places}f}"


def report(result: dict) -> str:
    """The figures as text: the summary table, then pair by pair with exit codes."""
    lines = [f"A: {result['a']}", f"B: {result['b']}",
             f"{result['runs']} pairs in turn (A B A B ...) after {result['warmup']} warm-up(s) each; whole processes; "
             f"{result['pairs_counted']} pair(s) counted",
             f"load average before/after: {result['load_before'][0]:.2f} / {result['load_after'][0]:.2f}",
             "", f"{'':12}{'min':>12}{'median':>12}{'max':>12}"]
    for name, figures in result["summary"].items():
        places = 4 if name.startswith("A/B") else 3
        if figures is None:
            lines.append(f"{name:12}{'n/a':>12}{'n/a':>12}{'n/a':>12}")
        else:
            lines.append(f"{name:12}" + "".join(f"{number(figures[key], places):>12}" for key in ("min", "median", "max")))
    lines += ["", f"{'pair':>4}{'A wall s':>11}{'B wall s':>11}{'A/B wall':>10}{'A cpu s':>10}{'B cpu s':>10}{'A/B cpu':>9}"
                  f"{'A rc':>6}{'B rc':>6}"]
    for pair in result["pairs"]:
        note = "" if pair["counted"] else "  left out: non-zero exit code"
        lines.append(f"{pair['pair']:>4}{pair['a']['wall_s']:>11.3f}{pair['b']['wall_s']:>11.3f}{number(pair['ab_wall'], 4):>10}"
                     f"{pair['a']['cpu_s']:>10.3f}{pair['b']['cpu_s']:>10.3f}{number(pair['ab_cpu'], 4):>9}"
                     f"{pair['a']['rc']:>6}{pair['b']['rc']:>6}{note}")
    wall = result["summary"]["A/B wall"]
    lines.append("")
    lines.append("median A/B wall: " + (number(wall["median"], 4) if wall else "n/a (no pair counted)"))
    if result["warmups"]:
        lines.append("warm-up exit codes: " + ", ".join(f"{run['side']} {run['rc']}" for run in result["warmups"]))
    if result["failed"]:
        lines.append("FAILED: non-zero exit code in " + ", ".join(result["failed"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print, write --json; 1 when any run exited non-zero."""
    args = parse_args(argv)
    result = measure(args)
    print(report(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
