"""Running an example the way a user does: ``python examples/<name>.py``, with no API keys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")


def example_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without provider keys (so no network), plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if name not in KEYS}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


def run_example(
    name: str, env: Mapping[str, str] | None = None, *, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>`` to its end and return what it printed; fail if it failed."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        encoding="utf-8",
        env=example_env(env),
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{name} exited with {result.returncode}:\n{result.stderr}"
    return result
