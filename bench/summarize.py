#!/usr/bin/env python3
"""Turns the load driver's JSON results of one bench/run.sh into <stamp>.json (all runs) and <stamp>.md (a table
of hub and peer side by side, with the hub/peer throughput ratio, and the peer on PostgreSQL ("peer-pg") when it ran; then the probes: rate-*.json both at 70 % of
their maximum rate, x2-*.json two hub instances behind nginx, scale-*.json 200,000 active sessions)."""
import argparse, glob, json, os

parser = argparse.ArgumentParser()
parser.add_argument("runs")
parser.add_argument("target")
parser.add_argument("--meta", action="append", default=[])
args = parser.parse_args()

runs, scale, rate, x2 = [], [], [], []
probes = {"scale-": scale, "rate-": rate, "x2-": x2}
for path in sorted(glob.glob(os.path.join(args.runs, "*.json"))):
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        bucket = next((probe for prefix, probe in probes.items() if name.startswith(prefix)), runs)
        run = json.load(f)
        # scale-before-*: the scale probe's baseline, measured right before the sessions were inserted.
        if name.startswith("scale-"):
            run["baseline"] = name.startswith("scale-before-")
        # The peer has no second factor: run.sh measures its password login against the hub's login-mfa, in files named
        # after login-mfa. Shown in the login-mfa row, marked as the stand-in it is.
        if run["scenario"] == "login" and "-login-mfa" in name:
            run["scenario"], run["standIn"] = "login-mfa", "login"
        # Nor has it data providers: its plain introspection stands in for the hub's data-introspection.
        if run["scenario"] == "introspection" and "-data-introspection" in name:
            run["scenario"], run["standIn"] = "data-introspection", "introspection"
        bucket.append(run)

# pg_stat_statements per run (run.sh, PG_STATEMENTS=1): every statement of the server's database from the start of the
# driver's run to its end, set-up and warm-up included, so per operation it is divided by all operations of the run.
for r in runs:
    path = os.path.join(args.runs, f'statements-{r["server"]}-{r["scenario"]}-{r["concurrency"]}.tsv')
    ops = r["operations"] + r["errors"] + r.get("warmupOperations", 0) + r.get("warmupErrors", 0)
    # The database's own CPU over the same span (run.sh: the cluster's processes, in clock ticks): what each write costs
    # beyond the server's process, for the hub and for peer-pg alike.
    cpu_path = path[:-len(".tsv")] + ".cpu"
    if os.path.exists(cpu_path) and ops:
        ticks, hz = (int(x) for x in open(cpu_path, encoding="utf-8").read().split())
        r["databaseCpuMsPerOperation"] = round(ticks * 1000 / hz / ops, 3)
    if not os.path.exists(path): continue
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            calls, _, query = line.rstrip("\n").partition("\t")
            if calls.isdigit(): rows.append((int(calls), query))
    # The reset and the reading themselves are not the server's.
    rows = [(c, q) for c, q in rows if "pg_stat_statements" not in q]
    r["statements"] = {"total": sum(c for c, _ in rows), "perOperation": round(sum(c for c, _ in rows) / ops, 2) if ops else None,
                       "top": [{"calls": c, "query": q[:400]} for c, q in rows[:40]]}

def key(r): return (r["scenario"], r["concurrency"])
table = {}
for r in runs:
    table.setdefault(key(r), {})[r["server"]] = r

def fmt(r, field):
    if r is None: return "–"
    if field == "ops": return f'{r["opsPerSecond"]:,.0f}' + (" †" if r.get("standIn") else "")
    if field == "lat":
        l = r["latencyMs"]; return f'{l["p50Ms"]:.1f} / {l["p95Ms"]:.1f} / {l["p99Ms"]:.1f}'
    if field == "cpu":
        p = r.get("serverProcess") or {}; c = p.get("cpuMsPerOperation")
        return "–" if c is None else f"{c:.2f}"
    if field == "rss":
        p = r.get("serverProcess") or {}; m = p.get("peakRssMb")
        return "–" if m is None else f"{m:.0f}"
    if field == "err": return str(r["errors"])
    if field == "dbcpu":
        c = r.get("databaseCpuMsPerOperation"); return "–" if c is None else f"{c:.2f}"
    if field == "sql":
        n = (r.get("statements") or {}).get("perOperation"); return "–" if n is None else f"{n:.1f}"
    if field == "p99": return f'{r["latencyMs"]["p99Ms"]:.1f}'
    if field == "target": return f'{r["targetRate"]:,.1f}' if r.get("targetRate") is not None else "–"
    if field == "goal":  # the latency goal at 70 % of the maximum rate
        return "–" if r["operations"] == 0 else "yes" if r["latencyMs"]["p99Ms"] < 100 else "**no**"

