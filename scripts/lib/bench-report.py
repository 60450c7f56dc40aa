#!/usr/bin/env python3
"""Turns the JSON that scripts/bench.sh collected into the Markdown tables of docs/BENCHMARKS.md.
Usage: bench-report.py RESULTS_DIR CRITERION_DIR > table.md"""
import glob
import json
import os
import platform
import subprocess
import sys

results, criterion_dir = sys.argv[1:3]


def load(name):
    path = os.path.join(results, name)
    return json.load(open(path)) if os.path.exists(path) else None


def spread(s, unit="ms", digits=1):
    return f"{s['median']:.{digits}f} {unit} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def verdict(ok):
    return "met" if ok else "**missed**"


out = []
say = out.append

# The machine.
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
say(f"Machine: {os.cpu_count()} × {cpu}, {mem_kib / 1024 / 1024:.0f} GiB, Linux {platform.release()}, "
    f"{rustc}, release build. Medians, with min–max in brackets.")
say("")

# 1. Criterion.
estimates = {}
for bench in glob.glob(os.path.join(criterion_dir, "**", "new", "benchmark.json"), recursive=True):
    meta = json.load(open(bench))
    est = json.load(open(os.path.join(os.path.dirname(bench), "estimates.json")))
    estimates[meta["full_id"]] = est["median"]
allocs = load("allocs.json")
if estimates:
    say("### 1. A valid token, in process (criterion)")
    say("")
    say("| tasks | `access_token_for` | floor: `tokio::sync::Mutex` lock-and-clone | ratio | target ≤ 10× |")
    say("|---|---|---|---|---|")
    for tasks in ["1_task", "64_tasks"]:
        ours = estimates.get(f"valid_token/access_token_for/{tasks}")
        floor = estimates.get(f"valid_token/floor_mutex_clone/{tasks}")
        if ours and floor:
            ratio = ours["point_estimate"] / floor["point_estimate"]
            fmt = lambda e: (f"{e['point_estimate']:.0f} ns ({e['confidence_interval']['lower_bound']:.0f}–"
                             f"{e['confidence_interval']['upper_bound']:.0f})")
            say(f"| {tasks.replace('_', ' ')} | {fmt(ours)} | {fmt(floor)} | {ratio:.1f}× | {verdict(ratio <= 10)} |")
    say("")
    say("Per call; brackets: criterion's 95% confidence interval of the median. With 64 tasks the")
    say("figure is wall time per call while all 64 run on the 2 worker threads.")
    if allocs:
        extra = allocs["access_token_for"] - allocs["floor"]
        say(f"Allocations per call (counting allocator, 10,000 calls): `access_token_for` "
            f"{allocs['access_token_for']:.2f}, floor {allocs['floor']:.2f} (the returned token): "
            f"{verdict(extra < 0.01)}.")
    say("")

# 2. Cold process.
cold = load("cold.json")
if cold:
    ratio = cold["ratio_of_medians"]
    say("### 2. A valid token, cold process")
    say("")
    say("| command | wall time per run |")
    say("|---|---|")
    say(f"| `tenantry token ORG` | {spread(cold['tenantry_token_ms'])} |")
    say(f"| `secret-tool lookup service S username LOGIN` (the floor) | {spread(cold['secret_tool_lookup_ms'])} |")
    if "file_vault_token_ms" in cold:
        say(f"| `tenantry token ORG` with `vault = \"file\"` (one scrypt to open the vault) | {spread(cold['file_vault_token_ms'])} |")
    if "practice_token_ms" in cold:
        say(f"| `tenantry token ORG` in practice mode (the practice database on loopback, its practice key in the keychain) | {spread(cold['practice_token_ms'])} |")
    say("")
    say(f"{cold['runs']} runs of each, alternating. Ratio of medians: **{ratio:.2f}** "
        f"(target ≤ 1.5: {verdict(ratio <= 1.5)}). Refresh requests during the runs: {cold['refreshes']}.")
    if "file_vault_ratio_to_keychain" in cold:
        say(f"The file vault's `token` against the keychain's, ratio of medians: "
            f"{cold['file_vault_ratio_to_keychain']:.1f} (no target: it is the fallback for machines with no keychain).")
    if "practice_ratio_to_local" in cold:
        say(f"Practice mode's `token` against the local profile's, ratio of medians: "
            f"{cold['practice_ratio_to_local']:.1f} (a fresh process connects to PostgreSQL, checks the schema and the practice key, "
            f"and reads the sealed token set; no target).")
    say("")

