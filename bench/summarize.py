#!/usr/bin/env python3
"""Turns the load driver's JSON results of one bench/run.sh into <stamp>.json (all runs) and <stamp>.md (a table
of hub and peer side by side, with the hub/peer throughput ratio)."""
import argparse, glob, json, os

parser = argparse.ArgumentParser()
parser.add_argument("runs")
parser.add_argument("target")
parser.add_argument("--meta", action="append", default=[])
args = parser.parse_args()

runs, scale = [], []
for path in sorted(glob.glob(os.path.join(args.runs, "*.json"))):
    with open(path, encoding="utf-8") as f:
        (scale if os.path.basename(path).startswith("scale-") else runs).append(json.load(f))

def key(r): return (r["scenario"], r["concurrency"])
table = {}
for r in runs:
    table.setdefault(key(r), {})[r["server"]] = r

def fmt(r, field):
    if r is None: return "–"
    if field == "ops": return f'{r["opsPerSecond"]:,.0f}'
    if field == "lat":
        l = r["latencyMs"]; return f'{l["p50Ms"]:.1f} / {l["p95Ms"]:.1f} / {l["p99Ms"]:.1f}'
    if field == "cpu":
        p = r.get("serverProcess") or {}; c = p.get("cpuMsPerOperation")
        return "–" if c is None else f"{c:.2f}"
    if field == "rss":
        p = r.get("serverProcess") or {}; m = p.get("peakRssMb")
        return "–" if m is None else f"{m:.0f}"
    if field == "err": return str(r["errors"])

order = ["discovery", "jwks", "client-credentials", "refresh", "login", "federated-login", "introspection", "userinfo"]
lines = ["# Benchmark results", "", *[f"- {m}" for m in args.meta], "",
         "Throughput in operations per second; latency p50 / p95 / p99 in ms; CPU = server CPU ms per operation;",
         "RSS = server peak resident memory in MB. Ratio = hub / peer throughput (> 1: the hub is faster).", "",
         "| scenario | workers | hub ops/s | peer ops/s | ratio | hub p50/p95/p99 | peer p50/p95/p99 | hub CPU | peer CPU | hub RSS | peer RSS | errors hub/peer |",
         "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|"]
for (scenario, level) in sorted(table, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1])):
    hub = table[(scenario, level)].get("hub"); peer = table[(scenario, level)].get("peer")
    ratio = f'{hub["opsPerSecond"] / peer["opsPerSecond"]:.2f}×' if hub and peer and peer["opsPerSecond"] > 0 else "–"
    lines.append(f"| {scenario} | {level} | {fmt(hub,'ops')} | {fmt(peer,'ops')} | {ratio} | {fmt(hub,'lat')} | {fmt(peer,'lat')} | "
                 f"{fmt(hub,'cpu')} | {fmt(peer,'cpu')} | {fmt(hub,'rss')} | {fmt(peer,'rss')} | {fmt(hub,'err')}/{fmt(peer,'err')} |")
upstream = [r for r in runs if r.get("upstreamProcess")]
if upstream:
    lines += ["", "Federated login: the mock upstream provider's own cost, reported apart from the hub's:", ""]
    for r in upstream:
        p = r["upstreamProcess"]
        lines.append(f'- {r["concurrency"]} workers: upstream CPU {p.get("cpuMsPerOperation") or 0:.2f} ms per login, peak RSS {p.get("peakRssMb") or 0:.0f} MB')
if scale:
    lines += ["", "Scale probe: the same login with 200,000 other active sessions in the database (see above):", "",
              "| scenario | workers | hub ops/s before → with sessions | hub p50/p95/p99 with sessions | hub peak RSS MB before → with sessions |",
              "|---|---:|---|---|---|"]
    for r in scale:
        base = table.get(key(r), {}).get("hub")
        lines.append(f'| {r["scenario"]} | {r["concurrency"]} | {fmt(base,"ops")} → {fmt(r,"ops")} | {fmt(r,"lat")} | {fmt(base,"rss")} → {fmt(r,"rss")} |')
errors = [r for r in runs + scale if r["errors"]]
if errors:
    lines += ["", "First errors:", ""]
    for r in errors:
        lines.append(f'- {r["server"]} {r["scenario"]} ×{r["concurrency"]}: ' + "; ".join(r.get("firstErrors", [])[:3]))

with open(args.target + ".json", "w", encoding="utf-8") as f:
    json.dump({"meta": args.meta, "runs": runs, "scaleProbe": scale}, f, indent=1)
with open(args.target + ".md", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
