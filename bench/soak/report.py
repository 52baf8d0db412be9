#!/usr/bin/env python3
"""The report of a bench/soak.sh run: reads what the run left in its results
directory, prints a summary, writes summary.json and report.md there, and
exits 0 when the server held, 1 when it did not, 2 when the report itself
failed.

    python3 bench/soak/report.py RESULTS_DIR [--server-log FILE]
"""

import argparse
import csv
import json
import os
import re
import sys

WRK_RUNS = [
    ("baseline-quiet", "good-only, alone"),
    ("baseline-mix-good", "good-only, beside the mixed wrk"),
    ("baseline-mix", "mixed, beside the good-only wrk"),
    ("soak-good", "good-only, under attack"),
    ("soak-mix", "mixed, under attack"),
]

UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
LOG_LINE = re.compile(r" status=(\d{3}) time=([0-9.]+)(ns|µs|us|ms|s)(?:\s|$)")


def load(path, default=None):
    try:
        with open(path) as file:
            return json.load(file)
    except (OSError, ValueError):
        return default


def parse_server_log(path):
    """Per status: how many requests the server logged and the longest one."""
    statuses, warnings, other_errors = {}, {}, {}
    if not path or not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        for raw in file:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            match = LOG_LINE.search(line)
            if match:
                status = match.group(1)
                seconds = float(match.group(2)) * UNITS[match.group(3)]
                entry = statuses.setdefault(status, {"count": 0, "max_s": 0.0})
                entry["count"] += 1
                entry["max_s"] = max(entry["max_s"], seconds)
            elif " WARN " in line:
                message = re.sub(r"^\S+\s+WARN\s+", "", line)[:160]
                warnings[message] = warnings.get(message, 0) + 1
            elif " ERROR " in line and "soak: this" not in line:
                message = re.sub(r"^\S+\s+ERROR\s+", "", line)[:160]
                other_errors[message] = other_errors.get(message, 0) + 1
    for entry in statuses.values():
        entry["max_s"] = round(entry["max_s"], 3)
    return {
        "statuses": dict(sorted(statuses.items())),
        "warnings": warnings,
        "other_errors": other_errors,
    }


def rss_samples(path):
    rows = []
    try:
        with open(path) as file:
            for row in csv.DictReader(file):
                try:
                    rows.append(
                        {
                            "t": float(row["t_s"]),
                            "phase": row["phase"],
                            "rss": int(row["vmrss_kib"]),
                            "hwm": int(row["vmhwm_kib"]),
                            "threads": int(row["threads"]),
                            "fds": int(row["fds"]),
                            "ticks": int(row.get("server_ticks") or 0),
                            "ours": int(row.get("ours_ticks") or 0),
                            "busy": int(row.get("cpu_busy") or 0),
                            "steal": int(row.get("cpu_steal") or 0),
                            "total": int(row.get("cpu_total") or 0),
                            "load": float(row.get("load1") or 0),
                        }
                    )
                except (KeyError, ValueError):
                    continue
    except OSError:
        pass
    return rows


