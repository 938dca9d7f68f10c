"""gnuplot drawings for aggregate.py: latency percentiles and RSS per idle connection."""

import os
import shutil
import subprocess
import sys
import tempfile

COLORS = {"gateway": "#1b7837", "gateway-before": "#a6dba0", "node-seed": "#2166ac", "rawfan": "#b2182b"}
FALLBACK_COLORS = ["#762a83", "#e08214", "#4d4d4d"]


def color_of(server, index):
    return COLORS.get(server, FALLBACK_COLORS[index % len(FALLBACK_COLORS)])


def quoted(text):
    """A gnuplot string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def cell(value):
    return "?" if value is None else f"{value:.6g}"


def run_gnuplot(script, png):
    """Runs the script with pngcairo (anti-aliased) or, failing that, the plain png terminal."""
    if shutil.which("gnuplot") is None:
        print("aggregate: gnuplot is missing (Debian package gnuplot-nox): no " +
              os.path.basename(png), file=sys.stderr)
        return False
    for terminal in ("pngcairo size 1200,520 font 'sans,10'", "png size 1200,520"):
        text = f"set terminal {terminal}\nset output {quoted(png)}\n" + script
        done = subprocess.run(["gnuplot"], input=text, text=True, capture_output=True,
                              check=False)
        if done.returncode == 0 and os.path.exists(png) and os.path.getsize(png) > 0:
            return True
        error = done.stderr.strip()
    print(f"aggregate: gnuplot failed for {os.path.basename(png)}: {error}", file=sys.stderr)
    return False


def latency_plot(panels, png):
    """panels: [(title, {server: [(label, ms or None), ...]})], drawn side by side, log y."""
    with tempfile.TemporaryDirectory(prefix="bench-plot-") as scratch:
        script = ["set multiplot layout 1,%d title 'Delivery latency, publish → receive "
                  "(medians over runs)'" % len(panels),
                  "set datafile missing '?'", "set logscale y 10", "set grid ytics mytics",
                  "set ylabel 'ms (log scale)'", "set key top left", "set offsets 0.3,0.3,0,0",
                  "set yrange [*:*]"]
        for number, (title, series) in enumerate(panels):
            script.append(f"set title {quoted(title)}")
            if not series:
                script += ["unset logscale y", "set yrange [0:1]", "unset key",
                           "set label 1 'not measured' at graph 0.5,0.5 center",
                           "plot NaN notitle", "unset label 1", "set logscale y 10",
                           "set yrange [*:*]", "set key top left"]
                continue
            servers = list(series)
            labels = [label for label, _ in series[servers[0]]]
            data = os.path.join(scratch, f"latency{number}.dat")
            with open(data, "w", encoding="utf-8") as out:
                out.write("percentile " + " ".join(servers) + "\n")
                for row, label in enumerate(labels):
                    values = [series[server][row][1] if row < len(series[server]) else None
                              for server in servers]
                    out.write(label + " " + " ".join(cell(v) for v in values) + "\n")
            plots = []
            for index, server in enumerate(servers):
                plots.append(f"{quoted(data)} using {index + 2}:xtic(1) with linespoints "
                             f"lw 2 pt 7 ps 1.2 lc rgb {quoted(color_of(server, index))} "
                             f"title {quoted(server)}")
            script.append("plot " + ", ".join(plots))
        script.append("unset multiplot")
        return run_gnuplot("\n".join(script) + "\n", png)


def memory_plot(labels, memory, png):
    """labels: the idle cases (e.g. '10k idle'); memory: {server: [KiB or None per label]}."""
    with tempfile.TemporaryDirectory(prefix="bench-plot-") as scratch:
        data = os.path.join(scratch, "memory.dat")
        with open(data, "w", encoding="utf-8") as out:
            out.write("server " + " ".join(quoted(label) for label in labels) + "\n")
            for server, values in memory.items():
                out.write(quoted(server) + " " + " ".join(cell(v) for v in values) + "\n")
        count = len(labels)
        width = 1.0 / (count + 1)  # clustered histogram: `count` bars plus one gap per cluster
        fills = ["#4393c3", "#d6604d", "#92c5de", "#f4a582"]
        plots = []
        for index in range(count):
            column = index + 2
            offset = (index - (count - 1) / 2) * width
            plots.append(f"{quoted(data)} using {column}:xtic(1) "
                         f"lc rgb {quoted(fills[index % len(fills)])}")
            plots.append(f"{quoted(data)} using ($0+{offset:.4f}):{column}:"
                         f"(sprintf('%.2f', ${column})) with labels offset 0,0.8 notitle")
        script = "\n".join([
            "set title 'Server RSS per authenticated idle connection (medians over runs)'",
            "set datafile missing '?'", "set style data histograms",
            "set style histogram clustered gap 1", "set style fill solid 0.85 border -1",
            "set boxwidth 0.9", "set ylabel 'KiB per connection'", "set yrange [0:*]",
            "set grid ytics", "set key top left autotitle columnhead",
            f"set xrange [-0.6:{len(memory) - 0.4}]",
            "set arrow 1 from graph 0, first 2 to graph 1, first 2 nohead dt 2 lw 1.5 "
            "lc rgb '#1b7837'",
            "set label 2 'target: 2 KiB' at graph 0.99, first 2 right offset 0,0.7 "
            "tc rgb '#1b7837'",
            "plot " + ", ".join(plots),
        ]) + "\n"
        return run_gnuplot(script, png)