# 2b. A stuck login stalls no other.
stalled = load("stalled.json")
if stalled:
    ratio = stalled["ratio_of_medians"]
    say("### 2b. A stuck login stalls no other")
    say("")
    say("| `tenantry token ORG` for a healthy login's organisation | wall time per run |")
    say("|---|---|")
    say(f"| with nothing held | {spread(stalled['free_ms'])} |")
    say(f"| while another login's refresh is held by a slow Xero (journal entry written) | {spread(stalled['held_ms'])} |")
    say("")
    say(f"{stalled['runs']} runs of each, alternating. Ratio of medians: **{ratio:.2f}**, "
        f"{stalled['added_ms']:.1f} ms added (target ≤ 1.1, about 100 ms: {verdict(ratio <= 1.1)}).")
    say("")

# 3. Single flight.
single = load("single.json")
if single:
    rt = single["round_trip_ms"]
    together = single.get("concurrent_round_trips_ms")
    say("### 3. Single flight")
    say("")
    say(f"{single['callers']} concurrent callers over {single['logins']} logins whose access tokens had just "
        f"expired. Floors, measured in the same run: one token-endpoint round trip (a direct refresh, {rt['n']} "
        f"in a row) {spread(rt)}" + (f"; {together['n']} direct refreshes sent together (what the fake can do at "
        f"once) {spread(together)}" if together else "") + ".")
    say("")
    say("| where | refresh requests | minimum | ratio | caller latency | p95 | added over the floor for refreshes sent together (medians) |")
    say("|---|---|---|---|---|---|---|")
    for key, label in [("in_process", "one process"), ("across_processes", f"{single['processes']} processes")]:
        part = single[key]
        floor = together["median"] if together else rt["median"]
        added = part["latency_ms"]["median"] - floor
        say(f"| {label} | {part['refreshes']} | {single['logins']} | {part['refreshes'] / single['logins']:.2f} | "
            f"{spread(part['latency_ms'])} | {part['p95_ms']:.1f} ms | {added:.1f} ms |")
    say("")
    say(f"Refresh tokens spent twice: {single['reused_refresh_tokens']}; `invalid_grant`: {single['invalid_grants']}.")
    say("")

# 4. Scale.
scale = load("scale.json")
if scale:
    say("### 4. Scale: `status` and `orgs`")
    say("")
    say(f"{scale['orgs_each']} organisations per login; {scale['runs']} runs each after one warm-up; peak "
        "resident memory from GNU time.")
    say("")
    say("| logins | organisations | `status` | peak | `orgs` | peak |")
    say("|---|---|---|---|---|---|")
    rows = scale["rows"]
    for r in rows:
        say(f"| {r['logins']} | {r['organisations']} | {spread(r['status']['ms'])} | "
            f"{r['status']['peak_kib'] / 1024:.1f} MiB | {spread(r['orgs']['ms'])} | {r['orgs']['peak_kib'] / 1024:.1f} MiB |")
    if len(rows) >= 2:
        say("")
        say("Growth between sizes (time ratio ÷ login ratio; 1.0 is linear, below 1 is better than linear):")
        say("")
        for a, b in zip(rows, rows[1:]):
            factor = b["logins"] / a["logins"]
            for cmd in ["status", "orgs"]:
                growth = b[cmd]["ms"]["median"] / a[cmd]["ms"]["median"]
                say(f"- `{cmd}` {a['logins']} → {b['logins']} logins (×{factor:.0f}): time ×{growth:.2f}, "
                    f"{growth / factor:.2f} of linear; memory +{(b[cmd]['peak_kib'] - a[cmd]['peak_kib']) / 1024:.1f} MiB")
    say("")

# 5. Keep-alive.
keeps = [k for k in (load("keepalive.json"), load("keepalive-memory.json")) if k]
if keeps:
    say("### 5. Keep-alive at scale")
    say("")
    say("| logins | vault | took | bound: ⌈logins ÷ 8⌉ × latency | ratio (target ≤ 1.2) "
        "| floor: the same refreshes straight to the fake, 8 at a time | ratio "
        "| floor: the keychain alone, one read and one write per login, 8 at a time | ratio |")
    say("|---|---|---|---|---|---|---|---|---|")
    for k in keeps:
        alone = k.get("keychain_alone_s")
        keychain = (f"{alone:.2f} s | {k['ratio_to_keychain_alone']:.2f}" if alone is not None
                    else "not used | –")
        say(f"| {k['logins']} | {k.get('vault', 'keychain')} | {k['elapsed_s']:.2f} s | {k['bound_s']:.2f} s | "
            f"{k['ratio']:.2f}: {verdict(k['ratio'] <= 1.2)} | {k['direct_s']:.2f} s | {k['ratio_to_direct']:.2f} | "
            f"{keychain} |")
    say("")
    for k in keeps:
        trip = k.get("direct_round_trip_ms")
        trip = f" (a request straight to it: {spread(trip)})" if trip else ""
        say(f"- {k['logins']} logins, {k.get('vault', 'keychain')}: the fake answers each token request "
            f"{k['latency_ms']} ms after it arrives{trip}; refreshed "
            f"{k['refreshed']} of {k['logins']} with {k['refresh_requests']} token requests; at most "
            f"{k['peak_concurrent_token_requests']} in flight at once (the limit is {k['concurrency']}); API calls "
            f"{k['api_calls']} (keep-alive uses only the token endpoint, so no per-tenant or app-wide API limit is "
            f"touched); `invalid_grant` {k['invalid_grants']}.")
    say("")

# 5b. Practice mode beside the local mode.
prac = load("practice.json")
if prac:
    say("### 5b. Practice mode beside the local mode")
    say("")
    say("Measured in one run, a local profile (SQLite, the keychain) and a practice (PostgreSQL on loopback, "
        "token sets sealed in it, advisory locks) side by side, each on its own fake Xero.")
    say("")
    say("| measure | local | practice | ratio of medians |")
    say("|---|---|---|---|")
    hot = prac["hot_us"]
    say(f"| hot path: `access_token_for` with a valid token in memory, per call ({hot['local']['n']} batches of 1,000) | "
        f"{spread(hot['local'], unit='µs', digits=2)} | {spread(hot['practice'], unit='µs', digits=2)} | {hot['ratio']:.2f} |")
    sf = prac["single_flight"]
    say(f"| single flight: {prac['callers']} callers over {prac['logins']} logins whose tokens just expired, spread over "
        f"{prac['machines']} processes (in the practice each a member machine), caller latency | "
        f"{spread(sf['local']['latency_ms'])}, p95 {sf['local']['p95_ms']:.1f} ms | "
        f"{spread(sf['practice']['latency_ms'])}, p95 {sf['practice']['p95_ms']:.1f} ms | {sf['ratio']:.2f} |")
    ka = prac["keepalive"]
    say(f"| keep-alive of {prac['keep_logins']} logins, each token request answered after {prac['latency_ms']} ms, "
        f"{prac['concurrency']} at a time | {ka['local']['elapsed_s']:.2f} s | {ka['practice']['elapsed_s']:.2f} s | {ka['ratio']:.2f} |")
    say("")
    say(f"Refresh requests in single flight: {sf['local']['refreshes']} locally and {sf['practice']['refreshes']} in the "
        f"practice, for {prac['logins']} logins (the run fails on any more, on a refresh token spent twice or an "
        f"`invalid_grant`); keep-alive refreshed {ka['local']['refreshed']} and {ka['practice']['refreshed']} of "
        f"{prac['keep_logins']}, at most {ka['practice']['peak_concurrent_token_requests']} token requests at once in the practice.")
    say("")

