"""Run every benchmark on LangGraph and streamgraph, alternating, and report the medians.

Usage (what ``make bench`` runs, with the project's Python)::

    .venv/bin/python bench/run.py [--quick] [--reps N] [--only WORKLOAD ...]

Each measurement is a fresh subprocess: streamgraph's worker and the floors run on this Python,
LangGraph's on ``bench/.venv-langgraph`` (created here on first use; LangGraph is never a
dependency of streamgraph). For every workload the runs go LangGraph, streamgraph, floor,
LangGraph, streamgraph, floor, ... so drift in the machine hits all alike.
``BENCH_QUICK=1`` (or ``--quick``) shrinks sizes and repetitions for a smoke run of about a minute.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import importtime
import report
from measure import child_env, median

BENCH = Path(__file__).resolve().parent
SCRIPTS = {
    "langgraph": BENCH / "workloads_langgraph.py",
    "streamgraph": BENCH / "workloads_streamgraph.py",
    "floor": BENCH / "floors.py",
}
TIMEOUT_S = 300
LANGGRAPH_VENV = BENCH / ".venv-langgraph"
LANGGRAPH_REQUIREMENTS = [
    "langgraph>=1.2,<1.3",
    "langchain-core>=1,<2",
    "langgraph-checkpoint-sqlite>=3,<4",
    "matplotlib",
]


@dataclass(frozen=True)
class Workload:
    name: str
    size: int
    quick_size: int
    floor: str | None


WORKLOADS = [
    Workload("messages_sync", 10_000, 2_000, "generator"),
    Workload("messages_async", 10_000, 2_000, "agenerator"),
    Workload("multimode_sync", 10_000, 2_000, "generator"),
    Workload("multimode_async", 10_000, 2_000, "agenerator"),
    Workload("ttft_sync", 200, 100, "thread_handoff"),
    Workload("ttft_async", 200, 100, "asyncio_handoff"),
    Workload("chain", 100, 100, None),
    Workload("fanout", 10, 10, None),
    Workload("concurrent", 1_000, 200, None),
    Workload("chat_storage", 200, 200, None),
]

Samples = dict[str, dict[str, list[dict[str, Any]]]]


def _job(python: str, side: str, workload: str, size: int) -> dict[str, Any]:
    """Run one measurement in a fresh process; its last stdout line is the result."""
    argv = [python, str(SCRIPTS[side]), workload, "--size", str(size)]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TIMEOUT_S, env=child_env()
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S} s"}
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
        return {"error": lines[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _measure(plan: list[Workload], pythons: dict[str, str], reps: int, quick: bool) -> Samples:
    samples: Samples = defaultdict(lambda: defaultdict(list))
    for workload in plan:
        size = workload.quick_size if quick else workload.size
        jobs = [("langgraph", workload.name), ("streamgraph", workload.name)]
        if workload.floor:
            jobs.append(("floor", workload.floor))
        started = time.perf_counter()
        for _ in range(reps):
            for side, name in jobs:
                samples[workload.name][side].append(_job(pythons[side], side, name, size))
        print(f"  {workload.name} (size {size}): {time.perf_counter() - started:.1f} s", flush=True)
    return samples


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-metric medians over the repetitions, or the first error any repetition hit."""
    errors = [run["error"] for run in runs if "error" in run]
    if errors:
        return {"error": errors[0]}
    keys = [key for key, value in runs[0].items() if isinstance(value, int | float)]
    return {key: median(run[key] for run in runs) for key in keys}


