"""Turn the medians into figures with ratios and targets, a text table, and a PNG chart.

A ratio says how many times better streamgraph does than LangGraph on a figure: LangGraph's value
over streamgraph's where lower is better (time, memory), the inverse where higher is better
(throughput). A streamgraph-only figure may have an absolute target instead (a value to stay
under). Targets are printed as PASS or MISS, never asserted.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Row = dict[str, Any]


@dataclass(frozen=True)
class Figure:
    label: str
    workload: str
    metric: str
    better: Literal["lower", "higher"] = "lower"
    target: float | None = None  # streamgraph must be this many times better
    floor_metric: str | None = None
    floor_side: str = "floor"
    within_floor: float | None = None  # streamgraph must stay within this multiple of the floor
    under: float | None = None  # streamgraph's value must be below this (a streamgraph-only figure)


FIGURES = [
    Figure(
        "1 messages sync, µs/token",
        "messages_sync",
        "us_per_token",
        target=10,
        floor_metric="us_per_token",
    ),
    Figure(
        "1 messages async, µs/token",
        "messages_async",
        "us_per_token",
        target=15,
        floor_metric="us_per_token",
    ),
    Figure(
        "2 messages+updates sync, µs/token",
        "multimode_sync",
        "us_per_token",
        floor_metric="us_per_token",
    ),
    Figure(
        "2 messages+updates async, µs/token",
        "multimode_async",
        "us_per_token",
        floor_metric="us_per_token",
    ),
    Figure(
        "3 added TTFT sync, µs", "ttft_sync", "added_ttft_us", target=10, floor_metric="ttft_us"
    ),
    Figure(
        "3 added TTFT async, µs", "ttft_async", "added_ttft_us", target=10, floor_metric="ttft_us"
    ),
    Figure(
        "3 token delay p50 sync, µs",
        "ttft_sync",
        "delay_p50_us",
        target=10,
        floor_metric="delay_p50_us",
        within_floor=2,
    ),
    Figure(
        "3 token delay p99 sync, µs",
        "ttft_sync",
        "delay_p99_us",
        target=10,
        floor_metric="delay_p99_us",
        within_floor=2,
    ),
    Figure(
        "3 token delay p50 async, µs",
        "ttft_async",
        "delay_p50_us",
        target=10,
        floor_metric="delay_p50_us",
        within_floor=2,
    ),
    Figure(
        "3 token delay p99 async, µs",
        "ttft_async",
        "delay_p99_us",
        target=10,
        floor_metric="delay_p99_us",
        within_floor=2,
    ),
    Figure("4 100-node chain, µs/step", "chain", "us_per_step", target=15),
    Figure("4 10-way fan-out, µs/run", "fanout", "us_per_run", target=15),
    Figure(
        "5 cold import, ms",
        "import",
        "import_ms",
        target=10,
        floor_metric="bare_python_ms",
        floor_side="streamgraph",
    ),
    Figure(
        "6 zero-delay (runs execute one after another), tokens/s",
        "concurrent",
        "tokens_per_s",
        "higher",
        target=20,
    ),
    Figure(
        "6b paced runs at once, tokens per CPU-second",
        "paced",
        "tokens_per_cpu_s",
        "higher",
        target=10,
        floor_metric="tokens_per_cpu_s",
    ),
    Figure(
        "6b paced runs, tokens/s (capped by the pacing)",
        "paced",
        "tokens_per_s",
        "higher",
        floor_metric="tokens_per_s",
    ),
    *(
        Figure(
            f"6b paced runs, {label}",
            "paced",
            metric,
            target=10,
            floor_metric=metric,
        )
        for label, metric in [
            ("1st token p50 ms", "first_token_p50_ms"),
            ("1st token p99 ms", "first_token_p99_ms"),
            ("peak RSS growth MiB", "rss_growth_mib"),
            ("loop lag p50 ms", "loop_lag_p50_ms"),
            ("loop lag p99 ms", "loop_lag_p99_ms"),
            ("loop lag max ms", "loop_lag_max_ms"),
        ]
    ),
    Figure("7 provider TTFT, µs (floor: bare SDK)", "provider", "ttft_us", floor_metric="ttft_us"),
    Figure("7 provider added TTFT, µs", "provider", "added_ttft_us"),
    Figure(
        "7 provider µs/token, full speed (floor: SDK)",
        "provider",
        "us_per_token",
        floor_metric="us_per_token",
    ),
    Figure(
        "7 provider token delay p50, µs (floor: SDK)",
        "provider",
        "delay_p50_us",
        floor_metric="delay_p50_us",
    ),
    Figure(
        "8 close, silent provider, sync node in a thread: closed p50 ms",
        "close",
        "closed_p50_ms",
    ),
    Figure(
        "8 close, silent provider, sync node in a thread: closed p99 ms",
        "close",
        "closed_p99_ms",
        under=100,
    ),
    Figure("9 200-turn chat, SQLite bytes kept, kB", "chat_storage", "stored_kb", target=10),
    Figure("9 200-turn chat, SQLite file, kB", "chat_storage", "file_kb"),
    Figure("9 200-turn chat, ms/turn", "chat_storage", "ms_per_turn"),
]


def _value(medians: dict[str, Any], workload: str, side: str, metric: str | None) -> Any:
    by_side = medians.get(workload) or {}
    values = by_side.get(side) or {}
    if metric is None:
        return None
    if "error" in values or "skipped" in values:
        return values.get("error") or values.get("skipped")
    return values.get(metric)


def _ratio(lg: Any, sg: Any, better: str) -> float | None:
    if not isinstance(lg, int | float) or not isinstance(sg, int | float):
        return None
    if better == "higher":
        return sg / lg if lg > 0 else None
    if sg <= 0:
        return float("inf") if lg > 0 else None
    return lg / sg


def _verdict(figure: Figure, ratio: float | None, sg: Any, floor: Any) -> str:
    if figure.under is not None:
        return "PASS" if isinstance(sg, int | float) and sg < figure.under else "MISS"
    if figure.target is None and figure.within_floor is None:
        return ""
    if ratio is None:
        return "n/a"
    ok = ratio >= (figure.target or 0)
    if figure.within_floor is not None and isinstance(floor, int | float):
        ok = ok and isinstance(sg, int | float) and sg <= figure.within_floor * floor
    return "PASS" if ok else "MISS"


def figures(medians: dict[str, Any]) -> list[Row]:
    """One row per figure that was measured in this run."""
    rows = []
    for figure in FIGURES:
        by_side = medians.get(figure.workload)
        if not isinstance(by_side, dict) or "skipped" in by_side or "error" in by_side:
            continue  # not run, or the whole workload could not run (table() says why)
        lg = _value(medians, figure.workload, "langgraph", figure.metric)
        sg = _value(medians, figure.workload, "streamgraph", figure.metric)
        floor = _value(medians, figure.workload, figure.floor_side, figure.floor_metric)
        ratio = _ratio(lg, sg, figure.better)
        target = f"≥{figure.target:g}x" if figure.target else ""
        if figure.within_floor:
            target += f", ≤{figure.within_floor:g}x floor"
        if figure.under is not None:
            target = f"<{figure.under:g}"
        rows.append(
            {
                "figure": figure.label,
                "langgraph": lg,
                "streamgraph": sg,
                "floor": floor,
                "ratio": None if ratio == float("inf") else ratio,
                "ratio_text": _fmt_ratio(ratio),
                "target": target,
                "verdict": _verdict(figure, ratio, sg, floor),
            }
        )
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return "error"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if ratio == float("inf"):
        return "inf"
    return f"{ratio:.1f}x" if ratio < 100 else f"{ratio:.0f}x"


COLUMNS = ("figure", "LangGraph", "streamgraph", "floor", "ratio", "target", "")


def table(meta: dict[str, Any], rows: list[Row], medians: dict[str, Any]) -> str:
    """The run as plain text: a header, one line per figure, then notes and errors."""
    cells = [COLUMNS] + [
        (
            row["figure"],
            _fmt(row["langgraph"]),
            _fmt(row["streamgraph"]),
            _fmt(row["floor"]),
            row["ratio_text"],
            row["target"],
            row["verdict"],
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        f"LangGraph {meta['langgraph']} (langchain-core {meta['langchain_core']}) vs streamgraph "
        f"{meta['streamgraph']}; Python {meta['python']}, {meta['machine']}; medians of "
        f"{meta['reps']} runs{' (quick sizes)' if meta['quick'] else ''}",
        "sizes: " + ", ".join(f"{name} {size:,}" for name, size in meta["sizes"].items()),
        f"1-minute load average: {meta['load_average_at_start']} at start, "
        f"{meta['load_average_at_end']} at end",
        "",
    ]
    for line in cells:
        text = "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        lines.append(text.rstrip())
    lines.extend(_notes(rows, medians))
    return "\n".join(lines)


def _notes(rows: list[Row], medians: dict[str, Any]) -> list[str]:
    notes = [""]
    verdicts = [row["verdict"] for row in rows if row["verdict"]]
    notes.append(f"targets: {verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS")
    for workload in ("ttft_sync", "ttft_async"):
        for side in ("langgraph", "streamgraph"):
            ahead = _value(medians, workload, side, "first_token_before_node_end_us")
            if isinstance(ahead, int | float):
                notes.append(
                    f"streaming check, {workload}, {side}: first token reached the consumer "
                    f"{ahead / 1000:.1f} ms before the model node returned"
                )
    notes.extend(_paced_notes(medians))
    close = (medians.get("close") or {}).get("streamgraph") or {}
    if "trials" in close:
        notes.append(
            f"close: {close['late_trials']} of {close['trials']} trials not closed within 1 s "
            f"(each counted as 1 s); aclose() returned in {close['aclose_p50_ms']:.2f} ms (p50)"
        )
    for side, top in (medians.get("import_top") or {}).items():
        listed = ", ".join(f"{name} {ms:.1f}" for name, ms in top)
        notes.append(f"-X importtime, {side}, top packages by self time (ms): {listed}")
    for workload, by_side in medians.items():
        if not isinstance(by_side, dict):
            continue
        if "skipped" in by_side:
            notes.append(f"{workload}: skipped: {by_side['skipped']}")
        if isinstance(by_side.get("error"), str):
            notes.append(f"{workload}: error: {by_side['error']}")
        for side, values in by_side.items():
            if isinstance(values, dict) and "error" in values:
                notes.append(f"{workload} / {side}: error: {values['error']}")
    return notes


def _paced_notes(medians: dict[str, Any]) -> list[str]:
    by_side = medians.get("paced") or {}
    sides = [
        side for side in ("langgraph", "streamgraph", "floor") if "wall_ms" in by_side.get(side, {})
    ]
    if not sides:
        return []
    pacing = by_side[sides[0]]["paced_wall_ms"]
    walls = ", ".join(f"{side} {by_side[side]['wall_ms']:,.0f}" for side in sides)
    peaks = ", ".join(f"{side} {by_side[side]['peak_in_flight']:.0f}" for side in sides)
    launch = ", ".join(
        f"{side} {by_side[side]['first_token_from_launch_p50_ms']:,.1f} / "
        f"{by_side[side]['first_token_from_launch_p99_ms']:,.1f}"
        for side in sides
    )
    return [
        f"paced: wall ms {walls}, against {pacing:,.0f} for the pacing alone; "
        f"runs in flight at once at the peak: {peaks}",
        f"paced: 1st token p50 / p99 ms counted from the launch of all runs (start-up queue "
        f"included) instead of each run's start: {launch}",
    ]


def chart(rows: list[Row], meta: dict[str, Any], path: Path) -> None:
    """Bar chart of the ratios against their targets (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [row for row in rows if row["ratio"] is not None]
    labels = [row["figure"] for row in shown][::-1]
    ratios = [row["ratio"] for row in shown][::-1]
    colors = [
        {"PASS": "#2a9d8f", "MISS": "#e76f51"}.get(row["verdict"], "#8d99ae") for row in shown
    ][::-1]
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(shown) + 1.6))
    ax.barh(labels, ratios, color=colors)
    for y, row in enumerate(shown[::-1]):
        target = row["target"].split("x")[0].lstrip("≥")
        if target and row["target"].startswith("≥"):
            ax.plot([float(target)] * 2, [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax.set_xscale("log")
    ax.axvline(1, color="grey", linewidth=0.8)
    ax.set_xlabel("times better than LangGraph (log scale); black tick = target")
    for y, ratio in enumerate(ratios):
        ax.text(ratio * 1.03, y, f"{ratio:.1f}x", va="center", fontsize=8)
    quick = ", quick sizes" if meta["quick"] else ""
    ax.set_title(
        f"streamgraph {meta['streamgraph']} vs LangGraph {meta['langgraph']}: medians of "
        f"{meta['reps']} runs{quick} ({meta['date']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    # python bench/report.py RESULTS.json CHART.png: draw the chart of a finished run
    document = json.loads(Path(sys.argv[1]).read_text())
    chart(document["figures"], document["meta"], Path(sys.argv[2]))