order = ["discovery", "jwks", "client-credentials", "refresh", "login", "login-mfa", "federated-login", "introspection", "data-introspection", "userinfo", "sso", "logout"]
def rank(scenario): return order.index(scenario) if scenario in order else 99
def ratio(hub, peer):
    return f'{hub["opsPerSecond"] / peer["opsPerSecond"]:.2f}×' if hub and peer and peer["opsPerSecond"] > 0 else "–"

# The peer on PostgreSQL (run.sh, PEER_PG=1): its own columns, so that the hub is shown against both stores.
has_pg = any(r["server"] == "peer-pg" for r in runs)
has_sql = any(r.get("statements") for r in runs)
has_dbcpu = any(r.get("databaseCpuMsPerOperation") is not None for r in runs)
pg_head = " peer-pg ops/s | ratio vs peer-pg |" if has_pg else ""
pg_lat = " peer-pg p50/p95/p99 |" if has_pg else ""
pg_cpu = " peer-pg CPU |" if has_pg else ""
lines = ["# Benchmark results", "", *[f"- {m}" for m in args.meta], "",
         "Throughput in operations per second; latency p50 / p95 / p99 in ms; CPU = server CPU ms per operation;",
         "RSS = server peak resident memory in MB. Ratio = hub / peer throughput (> 1: the hub is faster)."
         + (" peer = the peer in memory; peer-pg = the same peer storing in the hub's PostgreSQL cluster." if has_pg else ""), "",
         f"| scenario | workers | hub ops/s | peer ops/s | ratio |{pg_head} hub p50/p95/p99 | peer p50/p95/p99 |{pg_lat} hub CPU | peer CPU |{pg_cpu} "
         f"hub RSS | peer RSS | errors hub/peer{'/peer-pg' if has_pg else ''} |" + (" hub SQL/op | peer-pg SQL/op |" if has_sql else "") + (" hub DB CPU | peer-pg DB CPU |" if has_dbcpu else ""),
         "|---|---:|---:|---:|---:|" + ("---:|---:|" if has_pg else "") + "---|---|" + ("---|" if has_pg else "") + "---:|---:|"
         + ("---:|" if has_pg else "") + "---:|---:|---|" + ("---:|---:|" if has_sql else "") + ("---:|---:|" if has_dbcpu else "")]
for (scenario, level) in sorted(table, key=lambda k: (rank(k[0]), k[1])):
    row = table[(scenario, level)]
    hub = row.get("hub"); peer = row.get("peer"); pg = row.get("peer-pg")
    lines.append(f"| {scenario} | {level} | {fmt(hub,'ops')} | {fmt(peer,'ops')} | {ratio(hub, peer)} |"
                 + (f" {fmt(pg,'ops')} | {ratio(hub, pg)} |" if has_pg else "")
                 + f" {fmt(hub,'lat')} | {fmt(peer,'lat')} |" + (f" {fmt(pg,'lat')} |" if has_pg else "")
                 + f" {fmt(hub,'cpu')} | {fmt(peer,'cpu')} |" + (f" {fmt(pg,'cpu')} |" if has_pg else "")
                 + f" {fmt(hub,'rss')} | {fmt(peer,'rss')} | {fmt(hub,'err')}/{fmt(peer,'err')}" + (f"/{fmt(pg,'err')}" if has_pg else "") + " |"
                 + (f" {fmt(hub,'sql')} | {fmt(pg,'sql')} |" if has_sql else "")
                 + (f" {fmt(hub,'dbcpu')} | {fmt(pg,'dbcpu')} |" if has_dbcpu else ""))
if has_sql:
    lines += ["", "SQL/op: statements the server sent to its database per operation (pg_stat_statements, top level: BEGIN and COMMIT included,",
              "PostgreSQL's own foreign-key checks not), over the whole run of the driver (set-up and warm-up included); the",
              "statements themselves are in the JSON (\"statements\")."]
if has_dbcpu:
    lines += ["", "DB CPU: PostgreSQL's own CPU ms per operation over the same span (the cluster's processes, WAL writer and",
              "checkpointer included), on the server's core: the hub's cost is hub CPU + hub DB CPU, the peer-pg's likewise."]
if any(r.get("standIn") == "login" for r in runs + rate):
    lines += ["", "† the peer has no second factor: its password-only login (the login row's operation), measured interleaved with the",
              "hub's login-mfa (password, then an authenticator code computed by the driver, at acr eidas2). That ratio compares",
              "the hub doing more (a second page, a code check and its replay guard) with the peer doing less."]
if any(r["scenario"] == "data-introspection" for r in runs):
    lines += ["", "data-introspection: a data provider introspects the access token issued for its resource (RFC 8707); each answer",
              "writes a release row and its data.released audit event. † for the peer: its plain introspection, which writes nothing."]
