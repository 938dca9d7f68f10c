#!/usr/bin/env python3
"""Writes the lines of a results file (JSON lines) for bench/run.

The first line describes the run: {"meta": {...}}. Every other line is one measurement:
{"run", "case", "server", "exit_code", "error", "result": notify-bench's JSON line or null}.

  results_file.py params -- --scenario user --connections 10000 ...   -> {"scenario": "user", ...}
  results_file.py meta --date D --nproc N --cpu-model M --commit C --command CMD --runs R
                       --quick true|false --servers a,b --cases JSON --open-files N
  results_file.py record --run R --case C --server S --exit-code E [--error TEXT]
                         --bench-output FILE                           (summary on stderr)
"""

import argparse
import json
import sys


def number_or_text(text):
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def options_to_dict(arguments):
    """notify-bench options (--name value | --flag) as a dict of numbers and strings."""
    params = {}
    index = 0
    while index < len(arguments):
        name = arguments[index]
        if not name.startswith("--"):
            raise SystemExit(f"results_file.py: expected an option, got {name!r}")
        key = name[2:].replace("-", "_")
        if index + 1 < len(arguments) and not arguments[index + 1].startswith("--"):
            params[key] = number_or_text(arguments[index + 1])
            index += 2
        else:
            params[key] = True
            index += 1
    return params


def last_json_object(path):
    """notify-bench's JSON line: the last line of its stdout that parses as a JSON object."""
    try:
        with open(path, encoding="utf-8", errors="replace") as output:
            lines = output.read().splitlines()
    except OSError as error:
        return None, f"cannot read notify-bench's output: {error}"
    for line in reversed(lines):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value, ""
    return None, "notify-bench printed no JSON line"


def summary(record):
    """One line with the figures the case is about, for the progress log."""
    result = record.get("result") or {}
    parts = []

    def add(label, key, unit="", scale=1.0, digits=0):
        value = result.get(key)
        if isinstance(value, (int, float)):
            parts.append(f"{label} {value * scale:,.{digits}f}{unit}")

    add("RSS/conn", "rss_per_connection_bytes", " KiB", 1 / 1024, 2)
    add("connects/s", "connects_per_s")
    add("deliveries/s", "deliveries_per_s")
    add("server CPU", "server_cpu_percent", " %")
    add("max clients", "max_clients")
    latency = result.get("latency_ms") or {}
    if latency:
        parts.append("latency p50/p99/p99.9 " + "/".join(
            f"{latency.get(key, float('nan')):.2f}" for key in ("p50", "p99", "p999")) + " ms")
    broadcast = result.get("broadcast_ms") or {}
    if broadcast:
        parts.append("broadcast p50/p99 " + "/".join(
            f"{broadcast.get(key, float('nan')):.0f}" for key in ("p50", "p99")) + " ms")
    if "lost" in result:
        parts.append(f"lost {result['lost']}")
    if record["error"]:
        parts.append("ERROR: " + record["error"])
    elif record["exit_code"] != 0:
        parts.append(f"notify-bench exit {record['exit_code']}")
    return f"  -> {record['server']} {record['case']} run {record['run']}: " + ", ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="action", required=True)
    params = commands.add_parser("params")
    params.add_argument("options", nargs=argparse.REMAINDER)
    meta = commands.add_parser("meta")
    for name in ("date", "nproc", "cpu-model", "commit", "command", "runs", "quick", "servers",
                 "cases", "open-files"):
        meta.add_argument("--" + name, required=True)
    record = commands.add_parser("record")
    for name in ("run", "case", "server", "exit-code", "bench-output"):
        record.add_argument("--" + name, required=True)
    record.add_argument("--error", default="")
    args = parser.parse_args()

    if args.action == "params":
        options = args.options[1:] if args.options[:1] == ["--"] else args.options
        print(json.dumps(options_to_dict(options)))
    elif args.action == "meta":
        print(json.dumps({"meta": {
            "date": args.date,
            "nproc": int(args.nproc),
            "cpu_model": args.cpu_model,
            "commit": args.commit,
            "command": args.command,
            "runs": int(args.runs),
            "quick": args.quick == "true",
            "servers": [name for name in args.servers.split(",") if name],
            "cases": json.loads(args.cases),
            "open_files": number_or_text(args.open_files),
        }}))
    else:
        # A server that died mid-run still leaves notify-bench's figures: keep both.
        result, output_error = last_json_object(args.bench_output)
        line = {
            "run": int(args.run),
            "case": args.case,
            "server": args.server,
            "exit_code": int(args.exit_code),
            "error": args.error or output_error,
            "result": result,
        }
        print(json.dumps(line))
        print(summary(line), file=sys.stderr)
        if line["error"]:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