# 6. Desktop.
desk = load("desktop.json")
if desk:
    say("### 6. Desktop")
    say("")
    say("| measure | figure | target |")
    say("|---|---|---|")
    say(f"| launch to first paint of the list ({desk['logins']} logins, {desk['organisations']} organisations) | "
        f"{spread(desk['first_paint_ms'], digits=0)} over {desk['first_paint_ms']['n']} launches | under 1.5 s: "
        f"{verdict(desk['first_paint_ms']['median'] < 1500)} |")
    say(f"| filtering {desk['organisations']} organisations, per keystroke | {spread(desk['filter_ms'], digits=2)} over "
        f"{desk['filter_ms']['n']} keystrokes | under 16 ms: {verdict(desk['filter_ms']['max'] < 16)} |")
    if "clients_first_paint_ms" in desk:
        say(f"| Clients view: its tab clicked to the first paint of all {desk['organisations']} rows | "
            f"{spread(desk['clients_first_paint_ms'], digits=0)} over {desk['clients_first_paint_ms']['n']} launches | "
            f"under 1.5 s: {verdict(desk['clients_first_paint_ms']['median'] < 1500)} |")
        say(f"| Clients view: filtering {desk['organisations']} organisations, per keystroke | "
            f"{spread(desk['clients_filter_ms'], digits=2)} over {desk['clients_filter_ms']['n']} keystrokes | "
            f"under 16 ms: {verdict(desk['clients_filter_ms']['max'] < 16)} |")
    if "idle" in desk:
        idle = desk["idle"]
        say(f"| resident memory, {idle['minutes']} minutes with refreshes every {idle['refresh_every_s']} s | "
            f"{idle['first_mib']:.1f} MiB after 30 s → {idle['last_mib']:.1f} MiB at the end "
            f"(slope of the last half {idle['slope_mib_per_min']:+.2f} MiB/min) | not growing (under 0.5 MiB/min): "
            f"{verdict(idle['slope_mib_per_min'] < 0.5)} |")
    say("")

# 7. The gateway.
agent, over, budgets = load("gateway-agent.json"), load("gateway-overhead.json"), load("gateway-budgets.json")
mcp, egress, starter = load("gateway-mcp.json"), load("gateway-egress.json"), load("gateway-starter.json")
if agent or over or budgets or mcp or egress or load("gateway-practice.json"):
    say("### 7. The gateway and its token agent")
    say("")
if agent:
    ratio = agent["agent_ratio_to_floor"]
    say("| command, a fresh process each run | wall time per run |")
    say("|---|---|")
    say(f"| `tenantry token ORG` with `tenantry gateway` running (its agent answers) | {spread(agent['token_via_agent_ms'], digits=2)} |")
    say(f"| `agent-floor`: a fresh process doing one round trip on the agent's socket (the floor) | {spread(agent['socket_round_trip_floor_ms'], digits=2)} |")
    say(f"| `secret-tool lookup` of the same login's entry | {spread(agent['secret_tool_lookup_ms'], digits=2)} |")
    say(f"| `tenantry token ORG` reading the keychain itself (`TENANTRY_AGENT=off`) | {spread(agent['token_from_keychain_ms'], digits=2)} |")
    if "version_ms" in agent:
        say(f"| `tenantry --version`: the binary's own start | {spread(agent['version_ms'], digits=2)} |")
        say(f"| `true`: the smallest program's start | {spread(agent['true_ms'], digits=2)} |")
    say("")
    med = agent["token_via_agent_ms"]["median"]
    say(f"{agent['runs']} runs of each, alternating. With the agent: median **{med:.2f} ms** (target ≤ 3 ms: "
        f"{verdict(med <= 3)}), **{ratio:.2f}×** the floor (target ≤ 1.5: {verdict(ratio <= 1.5)}); "
        f"the keychain path is {agent['keychain_ratio_to_agent']:.1f}× slower than the agent's.")
    say("")