if any(r["scenario"] == "sso" for r in runs):
    lines += ["", "sso: a second service's login in the browser of one login per worker at the first (redirects only, no page);",
              "at the hub the second service is of another sector (another sub)."]
if any(r["scenario"] == "logout" for r in runs):
    lines += ["", "logout: run in rounds (every worker logs in through the mock source, untimed, then every worker logs out); ops/s,",
              "latency and CPU are those of the logouts only. The hub's logout also ends the session at the source (its",
              "end-session and back); the peer, as configured here, has no upstream logout."]
upstream = sorted((r for r in runs if r.get("upstreamProcess")), key=lambda r: (rank(r["scenario"]), r["concurrency"], r["server"]))
if upstream:
    lines += ["", "The mock upstream provider's own cost while serving each server, reported apart from that server's (both",
              "log in there with the same client and person):", "",
              "| scenario | server | workers | upstream CPU ms per operation | upstream peak RSS MB |", "|---|---|---:|---:|---:|"]
    for r in upstream:
        p = r["upstreamProcess"]
        lines.append(f'| {r["scenario"]} | {r["server"]} | {r["concurrency"]} | {p.get("cpuMsPerOperation") or 0:.2f} | {p.get("peakRssMb") or 0:.0f} |')
if rate:
    by_scenario = {}
    for r in rate:
        by_scenario.setdefault(r["scenario"], {})[r["server"]] = r
    workers = sorted({r["concurrency"] for r in rate})
    lines += ["", "At 70 % of each server's maximum rate (its highest ops/s in the table above), paced open loop with "
              f'{", ".join(map(str, workers))} workers; latency from each operation\'s scheduled start, so waiting counts. Goal: p99 < 100 ms.', "",
              "| scenario | server | target ops/s | achieved ops/s | p50/p95/p99 | errors | p99 < 100 ms |",
              "|---|---|---:|---:|---|---:|---|"]
    for scenario in sorted(by_scenario, key=rank):
        for server in ("hub", "peer", "peer-pg"):
            r = by_scenario[scenario].get(server)
            if r is None: continue
            lines.append(f"| {scenario} | {server} | {fmt(r,'target')} | {fmt(r,'ops')} | {fmt(r,'lat')} | {fmt(r,'err')} | {fmt(r,'goal')} |")
if x2:
    lines += ["", "Two hub instances behind nginx (round robin, one database; see above) against the single hub of the table above,",
              "same workers; CPU = ms per operation of both instances together:", "",
              "| scenario | workers | 1 hub ops/s | 2 hubs + nginx ops/s | ratio | 1 hub p99 | 2 hubs p99 | 1 hub CPU | 2 hubs CPU | errors 1 hub / 2 hubs |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(x2, key=lambda r: (rank(r["scenario"]), r["concurrency"])):
        base = table.get(key(r), {}).get("hub")
        ratio = f'{r["opsPerSecond"] / base["opsPerSecond"]:.2f}×' if base and base["opsPerSecond"] > 0 else "–"
        lines.append(f'| {r["scenario"]} | {r["concurrency"]} | {fmt(base,"ops")} | {fmt(r,"ops")} | {ratio} | {fmt(base,"p99")} | {fmt(r,"p99")} | '
                     f'{fmt(base,"cpu")} | {fmt(r,"cpu")} | {fmt(base,"err")} / {fmt(r,"err")} |')
if scale:
    lines += ["", "Scale probe: login right before and right after 200,000 other active sessions went into the database (see above):", "",
              "| scenario | workers | hub ops/s before → with sessions | hub p50/p95/p99 with sessions | hub peak RSS MB before → with sessions |",
              "|---|---:|---|---|---|"]
    for r in scale:
        if r.get("baseline"): continue
        base = next((b for b in scale if b.get("baseline") and key(b) == key(r)), None) or table.get(key(r), {}).get("hub")
        lines.append(f'| {r["scenario"]} | {r["concurrency"]} | {fmt(base,"ops")} → {fmt(r,"ops")} | {fmt(r,"lat")} | {fmt(base,"rss")} → {fmt(r,"rss")} |')
errors = [r for r in runs + rate + x2 + scale if r["errors"]]
if errors:
    lines += ["", "First errors:", ""]
    for r in errors:
        paced = f' at {r["targetRate"]:,.1f}/s' if r.get("targetRate") is not None else ""
        lines.append(f'- {r["server"]} {r["scenario"]} ×{r["concurrency"]}{paced}: ' + "; ".join(r.get("firstErrors", [])[:3]))

with open(args.target + ".json", "w", encoding="utf-8") as f:
    json.dump({"meta": args.meta, "runs": runs, "rateProbe": rate, "nginxProbe": x2, "scaleProbe": scale}, f, indent=1)
with open(args.target + ".md", "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
