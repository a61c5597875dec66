"""examples/agent.py runs offline and prints exactly the streamed run it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = """\
User: What's the weather in Paris and in Atlantis?

Let me check both cities.
[Calling tool: get_weather]
[Calling tool: get_weather]
  ... looking up Paris
  ... looking up Atlantis
  -> get_weather (success): Paris: 18°C, light rain
  -> get_weather (error): Error: LookupError: no weather station in Atlantis
Paris has 18°C and light rain. Atlantis has no weather station, so I cannot say.
"""


def test_agent_example_prints_the_streamed_run() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "agent.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXPECTED
