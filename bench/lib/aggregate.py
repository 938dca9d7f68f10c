#!/usr/bin/env python3
"""Turns bench/run's results (JSON lines) into the tables of docs/benchmarks.md and the plots.

  aggregate.py --results docs/benchmarks/results-X.jsonl [--results ...] \
               --out docs/benchmarks.md --plots-dir docs/benchmarks [--no-plots]

Every figure is the median over runs of one (server, case, metric). The markdown file keeps
everything outside its `<!-- results:start -->` / `<!-- results:end -->` markers; the section
between them is replaced. Plots (latency.png, memory.png) are drawn by gnuplot when present.
Python 3 standard library only.
"""

import argparse
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True  # keep bench/lib free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plots  # noqa: E402  (lives beside this file)

START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"
SERVER_ORDER = ["gateway", "gateway-before", "node-seed", "rawfan"]
SERVER_TITLES = {
    "gateway": "**notify-gateway** (this project)",
    "gateway-before": "notify-gateway before the change (bench/run --before)",
    "node-seed": "node-seed (seed's design: ws + ioredis)",
    "rawfan": "rawfan (limit reference)",
}
PERCENTILES = [("p50", "p50"), ("p90", "p90"), ("p95", "p95"), ("p99", "p99"), ("p999", "p99.9")]


# --- Loading and medians ------------------------------------------------------------------------

class Results:
    """The measurements of one or more results files, grouped by (server, case)."""

    def __init__(self, paths):
        self.meta = {}
        self.records = []
        self.sources = []
        for path in paths:
            self.sources.append(path)
            with open(path, encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        value = json.loads(line)
                    except json.JSONDecodeError as error:
                        print(f"aggregate: {path}:{number}: skipped, not JSON ({error})",
                              file=sys.stderr)
                        continue
                    if not isinstance(value, dict):
                        continue
                    if "meta" in value:
                        self.meta = self.meta or value["meta"]
                    elif "server" in value and "case" in value:
                        self.records.append(value)
        measured = {r["server"] for r in self.records}
        servers = [name for name in self.meta.get("servers") or [] if name in measured]
        servers += sorted(measured - set(servers))
        known = [name for name in SERVER_ORDER if name in servers]
        self.servers = known + [name for name in servers if name not in known]

    def results(self, server, case):
        """notify-bench's JSON objects of the complete measurements of (server, case)."""
        return [r["result"] for r in self.records
                if r["server"] == server and r["case"] == case and isinstance(r.get("result"), dict)]

    def median(self, server, case, *path):
        """Median over runs of result[path[0]][path[1]]..., or None when never measured."""
        values = []
        for result in self.results(server, case):
            value = result
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.append(float(value))
        return statistics.median(values) if values else None

    def worst(self, server, case, key):
        """Largest value over runs (for counts like lost, where one bad run matters)."""
        values = [r.get(key) for r in self.results(server, case)]
        values = [v for v in values if isinstance(v, (int, float))]
        return max(values) if values else None

    def case_param(self, case, key, default=None):
        return (self.meta.get("cases") or {}).get(case, {}).get(key, default)

    def measured_cases(self):
        cases = list((self.meta.get("cases") or {}).keys())
        return cases + sorted({r["case"] for r in self.records} - set(cases))


# --- Formatting ---------------------------------------------------------------------------------

def thousands(value):
    return "n/a" if value is None else f"{value:,.0f}"


def kib(value_bytes):
    if value_bytes is None:
        return "n/a"
    value = value_bytes / 1024
    return f"{value:.2f} KiB" if value < 10 else f"{value:.1f} KiB"


def ms(value):
    if value is None:
        return "n/a"
    # Enough digits to see which side of a target (0.15, 1, 3 ms) a value falls.
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def percent(value):
    return "n/a" if value is None else f"{value:.0f} %"


def ratio(numerator, denominator):
    if numerator is None or denominator in (None, 0):
        return "n/a"
    value = numerator / denominator
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"


def count_label(connections):
    """10000 -> 10k, 1900 -> 1.9k, 500 -> 500."""
    if not isinstance(connections, (int, float)):
        return "?"
    if connections >= 1000:
        text = f"{connections / 1000:.1f}".rstrip("0").rstrip(".")
        return text + "k"
    return f"{connections:.0f}"


def joined_ms(values):
    """'0.1 / 1.2 ms', or 'n/a' when none was measured."""
    if all(value is None for value in values):
        return "n/a"
    return " / ".join(ms(value) for value in values) + " ms"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- (1) the peers' table -------------------------------------------------------------------------

def peers_table(results):
    idle_small = count_label(results.case_param("idle-10k", "connections"))
    idle_large = count_label(results.case_param("idle-19k", "connections"))
    rate = results.case_param("user", "rate")
    user_rate = f"{rate / 1000:g}k msg/s" if isinstance(rate, (int, float)) else "?"
    single_count = count_label(results.case_param("single-broadcast", "connections"))
    header = ["server", f"idle RSS/conn ({idle_small} / {idle_large})", "connects/s",
              f"user p50 / p99 / p99.9 ({user_rate})", "broadcast deliveries/s", "server CPU",
              "deliveries per server CPU-s", f"1 broadcast → {single_count} p50 / p99",
              "max clients"]
    rows = []
    for server in results.servers:
        med = results.median
        user = [med(server, "user", "latency_ms", key) for key in ("p50", "p99", "p999")]
        single = [med(server, "single-broadcast", "broadcast_ms", key) for key in ("p50", "p99")]
        rows.append([
            SERVER_TITLES.get(server, server),
            " / ".join(kib(med(server, case, "rss_per_connection_bytes"))
                       for case in ("idle-10k", "idle-19k")),
            thousands(med(server, "idle-10k", "connects_per_s")),
            joined_ms(user),
            thousands(med(server, "broadcast", "deliveries_per_s")),
            percent(med(server, "broadcast", "server_cpu_percent")),
            thousands(med(server, "broadcast", "deliveries_per_server_cpu_s")),
            joined_ms(single),
            thousands(med(server, "max-clients", "max_clients")),
        ])
    return table(header, rows)


# --- (2) the targets table ------------------------------------------------------------------------

class Target:
    """One target of issue 3: how to read the metric, and how the gateway is judged."""

    def __init__(self, name, goal, read, show, judge, stretch=None):
        self.name = name
        self.goal = goal
        self.read = read      # (results, server) -> number or None
        self.show = show      # number -> text
        self.judge = judge    # (gateway, node_seed, rawfan) -> True/False/None (None: no data)
        self.stretch = stretch


def at_most(limit):
    return lambda gateway, node_seed, rawfan: None if gateway is None else gateway <= limit


def at_least(limit):
    return lambda gateway, node_seed, rawfan: None if gateway is None else gateway >= limit


def times_rawfan(factor, lower_is_better=False):
    def judge(gateway, node_seed, rawfan):
        if gateway is None or rawfan is None:
            return None
        return gateway <= factor * rawfan if lower_is_better else gateway >= factor * rawfan
    return judge


def metric(case, *path):
    return lambda results, server: results.median(server, case, *path)


def total_lost(case_names):
    def read(results, server):
        found = [results.worst(server, case, "lost") for case in case_names]
        found = [value for value in found if value is not None]
        return sum(found) if found else None
    return read


def targets(results):
    step = results.case_param("max-clients", "step", 1000)
    ceiling = results.case_param("max-clients", "max_connections", 19500)
    all_cases = results.measured_cases()
    return [
        Target("idle RSS per connection at " +
               count_label(results.case_param("idle-10k", "connections")),
               "≤ 2 KiB (stretch 1 KiB)", metric("idle-10k", "rss_per_connection_bytes"), kib,
               at_most(2048), stretch=at_most(1024)),
        Target("idle RSS per connection at " +
               count_label(results.case_param("idle-19k", "connections")),
               "≤ 2 KiB (stretch 1 KiB)", metric("idle-19k", "rss_per_connection_bytes"), kib,
               at_most(2048), stretch=at_most(1024)),
        Target("connects (upgrade + auth) per second", "≥ 0.9× rawfan",
               metric("idle-10k", "connects_per_s"), thousands, times_rawfan(0.9)),
        Target("user routing p50", "≤ 0.15 ms", metric("user", "latency_ms", "p50"),
               lambda v: ms(v) + " ms", at_most(0.15)),
        Target("user routing p99", "≤ 1 ms", metric("user", "latency_ms", "p99"),
               lambda v: ms(v) + " ms", at_most(1.0)),
        Target("user routing p99.9", "≤ 3 ms", metric("user", "latency_ms", "p999"),
               lambda v: ms(v) + " ms", at_most(3.0)),
        Target("user routing lost (worst run)", "0", total_lost(["user"]), thousands, at_most(0)),
        Target("broadcast deliveries/s", "≥ 260,000", metric("broadcast", "deliveries_per_s"),
               thousands, at_least(260_000)),
        Target("broadcast deliveries/s vs rawfan", "≥ 0.8× rawfan",
               metric("broadcast", "deliveries_per_s"), thousands, times_rawfan(0.8)),
        Target("broadcast deliveries per server CPU-s", "≥ 320,000",
               metric("broadcast", "deliveries_per_server_cpu_s"), thousands, at_least(320_000)),
        Target("1 broadcast → all: p99 until the last connection has it", "≤ 1.1× rawfan",
               metric("single-broadcast", "broadcast_ms", "p99"), lambda v: ms(v) + " ms",
               times_rawfan(1.1, lower_is_better=True)),
        Target("max clients with broadcast p95 < 500 ms",
               f"the open-file limit (≥ {thousands(ceiling - step)} of {thousands(ceiling)} tried)",
               metric("max-clients", "max_clients"), thousands, at_least(ceiling - step)),
        Target("messages lost, all scenarios (sum of worst runs)", "0", total_lost(all_cases),
               thousands, at_most(0)),
    ]


def targets_table(results):
    header = ["target", "goal", "gateway (median)", "gateway ÷ node-seed", "gateway ÷ rawfan",
              "result"]
    rows = []
    tally = {"met": 0, "not met": 0, "not measured": 0}
    for target in targets(results):
        gateway = target.read(results, "gateway")
        node_seed = target.read(results, "node-seed")
        rawfan = target.read(results, "rawfan")
        verdict = target.judge(gateway, node_seed, rawfan)
        if verdict is None:
            outcome = "not measured"
            tally["not measured"] += 1
        elif verdict:
            outcome = "met"
            if target.stretch and target.stretch(gateway, node_seed, rawfan):
                outcome = "met (stretch too)"
            tally["met"] += 1
        else:
            outcome = "**not met**"
            tally["not met"] += 1
        lost_row = target.goal == "0"
        rows.append([target.name, target.goal,
                     "n/a" if gateway is None else target.show(gateway),
                     "" if lost_row else ratio(gateway, node_seed),
                     "" if lost_row else ratio(gateway, rawfan), outcome])
    summary = (f"{tally['met']} met, {tally['not met']} not met, "
               f"{tally['not measured']} not measured.")
    return table(header, rows), summary


# --- (2b) this tree against an earlier build of the gateway (bench/run --before) ----------------

# (label, case, metric path, formatter, higher is better)
BEFORE_AFTER_METRICS = [
    ("idle RSS/conn, 10k", "idle-10k", ("rss_per_connection_bytes",), kib, False),
    ("idle RSS/conn, 19k", "idle-19k", ("rss_per_connection_bytes",), kib, False),
    ("connects/s", "idle-10k", ("connects_per_s",), thousands, True),
    ("user p99 (ms)", "user", ("latency_ms", "p99"), ms, False),
    ("broadcast deliveries/s", "broadcast", ("deliveries_per_s",), thousands, True),
    ("deliveries per server CPU-s", "broadcast", ("deliveries_per_server_cpu_s",), thousands, True),
    ("1 broadcast → all, p99 (ms)", "single-broadcast", ("broadcast_ms", "p99"), ms, False),
]


def before_after_table(results):
    """None unless gateway-before was measured."""
    if "gateway-before" not in results.servers:
        return None
    header = ["metric", "gateway (now)", "gateway before", "now ÷ before",
              "now ÷ rawfan", "before ÷ rawfan"]
    rows = []
    for label, case, path, show, _ in BEFORE_AFTER_METRICS:
        now = results.median("gateway", case, *path)
        before = results.median("gateway-before", case, *path)
        if now is None and before is None:
            continue
        rawfan = results.median("rawfan", case, *path)
        rows.append([label, "n/a" if now is None else show(now),
                     "n/a" if before is None else show(before), ratio(now, before),
                     ratio(now, rawfan), ratio(before, rawfan)])
    return table(header, rows)


# --- (3) details and provenance -------------------------------------------------------------------

def details_table(results):
    header = ["case", "server", "runs complete", "connections", "expected", "lost", "duplicates",
              "misrouted", "auth failures", "server / client CPU",
              "latency p50 / p90 / p99 / max"]
    rows = []
    for case in results.measured_cases():
        for server in results.servers:
            records = [r for r in results.records if r["server"] == server and r["case"] == case]
            if not records:
                continue
            complete = len(results.results(server, case))
            med = results.median
            latency = [med(server, case, "latency_ms", k) for k in ("p50", "p90", "p99", "max")]
            rows.append([
                case, server, f"{complete} of {len(records)}",
                thousands(med(server, case, "connections")),
                thousands(med(server, case, "expected")),
                thousands(results.worst(server, case, "lost")),
                thousands(results.worst(server, case, "duplicates")),
                thousands(results.worst(server, case, "misrouted")),
                thousands(results.worst(server, case, "auth_failures")),
                " / ".join(percent(med(server, case, key))
                           for key in ("server_cpu_percent", "client_cpu_percent")),
                joined_ms(latency),
            ])
    return table(header, rows)


def problems(results):
    lines = []
    for record in results.records:
        result = record.get("result") or {}
        trouble = []
        if record.get("error"):
            trouble.append(record["error"])
        elif record.get("exit_code") not in (0, None):
            trouble.append(f"notify-bench exit {record['exit_code']}")
        for key in ("lost", "duplicates", "misrouted", "auth_failures"):
            if isinstance(result.get(key), (int, float)) and result[key] > 0:
                trouble.append(f"{key} {result[key]:,}")
        if trouble:
            lines.append(f"- run {record['run']}, {record['case']}, {record['server']}: "
                         + "; ".join(trouble))
    return lines


def provenance(results, out_dir):
    meta = results.meta
    sources = ", ".join(f"[{os.path.basename(p)}]({os.path.relpath(p, out_dir)})"
                        for p in results.sources)
    lines = [
        f"- Date: {meta.get('date', 'unknown')}",
        f"- Machine: {meta.get('nproc', '?')} cores (nproc), {meta.get('cpu_model', 'unknown CPU')};"
        f" open-file limit {meta.get('open_files', '?')}; client, Redis and server share it",
        f"- Commit: `{meta.get('commit', 'unknown')}`",
        f"- Command: `{meta.get('command', '?')}`",
        f"- Medians of {meta.get('runs', '?')} run(s) per server and case; raw results: {sources}",
    ]
    return lines


def generated_section(results, out_dir, plot_files):
    meta = results.meta
    parts = [START_MARKER,
             "<!-- Generated by bench/lib/aggregate.py from the results file named below; "
             "edits here are overwritten. -->", ""]
    if meta.get("quick"):
        parts += ["> **Quick run** (`--quick`: connection counts ÷ 10, durations ÷ 3). A smoke "
                  "of the suite, not a measurement: the targets below are for the full sizes.", ""]
    parts += ["### Servers side by side", "", peers_table(results), ""]
    comparison = before_after_table(results)
    if comparison:
        parts += ["### This change against the gateway before it", "", comparison, ""]
    target_rows, summary = targets_table(results)
    parts += ["### Targets (issue 3)", "", target_rows, "", summary, ""]
    if plot_files:
        parts += ["### Plots", ""]
        for title, path in plot_files:
            parts.append(f"![{title}]({os.path.relpath(path, out_dir)})")
        parts.append("")
    parts += ["### Every case", "", details_table(results), ""]
    trouble = problems(results)
    if trouble:
        parts += ["Measurements that failed or lost messages:", ""] + trouble + [""]
    parts += ["### Provenance", ""] + provenance(results, out_dir) + ["", END_MARKER]
    return "\n".join(parts)


def write_markdown(path, section):
    try:
        with open(path, encoding="utf-8") as existing:
            text = existing.read()
    except FileNotFoundError:
        text = "# Benchmarks\n\n"
    start = text.find(START_MARKER)
    end = text.find(END_MARKER, start + 1) if start >= 0 else -1
    if start >= 0 and end >= 0:
        text = text[:start] + section + text[end + len(END_MARKER):]
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + section + "\n"
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as updated:
        updated.write(text)
    os.replace(temporary, path)


# --- Plot data ----------------------------------------------------------------------------------

def latency_series(results, case):
    """{server: [(label, ms or None), ...]} of the case's delivery latency percentiles."""
    series = {}
    for server in results.servers:
        values = [(label, results.median(server, case, "latency_ms", key))
                  for key, label in PERCENTILES]
        if all(value is None for _, value in values):
            # Older or partial output: the per-broadcast times are the next best thing.
            values = [(label, results.median(server, case, "broadcast_ms", key))
                      for key, label in (("p50", "p50"), ("p99", "p99"), ("max", "max"))]
        if any(value is not None for _, value in values):
            series[server] = values
    return series


def draw_plots(results, plots_dir):
    user_rate = results.case_param("user", "rate")
    user_title = (f"user: {thousands(user_rate)} msg/s over "
                  f"{thousands(results.case_param('user', 'connections'))} connections")
    single_title = ("one broadcast at a time to "
                    f"{thousands(results.case_param('single-broadcast', 'connections'))} "
                    "connections")
    panels = [(user_title, latency_series(results, "user")),
              (single_title, latency_series(results, "single-broadcast"))]
    memory = {}
    labels = [count_label(results.case_param(case, "connections")) + " idle"
              for case in ("idle-10k", "idle-19k")]
    for server in results.servers:
        values = [results.median(server, case, "rss_per_connection_bytes")
                  for case in ("idle-10k", "idle-19k")]
        if any(value is not None for value in values):
            memory[server] = [None if v is None else v / 1024 for v in values]
    drawn = []
    latency_png = os.path.join(plots_dir, "latency.png")
    if any(series for _, series in panels) and plots.latency_plot(panels, latency_png):
        drawn.append(("Latency percentiles", latency_png))
    memory_png = os.path.join(plots_dir, "memory.png")
    if memory and plots.memory_plot(labels, memory, memory_png):
        drawn.append(("RSS per idle connection", memory_png))
    return drawn


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", action="append", required=True,
                        help="results file (JSON lines) from bench/run; repeatable")
    parser.add_argument("--out", required=True, help="markdown file to update")
    parser.add_argument("--plots-dir", help="where latency.png and memory.png go")
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()

    results = Results([os.path.abspath(path) for path in args.results])
    if not results.records:
        print("aggregate: no measurements in " + ", ".join(args.results), file=sys.stderr)
        return 1
    out = os.path.abspath(args.out)
    out_dir = os.path.dirname(out)
    plot_files = []
    if not args.no_plots:
        plots_dir = os.path.abspath(args.plots_dir or os.path.join(out_dir, "benchmarks"))
        os.makedirs(plots_dir, exist_ok=True)
        plot_files = draw_plots(results, plots_dir)
    write_markdown(out, generated_section(results, out_dir, plot_files))
    _, summary = targets_table(results)
    print(f"aggregate: wrote {out} ({len(results.records)} measurements; targets: {summary})")
    comparison = before_after_table(results)
    if comparison:
        print(comparison)
    for _, path in plot_files:
        print(f"aggregate: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
