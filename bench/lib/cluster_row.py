"""One table row of bench/cluster from a notify-bench JSON line on stdin."""
import json
import sys

mode, run, instance, received, published = sys.argv[1:6]
r = json.load(sys.stdin)
lat = r.get("latency_ms", {})
received, published = int(float(received)), int(published)
share = received / max(published, 1)
print(f"| {mode} | {run} | {instance} | {r.get('connections')} | {r.get('deliveries_per_s', 0):,.0f} "
      f"| {lat.get('p50', 0):.2f} | {lat.get('p99', 0):.2f} | {received:,} of {published:,} ({share:.2f}) "
      f"| {r.get('lost')}/{r.get('duplicates')}/{r.get('misrouted')} | {r.get('server_cpu_percent', 0):.0f} |")