if over:
    added = over["added_p50_ms"]
    say("| the same GET of the Organisation, one at a time | wall time per call |")
    say("|---|---|")
    say(f"| through the gateway | {spread(over['through_gateway_ms'], digits=2)} |")
    if "without_call_log_ms" in over:
        say(f"| through a gateway with its call log off (`call_log_days = 0`) | {spread(over['without_call_log_ms'], digits=2)} |")
    say(f"| straight to the fake Xero | {spread(over['straight_ms'], digits=2)} |")
    say("")
    say(f"{over['requests']} calls of each, in turn, on loopback. Added by the gateway: **{added:.2f} ms** at p50 "
        f"(target ≤ 1 ms: {verdict(added <= 1)}), {over['added_p99_ms']:.2f} ms at p99.")
    if "call_log_p50_ms" in over:
        log = over["call_log_p50_ms"]
        say(f"Added by the call log: **{log:.2f} ms** at p50 (target ≤ 0.2 ms: {verdict(log <= 0.2)}); "
            f"the log held all {over['calls_logged']} calls afterwards.")
    say("")
if budgets:
    share = budgets["share_of_budget_min"]
    say(f"{budgets['clients']} client processes calling {budgets['orgs']} organisations through one gateway for "
        f"{budgets['seconds']} s (the fake answering each call in 100 ms, with Xero's limits): "
        f"**{budgets['xero_429s']}** 429s from Xero (target 0: {verdict(budgets['xero_429s'] == 0)}), at most "
        f"**{budgets['max_in_flight']}** calls in progress for one organisation (target ≤ 5: {verdict(budgets['max_in_flight'] <= 5)}), "
        f"accepted calls per organisation {spread(budgets['accepted_per_org'], unit='', digits=0)}: the least served "
        f"organisation had **{share:.0%}** of its budget for the run (target ≥ 95 %: {verdict(share >= 0.95)}), "
        f"least over most {budgets['fairness_min_over_max']:.2f}. Answers the clients saw: {budgets['client_statuses']}.")
    if "served_per_client" in budgets:
        say(f"Calls answered per client process {spread(budgets['served_per_client'], unit='', digits=0)}, "
            f"least over most {budgets['client_fairness_min_over_max']:.2f} (the clients take turns in each "
            f"organisation's queue).")
    say("")
if mcp:
    per_lifetime = mcp["refreshes_per_lifetime"]
    most = max(per_lifetime)
    say(f"A `tenantry mcp` session driven by the official MCP Python SDK client, reading one organisation of "
        f"each of two logins every second for {mcp['session_wall_s']:.0f} s against {mcp['access_lifetime_s']}-second "
        f"access tokens: {mcp['lifetimes']:.1f} token lifetimes, the equivalent of "
        f"{mcp['equivalent_minutes_of_xero_tokens'] / 60:.1f} hours of Xero's 30-minute tokens. "
        f"**{mcp['calls_failed']}** of {mcp['calls_answered'] + mcp['calls_failed']} calls failed "
        f"(target 0: {verdict(mcp['calls_failed'] == 0)}); refreshes per login {mcp['refreshes_per_login']}, "
        f"at most **{most:.2f}** per lifetime (target one per login per lifetime: {verdict(most <= 1.0)}).")
    say("")
if egress:
    kill = egress["kill"]
    say(f"The egress meter: {egress['calls']} calls of known sizes through one gateway from {egress['clients']} "
        f"concurrent clients over {egress['organisations']} organisations (half asking for gzip, which the fake then "
        f"sends) in {egress['seconds']:.1f} s. The store's count against what the clients received: "
        f"{egress['metered']['calls']} calls, {egress['metered']['wire']} bytes on the wire and "
        f"{egress['metered']['decoded']} decoded, against {egress['received']['calls']}, {egress['received']['wire']} "
        f"and {egress['received']['decoded']} (target exact: {verdict(egress['exact'])}). Then clients calling "
        f"without pause, the gateway killed with SIGKILL after {kill['after_ms'] / 1000:.0f} s: "
        f"{kill['answered_before_kill']['calls']} calls answered in full before the kill, "
        f"**{kill['answered_not_kept']}** of them missing from the store, {kill['kept_beyond_answered']} kept "
        f"that no client finished reading, {kill['in_flight_at_kill']} in flight at the kill (not answered, "
        f"so not counted by either side).")
    say("")