def probe_results(path):
    ok, failed, times = 0, 0, []
    try:
        with open(path) as file:
            for line in file:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "200":
                    ok += 1
                    times.append(float(parts[1]))
                else:
                    failed += 1
    except OSError:
        pass
    return {
        "ok": ok,
        "failed": failed,
        "max_s": round(max(times), 3) if times else None,
        "median_s": round(sorted(times)[len(times) // 2], 4) if times else None,
    }


def mib(kib):
    return kib / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--server-log")
    args = parser.parse_args()
    out = args.out

    run = load(os.path.join(out, "run.json"), {})
    machine = {}
    try:
        with open(os.path.join(out, "machine.txt")) as file:
            for line in file:
                key, _, value = line.partition(":")
                machine[key.strip()] = value.strip()
    except OSError:
        pass
    wrk = {name: load(os.path.join(out, f"wrk-{name}.json")) for name, _ in WRK_RUNS}
    attack = load(os.path.join(out, "attack.json"), {})
    samples = rss_samples(os.path.join(out, "rss.csv"))
    probe = probe_results(os.path.join(out, "probe.txt"))
    server_log = parse_server_log(args.server_log)

    limit_kib = run.get("rss_limit_mib", 64) * 1024
    peak_hwm = max([s["hwm"] for s in samples] + [run.get("vmhwm_kib_before_stop", 0)])
    peak_by_phase = {}
    for s in samples:
        phase = peak_by_phase.setdefault(
            s["phase"], {"rss_kib": 0, "fds": 0, "threads": 0, "load1": 0.0}
        )
        phase["rss_kib"] = max(phase["rss_kib"], s["rss"])
        phase["fds"] = max(phase["fds"], s["fds"])
        phase["threads"] = max(phase["threads"], s["threads"])
        phase["load1"] = max(phase["load1"], s["load"])
    # CPU per phase, from consecutive samples of the same phase, in % of one
    # core: the server; every process of the run (server, wrk, attack.py,
    # probes); the machine's user + system time; what other work took (the
    # machine's time less the run's: other builds or tests on the machine;
    # rough, as short-lived processes of the run are missed); and steal.
    tick = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count() or 1
    spans = {}
    for before, after in zip(samples, samples[1:]):
        if before["phase"] != after["phase"] or not after["total"]:
            continue
        span = spans.setdefault(after["phase"], {"s": 0.0, "server": 0, "ours": 0, "busy": 0, "steal": 0, "total": 0})
        span["s"] += after["t"] - before["t"]
        for key, field in (("server", "ticks"), ("ours", "ours"), ("busy", "busy"), ("steal", "steal"), ("total", "total")):
            span[key] += after[field] - before[field]
    for name, span in spans.items():
        if span["s"] > 0 and span["total"] > 0:
            # /proc/stat counts all cores: its jiffies per second are cores * tick.
            machine_pct = span["busy"] / span["total"] * 100 * cores
            run_pct = span["ours"] / tick / span["s"] * 100
            peak_by_phase[name]["server_cpu_pct"] = round(span["server"] / tick / span["s"] * 100)
            peak_by_phase[name]["run_cpu_pct"] = round(run_pct)
            peak_by_phase[name]["machine_cpu_pct"] = round(machine_pct)
            peak_by_phase[name]["other_cpu_pct"] = max(0, round(machine_pct - run_pct))
            peak_by_phase[name]["steal_pct"] = round(span["steal"] / span["total"] * 100 * cores)
    soak_rss = [s["rss"] for s in samples if s["phase"] == "soak"]
    over_limit_at = next((s["t"] for s in samples if s["hwm"] >= limit_kib), None)

    # ------------------------------------------------------------- verdicts
    unexpected = sum((w or {}).get("unexpected", 0) for w in wrk.values())
    wrong_body = sum((w or {}).get("wrong_body", 0) for w in wrk.values())
    orphans = sum((w or {}).get("orphans", 0) for w in wrk.values())
    missing = [name for name, w in wrk.items() if w is None]
    stop_ok = (
        run.get("stop_exit_code") == 0
        and run.get("stop_s") is not None
        and run["stop_s"] <= run.get("stop_limit_s", 15)
        and not run.get("stop_killed")
    )
    checks = [
        ("unexpected statuses = 0", unexpected == 0, f"{unexpected}"),
        ("wrong bodies = 0", wrong_body == 0 and orphans == 0,
         f"{wrong_body} (unmatched responses {orphans})"),
        (f"peak RSS (VmHWM) < {run.get('rss_limit_mib', 64)} MiB", peak_hwm < limit_kib,
         f"{mib(peak_hwm):.1f} MiB" + (f", limit reached at t={over_limit_at:.0f}s" if over_limit_at else "")),
        ("server alive after the soak", bool(run.get("server_alive_after_soak")), ""),
        ("answers fib 11 after the soak", bool(run.get("answers_after_soak")), ""),
        (f"stops on SIGTERM within {run.get('stop_limit_s', 15)} s, exit 0", stop_ok,
         f"{run.get('stop_s')} s, exit {run.get('stop_exit_code')}"
         + (", killed" if run.get("stop_killed") else "")),
        ("every wrk run reported", not missing, ", ".join(missing)),
    ]
    held = all(ok for _, ok, _ in checks)

    # ------------------------------------------------------------- printing
    lines = []
    say = lines.append
    say(f"# Soak of a generated pop router app: {'HELD' if held else 'DID NOT HOLD'}")
    say("")
    say(
        f"{machine.get('date', '?')}; {machine.get('nproc', '?')} cores ({machine.get('cpu', '?')}), "
        f"kernel {machine.get('kernel', '?')}, {machine.get('rustc', '?')}, {machine.get('wrk', '?')}"
    )
    say(
        f"soak {run.get('soak_seconds')} s: {run.get('slow_body')} slow bodies "
        f"({run.get('trickle_percent')}% trickled), {run.get('loris')} slowloris, "
        f"mixed wrk -t{run.get('mix_conns')} -c{run.get('mix_conns')}, good-only wrk "
        f"-c{run.get('good_conns')}; baselines {run.get('baseline_seconds')} s each"
    )
    say("")
    say("| check | result | value |")
    say("| --- | --- | --- |")
    for name, ok, value in checks:
        say(f"| {name} | {'ok' if ok else '**NOT MET**'} | {value} |")
    say("")

    say("## Requests (wrk)")
    say("")
    say("| run | responses | req/s | unexpected | wrong body | socket errors (connect/read/write/timeout) | p50 ms | p99 ms | max ms |")
    say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, what in WRK_RUNS:
        w = wrk.get(name)
        if not w:
            say(f"| {name} ({what}) | missing | | | | | | | |")
            continue
        e, lat = w["errors"], w["latency_ms"]
        say(
            f"| {name} ({what}) | {w['responses']} | {w['responses'] / w['duration_s']:.0f} | "
            f"{w['unexpected']} | {w['wrong_body']} | {e['connect']}/{e['read']}/{e['write']}/{e['timeout']} | "
            f"{lat['p50']:.2f} | {lat['p99']:.2f} | {lat['max']:.2f} |"
        )
    say("")
    soak_mix = wrk.get("soak-mix")
    if soak_mix:
        say("Mixed requests under attack, per kind:")
        say("")
        say("| kind | expected | served | statuses | unexpected | wrong body |")
        say("| --- | --- | --- | --- | --- | --- |")
        for kind, k in soak_mix["kinds"].items():
            statuses = ", ".join(f"{s}: {n}" for s, n in k["statuses"].items())
            say(f"| {kind} | {k['expected_status']} | {k['served']} | {statuses} | {k['unexpected']} | {k['wrong_body']} |")
        say("")
    quiet, mixed, attacked = wrk.get("baseline-quiet"), wrk.get("baseline-mix-good"), wrk.get("soak-good")
    if quiet and attacked:
        q, m, a = quiet["latency_ms"]["p99"], (mixed or {}).get("latency_ms", {}).get("p99"), attacked["latency_ms"]["p99"]
        say(
            f"p99 of good requests: {q:.2f} ms alone, "
            + (f"{m:.2f} ms beside the mixed wrk, " if m is not None else "")
            + f"{a:.2f} ms under attack (beside the mixed wrk too): "
            f"x{a / q:.1f} of alone" + (f", x{a / m:.1f} of beside the mix" if m else "")
        )
        say("")

    say("## New connections during the soak (curl fib 11 every second)")
    say("")
    say(f"{probe['ok']} answered 200, {probe['failed']} failed; median {probe['median_s']} s, max {probe['max_s']} s")
    say("")

    say("## Slow clients (attack.py)")
    say("")
    say("| kind | connections opened | how they ended | lifetime s (median / max) | last byte to end s (median / max) | open at the end (max age s) |")
    say("| --- | --- | --- | --- | --- | --- |")
    for kind, k in attack.get("kinds", {}).items():
        life, stall = k.get("lifetime_s") or {}, k.get("last_byte_to_end_s") or {}
        endings = ", ".join(f"{how}: {n}" for how, n in k["endings"].items() if how != "open at end")
        if k["connect_errors"]:
            endings += "; connect errors " + ", ".join(f"{e}: {n}" for e, n in k["connect_errors"].items())
        age = (k.get("open_at_end_age_s") or {}).get("max")
        say(
            f"| {kind} | {k['opened']} | {endings} | {life.get('median')} / {life.get('max')} | "
            f"{stall.get('median')} / {stall.get('max')} | {k['open_at_end']} ({age}) |"
        )
    say("")

    say("## Server")
    say("")
    say(
        f"CPU in % of one core ({cores} cores): the server; the whole run (server, wrk, "
        "attack.py, probes); other work on the machine (its user + system time less the run's, rough); steal."
    )
    say("")
    say("| phase | peak VmRSS MiB | peak open fds | peak threads | server CPU | run CPU | other work CPU | steal | peak load |")
    say("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for phase, p in peak_by_phase.items():
        say(
            f"| {phase} | {mib(p['rss_kib']):.1f} | {p['fds']} | {p['threads']} | "
            f"{p.get('server_cpu_pct', '')} | {p.get('run_cpu_pct', '')} | {p.get('other_cpu_pct', '')} | "
            f"{p.get('steal_pct', '')} | {p['load1']:.2f} |"
        )
    say("")
    say(
        f"peak VmHWM {mib(peak_hwm):.1f} MiB (limit {run.get('rss_limit_mib', 64)} MiB); "
        + (f"VmRSS during the soak from {mib(soak_rss[0]):.1f} to {mib(soak_rss[-1]):.1f} MiB; " if soak_rss else "")
        + f"VmRSS before SIGTERM {mib(run.get('vmrss_kib_before_stop', 0)):.1f} MiB"
    )
    linger = run.get("linger_s")
    say(
        f"open fds: idle {run.get('idle_fds')}, when the slow clients stopped {run.get('fds_when_attack_stopped')}, "
        + (f"back to idle {linger:.1f} s later" if linger is not None
           else f"still {run.get('fds_after_linger')} after {run.get('linger_limit_s')} s")
        + f"; at SIGTERM {run.get('fds_at_sigterm')}"
    )
    say(
        f"SIGTERM: exit code {run.get('stop_exit_code')} after {run.get('stop_s')} s"
        + (" (killed at the limit)" if run.get("stop_killed") else "")
    )
    if server_log:
        statuses = ", ".join(
            f"{s}: {e['count']} (longest {e['max_s']} s)" for s, e in server_log["statuses"].items()
        )
        say(f"server log, requests by status: {statuses}")
        for message, n in list(server_log["warnings"].items())[:5]:
            say(f"server WARN x{n}: {message}")
        for message, n in list(server_log["other_errors"].items())[:5]:
            say(f"server ERROR x{n}: {message}")
    say("")
    text = "\n".join(lines)
    print(text)

    summary = {
        "held": held,
        "checks": [{"check": n, "ok": ok, "value": v} for n, ok, v in checks],
        "machine": machine,
        "run": run,
        "wrk": wrk,
        "probe": probe,
        "attack": attack,
        "server": {
            "peak_vmhwm_kib": peak_hwm,
            "peak_by_phase": peak_by_phase,
            "rss_limit_reached_at_s": over_limit_at,
            "log": server_log,
        },
    }
    with open(os.path.join(out, "summary.json"), "w") as file:
        json.dump(summary, file, indent=2)
        file.write("\n")
    with open(os.path.join(out, "report.md"), "w") as file:
        file.write(text + "\n")
    return 0 if held else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a broken report is not a verdict on the server
        import traceback

        traceback.print_exc()
        sys.exit(2)