def _version(python: str, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "not installed"


def _provider(python: str, quick: bool) -> dict[str, Any]:
    """Workload 7 runs on the project's Python only: streamgraph against the bare SDK."""
    argv = [python, str(BENCH / "provider.py"), *(["--quick"] if quick else [])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, env=child_env())
    if done.returncode:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
        return {"error": lines[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
    parser.add_argument("--quick", action="store_true", default=quick)
    parser.add_argument("--reps", type=int, help="repetitions per workload (default 5, quick 2)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="workloads (and 'import')")
    parser.add_argument("--langgraph-python", default=str(LANGGRAPH_VENV / "bin/python"))
    parser.add_argument("--streamgraph-python", default=sys.executable)
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    return parser.parse_args()


def _ensure_langgraph_venv(python: Path) -> None:
    """Create the LangGraph virtualenv the first time (only the default one: a given path
    is the caller's to build)."""
    if python.exists():
        missing = subprocess.run(
            [str(python), "-c", "import langgraph.checkpoint.sqlite"], capture_output=True
        ).returncode
        if missing and python == LANGGRAPH_VENV / "bin/python":  # a venv made before it was listed
            pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            subprocess.run([*pip, *LANGGRAPH_REQUIREMENTS], check=True)
        return
    if python != LANGGRAPH_VENV / "bin/python":
        sys.exit(f"bench: {python} not found")
    print(f"bench: installing {', '.join(LANGGRAPH_REQUIREMENTS)} into {LANGGRAPH_VENV}")
    subprocess.run([sys.executable, "-m", "venv", str(LANGGRAPH_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *LANGGRAPH_REQUIREMENTS], check=True)


def _meta(pythons: dict[str, str], plan: list[Workload], quick: bool, reps: int) -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        # other work on the machine shows here: figures taken under load are noisier
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "langgraph": _version(pythons["langgraph"], "langgraph"),
        "langchain_core": _version(pythons["langgraph"], "langchain-core"),
        "streamgraph": _version(pythons["streamgraph"], "streamgraph"),
        "quick": quick,
        "reps": reps,
        "sizes": {w.name: w.quick_size if quick else w.size for w in plan},
    }


def _imports(pythons: dict[str, str], quick: bool) -> dict[str, Any]:
    sides = {side: pythons[side] for side in importtime.STATEMENTS}
    return {
        "import": importtime.cold_import(sides, reps=3 if quick else 10),
        "import_top": {side: importtime.top_packages(py, side) for side, py in sides.items()},
    }


def main() -> None:
    args = _parse_args()
    reps = args.reps or (2 if args.quick else 5)
    _ensure_langgraph_venv(Path(args.langgraph_python))
    pythons = {
        "langgraph": args.langgraph_python,
        "streamgraph": args.streamgraph_python,
        "floor": args.streamgraph_python,
    }
    wanted = set(args.only or [w.name for w in WORKLOADS] + ["import", "provider"])
    plan = [w for w in WORKLOADS if w.name in wanted]
    meta = _meta(pythons, plan, args.quick, reps)
    print(f"bench: {reps} repetitions{' (quick)' if args.quick else ''}", flush=True)
    samples = _measure(plan, pythons, reps, args.quick)
    medians: dict[str, Any] = {
        name: {side: _medians(runs) for side, runs in by_side.items()}
        for name, by_side in samples.items()
    }
    if "import" in wanted:
        medians.update(_imports(pythons, args.quick))
        print("  import: done", flush=True)
    if "provider" in wanted:
        medians["provider"] = _provider(pythons["streamgraph"], args.quick)
        print("  provider: done", flush=True)
    rows = report.figures(medians)
    meta["load_average_at_end"] = round(os.getloadavg()[0], 2)
    print()
    print(report.table(meta, rows, medians))
    args.out.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "figures": rows, "medians": medians, "samples": samples}
    (args.out / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    # matplotlib lives in the LangGraph virtualenv, so the chart is drawn there.
    chart = [args.langgraph_python, str(BENCH / "report.py"), str(args.out / "latest.json")]
    subprocess.run([*chart, str(args.out / "ratios.png")], check=True)
    print(f"\nwrote {args.out / 'latest.json'} and {args.out / 'ratios.png'}")


if __name__ == "__main__":
    main()
