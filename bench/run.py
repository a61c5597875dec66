"""Run every benchmark on LangGraph and streamgraph, alternating, and report the medians.

Usage (what ``make bench`` runs, with the project's Python)::

    .venv/bin/python bench/run.py [--quick] [--reps N] [--only WORKLOAD ...]

Each measurement is a fresh subprocess: streamgraph's worker and the floors run on this Python,
LangGraph's on ``bench/.venv-langgraph`` (LangGraph is never a dependency of streamgraph). That
virtualenv is built here from the pinned ``bench/requirements-langgraph.txt`` on first use and
whenever the file changes; ``bench/lock.sh`` refreshes the file. For every workload the runs go
LangGraph, streamgraph, floor, LangGraph, streamgraph, floor, ... so drift in the machine hits
all alike.
``BENCH_QUICK=1`` (or ``--quick``) shrinks sizes and repetitions for a smoke run of about a minute.
"""

import argparse
import hashlib
import json
import os
import platform
import shutil
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
# Every package of that virtualenv, pinned (bench/lock.sh compiles it from the .in file).
LANGGRAPH_LOCK = BENCH / "requirements-langgraph.txt"
# The lock's SHA-256 as last installed into the virtualenv; a different one means sync again.
LANGGRAPH_STAMP = LANGGRAPH_VENV / ".installed"


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
    Workload("paced", 1_000, 200, "paced"),
    Workload("chat_storage", 200, 200, None),
]

# streamgraph-only workloads, each one script run once: name -> script
SOLO = {"provider": "provider.py", "close": "close.py"}

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


def _solo(script: str, python: str, quick: bool) -> dict[str, Any]:
    """Workloads 7 and 8 run on the project's Python only: streamgraph against the mock
    provider server, with no LangGraph side."""
    argv = [python, str(BENCH / script), *(["--quick"] if quick else [])]
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


def _uv() -> str | None:
    """The uv that ``make`` installs (``.venv-tools``), else one on ``PATH``."""
    tools = BENCH.parent / ".venv-tools/bin/uv"
    return str(tools) if tools.exists() else shutil.which("uv")


def _ensure_langgraph_venv(python: Path) -> None:
    """Build the LangGraph virtualenv from the lock, the first time and whenever the lock
    changed (only the default one: a given path is the caller's to build)."""
    if python != LANGGRAPH_VENV / "bin/python":
        if not python.exists():
            sys.exit(f"bench: {python} not found")
        return
    digest = hashlib.sha256(LANGGRAPH_LOCK.read_bytes()).hexdigest()
    if python.exists() and LANGGRAPH_STAMP.exists() and LANGGRAPH_STAMP.read_text() == digest:
        return
    print(f"bench: installing {LANGGRAPH_LOCK.name} into {LANGGRAPH_VENV}", flush=True)
    LANGGRAPH_STAMP.unlink(missing_ok=True)
    uv = _uv()
    if uv:
        # sync, not install: the virtualenv ends up holding exactly the lock, nothing more
        venv = [uv, "venv", "-q", "--allow-existing", "--python", sys.executable]
        subprocess.run([*venv, str(LANGGRAPH_VENV)], check=True)
        sync = [uv, "pip", "sync", "-q", "--python", str(python), str(LANGGRAPH_LOCK)]
        subprocess.run(sync, check=True)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(LANGGRAPH_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(LANGGRAPH_LOCK)], check=True)
    LANGGRAPH_STAMP.write_text(digest)


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
    wanted = set(args.only or [w.name for w in WORKLOADS] + ["import", *SOLO])
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
    for name, script in SOLO.items():
        if name in wanted:
            started = time.perf_counter()
            medians[name] = _solo(script, pythons["streamgraph"], args.quick)
            print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)
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