practice_gw = load("gateway-practice.json")
if practice_gw:
    g, cost = practice_gw, practice_gw["shared_budget_cost"]
    share = g["share_of_budget_min"]
    say(f"Practice-wide budgets: {g['machines']} member machines (each its own configuration, data directory "
        f"and keychain service, joined with invitation codes) on one practice database, each running "
        f"`tenantry gateway` with {g['clients_each']} client processes calling the same {g['orgs']} organisations "
        f"for {g['seconds']} s (the fake answering each call in 100 ms, with Xero's limits; {g['windows']} "
        f"minute window(s) opened): **{g['xero_429s']}** 429s from Xero (target 0: {verdict(g['xero_429s'] == 0)}), "
        f"at most **{g['max_in_flight']}** calls in progress for one organisation across the practice "
        f"(target ≤ 5: {verdict(g['max_in_flight'] <= 5)}), accepted per organisation "
        f"{spread(g['accepted_per_org'], unit='', digits=0)}: the least served had **{share:.0%}** of its budget "
        f"(target ≥ 90 %: {verdict(share >= 0.9)}). Answers the clients saw: {g['client_statuses']}.")
    say("")
    say("| what a call in a practice adds, measured every 50 ms during the run | p50 | p99 |")
    say("|---|---|---|")
    say(f"| taking its place in the shared budget (`rate_take`, on the call's path) | "
        f"{cost['take_ms']['median']:.2f} ms | {cost['take_p99_ms']:.2f} ms |")
    say(f"| taking it and freeing it (`rate_release`, after the answer) | "
        f"{cost['take_and_release_ms']['median']:.2f} ms | {cost['take_and_release_p99_ms']:.2f} ms |")
    say(f"| floor: one read of the practice database through the engine's store | "
        f"{cost['floor_read_ms']['median']:.2f} ms | {cost['floor_read_p99_ms']:.2f} ms |")
    say("")
if starter:
    exact = starter["reached_xero"] == 1000 and starter["refused_by_xero"] == 0
    say(f"Starter's day (`tier = \"starter\"`, the debug gateway with a {starter['minute_ms']} ms minute): "
        f"{starter['calls']} calls to one organisation from 5 clients in {starter['seconds']:.1f} s; "
        f"**{starter['reached_xero']}** reached the fake, which refused {starter['refused_by_xero']} "
        f"(target exactly 1,000 and none refused: {verdict(exact)}); the clients saw {starter['client_statuses']}.")
    say("")
each = load("each.json")
if each:
    ratio = each["median_over_bound"]
    say(f"Fan-out reads: `tenantry each --all --all-pages` over {each['organisations']} organisations of "
        f"{each['logins']} logins, {each['pages_each']} pages of 100 contacts each, the fake answering each call in "
        f"{each['latency_ms']:.0f} ms with Xero's limits; a fresh process each run, timed from its start to its last "
        f"line: {spread(each['wall_ms'])} over {each['runs']} runs. An organisation's pages come one after another "
        f"and Xero lets every organisation have 5 calls in progress, so the bound its limits set is "
        f"{each['pages_each']} answers in a row, {each['bound_ms']:.0f} ms: the median is **{ratio:.2f}×** it "
        f"(target ≤ 1.2: {verdict(ratio <= 1.2)}). {each['calls_to_xero']:.0f} calls reached the fake, "
        f"**{each['xero_429s']}** refused (target 0: {verdict(each['xero_429s'] == 0)}), at most "
        f"{each['max_in_flight']} in progress for one organisation; every organisation answered once, whole.")
    say("")

print("\n".join(out))
