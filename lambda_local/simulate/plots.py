"""Ready-made matplotlib plots of a simulation and of a tuning run.

Each function draws on ``ax`` when given and returns the Figure; without ``ax`` it makes a Figure that is not
registered with pyplot, so a notebook shows it once (as the cell's value) and nothing piles up in memory.
"""

from __future__ import annotations

import math

__all__ = ["plot_concurrency", "plot_latency", "plot_cost", "plot_tuning"]

PERCENTILES = (50, 90, 99, 99.9)  # the latency percentiles every summary, table and plot shows


def _inline_in_notebooks() -> None:
    """In a notebook kernel, make a returned Figure display as an image even before pyplot was ever used."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    from matplotlib.figure import Figure

    if Figure not in formatter.type_printers:
        shell.run_line_magic("matplotlib", "inline")


def _axes(ax, size=(9, 4)):
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    _inline_in_notebooks()
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _time_axis(timeline):
    span = len(timeline) * timeline.interval
    if span > 3 * 3600:
        return [t / 3600 for t in timeline.time], "hours"
    if span > 600:
        return [t / 60 for t in timeline.time], "minutes"
    return timeline.time, "seconds"


def plot_concurrency(result, ax=None):
    """Concurrency, live environments and the account limit over time; cold starts and throttles as bars below."""
    fig, ax = _axes(ax, (9, 5))
    timeline = result.timeline
    x, unit = _time_axis(timeline)
    width = (x[1] - x[0]) if len(x) > 1 else 1.0
    ax.step(x, list(timeline.concurrency), where="post", label="concurrency (peak in interval)", color="C0")
    ax.step(x, list(timeline.environments), where="post", label="environments alive", color="C2", alpha=0.8)
    ax.axhline(result.concurrency_limit, color="grey", linestyle="--", linewidth=1, label="account concurrency")
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("requests in flight / environments")
    twin = ax.twinx()
    twin.bar(x, list(timeline.throttles), width=width, align="edge", color="C3", alpha=0.35, label="throttles")
    twin.bar(x, list(timeline.cold_starts), width=width, align="edge", color="C1", alpha=0.35, label="cold starts")
    twin.set_ylabel(f"per {timeline.interval:g} s")
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(lines + more, labels + more_labels, loc="upper right", fontsize="small")
    ax.set_title("Concurrency and throttles")
    return fig


def plot_latency(result, ax=None):
    """Latency percentiles (Init Duration + Duration) of all invocations against warm ones only."""
    fig, ax = _axes(ax)
    groups = [(name, fn) for name, fn in result.functions.items() if fn.latency.count]
    labels = [f"p{p:g}" for p in PERCENTILES]
    bars = [(f"{name}: all" if len(groups) > 1 else "all invocations", fn.latency) for name, fn in groups]
    bars += [(f"{name}: warm" if len(groups) > 1 else "warm only (no cold starts)", fn.latency_warm)
             for name, fn in groups]
    width = 0.8 / max(1, len(bars))
    for i, (label, hist) in enumerate(bars):
        values = [hist.percentile(p) if hist.count else 0.0 for p in PERCENTILES]
        positions = [j + (i - (len(bars) - 1) / 2) * width for j in range(len(labels))]
        ax.bar(positions, values, width=width, label=label)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylabel("ms")
    if any(h.count and h.max > 0 for _, h in bars):
        top = max(h.max for _, h in bars)
        low = min((h.percentile(50) for _, h in bars if h.count), default=1.0)
        if low > 0 and top / low > 50:
            ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.set_title("Latency percentiles, with and without cold starts")
    return fig


def plot_cost(result, ax=None):
    """The bill of the simulated traffic, one bar per line."""
    fig, ax = _axes(ax, (8, 3.5))
    lines = [line for line in result.bill().lines if line.amount]
    if not lines:
        lines = list(result.bill().lines)
    names = [line.item for line in lines][::-1]
    amounts = [float(line.amount) for line in lines][::-1]
    ax.barh(names, amounts, color="C4")
    for y, amount in enumerate(amounts):
        ax.annotate(_usd(amount), (amount, y), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize="small")
    ax.set_xlabel("USD (list price, simulated time)")
    ax.set_title(f"Cost breakdown: {_usd(float(result.bill().total))} in total")
    ax.margins(x=0.25)
    return fig


def plot_tuning(tuning, ax=None):
    """Duration (left axis) and cost per million invocations (right axis) for each memory size."""
    fig, ax = _axes(ax)
    rows = tuning.rows
    x = list(range(len(rows)))
    ax.plot(x, [r.duration_ms for r in rows], marker="o", color="C0", label="duration")
    ax.set_xticks(x, [f"{r.memory_mb:,}" for r in rows])
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("duration (ms)", color="C0")
    twin = ax.twinx()
    twin.plot(x, [float(r.cost_per_million_usd) for r in rows], marker="s", color="C3", label="cost")
    twin.set_ylabel("USD per million invocations", color="C3")
    try:
        cheap, fast = tuning.cheapest, tuning.fastest
    except ValueError:
        cheap = fast = None
    title = f"Memory tuning: {tuning.function}"
    if cheap is not None:
        title += f" (cheapest {cheap.memory_mb:,} MB, fastest {fast.memory_mb:,} MB)"
    ax.set_title(title)
    return fig


def _usd(amount: float) -> str:
    if amount == 0:
        return "$0"
    digits = max(2, -math.floor(math.log10(abs(amount))) + 2)
    return f"${amount:,.{digits}f}"
