"""Workload 5: what importing the graph builder costs a fresh process.

The figure is the wall time of ``python -c "from <pkg>.graph import StateGraph"`` minus that of
``python -c pass`` on the same interpreter, the runs of all four commands alternating.
``-X importtime`` then tells which top-level packages the time goes to.
"""

import subprocess
import tempfile
import time
from collections import defaultdict

from measure import child_env, median

# Run from a neutral directory: ``-c`` puts the working directory first on sys.path, and a
# checkout there would be imported instead of the installed package.
NEUTRAL_CWD = tempfile.gettempdir()

STATEMENTS = {
    "langgraph": "from langgraph.graph import StateGraph",
    "streamgraph": "from streamgraph.graph import StateGraph",
}


def _wall_ms(python: str, code: str) -> float:
    start = time.perf_counter_ns()
    subprocess.run(
        [python, "-c", code], check=True, capture_output=True, cwd=NEUTRAL_CWD, env=child_env()
    )
    return (time.perf_counter_ns() - start) / 1e6


def cold_import(pythons: dict[str, str], reps: int) -> dict[str, dict[str, float]]:
    """Median import and bare-start times per side, in ms; ``pythons`` maps side to interpreter."""
    commands = [(side, kind) for side in pythons for kind in ("bare", "import")]
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rep in range(reps + 1):  # the first round only writes bytecode caches and warms disks
        for side, kind in commands:
            code = STATEMENTS[side] if kind == "import" else "pass"
            elapsed = _wall_ms(pythons[side], code)
            if rep:
                samples[side, kind].append(elapsed)
    out = {}
    for side in pythons:
        bare = median(samples[side, "bare"])
        full = median(samples[side, "import"])
        out[side] = {"import_ms": full - bare, "process_ms": full, "bare_python_ms": bare}
    return out


def top_packages(python: str, side: str, top: int = 5) -> list[tuple[str, float]]:
    """The top-level packages with the most self time under ``-X importtime``, in ms."""
    run = subprocess.run(
        [python, "-X", "importtime", "-c", STATEMENTS[side]],
        check=True,
        capture_output=True,
        text=True,
        cwd=NEUTRAL_CWD,
        env=child_env(),
    )
    per_package: dict[str, float] = defaultdict(float)
    for line in run.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        package = parts[2].strip().split(".")[0]
        per_package[package] += int(parts[0]) / 1000
    ranked = sorted(per_package.items(), key=lambda item: item[1], reverse=True)
    return [(name, round(ms, 2)) for name, ms in ranked[:top]]
