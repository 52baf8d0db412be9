#!/usr/bin/env bash
# Soak test of a generated pop router app under hostile clients, on loopback.
# Bounded in time and count; cleans up every process it starts. Results in
# RELIABILITY.md.
#
#   bench/soak.sh                      # default: 60 s soak, ~3 min in all
#   SOAK_SECONDS=20 bench/soak.sh      # a shorter soak
#
# What it does:
#   1. builds pop-create (release), generates `soakapp` in a temp dir
#      (`new soakapp --vcs none --ci none --license none`, `add-sub rpc
#      --pattern router`), drops bench/soak/plugins/*.rs into src/rpc/ (fib,
#      a plugin that fails, two that panic) and builds it (release, target
#      dir inside the temp dir); starts it on a free loopback port with
#      stdout/stderr to files, and checks it answers fib 11 with {"ref": 89};
#   2. baselines (SOAK_BASELINE_SECONDS each), no slow clients:
#        quiet: the good-only wrk (`wrk --latency`, fib 11) alone;
#        mix:   the good-only wrk and the mixed wrk side by side;
#   3. the soak: bench/soak/attack.py opens SOAK_SLOW_BODY slow-body
#      connections (Content-Length 1 MiB; SOAK_TRICKLE_PERCENT % trickle
#      1 KiB/s, the rest send 1 MiB - 1 byte and stall) and SOAK_LORIS
#      slowloris connections (a header line every 2 s, never ending), each
#      reconnecting when the server closes it; once they are open, the mixed
#      wrk and the good-only wrk run SOAK_SECONDS side by side, and a fresh
#      connection asks for fib 11 every second (the probe);
#   4. stops the slow clients, watches how long the server keeps their
#      connections (up to SOAK_LINGER s), checks it still answers, then sends
#      SIGTERM and times its exit (limit SOAK_STOP_LIMIT s, exit code 0);
#   5. prints a report, writes summary.json / report.md to SOAK_OUT.
#
# The mixed wrk (bench/soak/requests.lua) sends good requests (fib by POST
# and GET, /healthz), bad ones (not JSON, unknown ref, bad kwargs) and
# failing ones (a plugin error, an async panic, a blocking panic), each kind
# with exactly one expected status, and counts responses per kind and status.
# It runs one connection per wrk thread, so that each response is matched to
# its request.
#
# Server RSS (VmRSS, VmHWM), threads, open fds and CPU, and the machine's
# CPU use and load, are sampled every second (rss.csv).
# Exit status: 0 when it held; 1 when any response had an unexpected status
# or body, peak RSS (VmHWM) >= SOAK_RSS_LIMIT_MIB, or the server died, hung,
# or did not stop cleanly on SIGTERM in time; 2 for a setup error.
#
# Environment (all optional):
#   SOAK_SECONDS=60  SOAK_BASELINE_SECONDS=10  SOAK_RAMP=3 (s for the slow
#   clients to connect before wrk starts)
#   SOAK_SLOW_BODY=500  SOAK_TRICKLE_PERCENT=20  SOAK_LORIS=200
#   SOAK_MIX_CONNS=8 (= mixed wrk threads)  SOAK_GOOD_CONNS=10
#   SOAK_RSS_LIMIT_MIB=64  SOAK_STOP_LIMIT=15  SOAK_LINGER=10
#   SOAK_QUIET_MAX=20 (s to wait at most for other work on the machine to
#                      calm down before the baselines)
#   SOAK_OUT=<results dir, default a new ${TMPDIR:-/tmp}/pop-soak-results.XXXXXX>
#   SOAK_TARGET_DIR=<cargo target dir for the app, to reuse between runs;
#                    default inside the temp dir>
#   KEEP=1 (keep the temp dir: the app, its build and the full server log)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here="$repo/bench/soak"

SOAK_SECONDS="${SOAK_SECONDS:-60}"
SOAK_BASELINE_SECONDS="${SOAK_BASELINE_SECONDS:-10}"
SOAK_RAMP="${SOAK_RAMP:-3}"
SOAK_SLOW_BODY="${SOAK_SLOW_BODY:-500}"
SOAK_TRICKLE_PERCENT="${SOAK_TRICKLE_PERCENT:-20}"
SOAK_LORIS="${SOAK_LORIS:-200}"
SOAK_MIX_CONNS="${SOAK_MIX_CONNS:-8}"
SOAK_GOOD_CONNS="${SOAK_GOOD_CONNS:-10}"
SOAK_RSS_LIMIT_MIB="${SOAK_RSS_LIMIT_MIB:-64}"
SOAK_STOP_LIMIT="${SOAK_STOP_LIMIT:-15}"
SOAK_QUIET_MAX="${SOAK_QUIET_MAX:-20}"
SOAK_LINGER="${SOAK_LINGER:-10}"

for var in SOAK_SECONDS SOAK_BASELINE_SECONDS SOAK_RAMP SOAK_SLOW_BODY SOAK_TRICKLE_PERCENT \
    SOAK_LORIS SOAK_MIX_CONNS SOAK_GOOD_CONNS SOAK_RSS_LIMIT_MIB SOAK_STOP_LIMIT SOAK_LINGER \
    SOAK_QUIET_MAX; do
    [[ "${!var}" =~ ^[0-9]+$ ]] || { echo "error: $var must be a whole number, not '${!var}'" >&2; exit 2; }
done
# Bounded: an hour of soak at most.
if [ "$SOAK_SECONDS" -lt 1 ] || [ "$SOAK_SECONDS" -gt 3600 ]; then
    echo "error: SOAK_SECONDS must be 1..3600" >&2
    exit 2
fi
if [ "$SOAK_MIX_CONNS" -lt 1 ] || [ "$SOAK_GOOD_CONNS" -lt 1 ]; then
    echo "error: SOAK_MIX_CONNS and SOAK_GOOD_CONNS must be at least 1" >&2
    exit 2
fi

# --- tools ----------------------------------------------------------------------
missing=0
need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "error: $1 is missing; install it with: $2" >&2
        missing=1
    fi
}
need wrk "apt-get install -y wrk"
need python3 "apt-get install -y python3"
need curl "apt-get install -y curl"
need cargo "rustup (https://rustup.rs)"
[ "$missing" = 0 ] || exit 2

work=$(mktemp -d "${TMPDIR:-/tmp}/pop-soak.XXXXXX")
out="${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/pop-soak-results.XXXXXX")}"
mkdir -p "$out"
log="$out/soak.log"
: >"$log"

say() { printf '%s\n' "$*" | tee -a "$log" >&2; }
step() { say ""; say "=== $* ($(date +%T)) ==="; }

# --- processes we start: all stopped on exit ---------------------------------------
# Every one is a background job of this shell: `jobs -pr` lists those still
# running, so a pid that ended (and may have been reused) is never signalled.
server_pid=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$? pid running
    trap - EXIT INT TERM
    touch "$work/stop" 2>/dev/null || true
    running=$(jobs -pr)
    for pid in $running; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $running; do
        for _ in $(seq 30); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${KEEP:-}" ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
    echo "results: $out" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Whether a child process still runs (a zombie does not).
alive() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# Seconds from $1 to $2 (default: now), both `date +%s.%N`.
since() { awk -v a="$1" -v b="${2:-$(date +%s.%N)}" 'BEGIN { printf "%.3f", b - a }'; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the machine --------------------------------------------------------------------
{
    echo "date:    $(date -Is)"
    echo "nproc:   $(nproc)"
    echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel:  $(uname -r)"
    echo "rustc:   $(rustc --version)"
    echo "wrk:     $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
    echo "python:  $(python3 --version 2>&1)"
    echo "commit:  $(git -C "$repo" log -1 --format='%h %s' 2>/dev/null || echo '?')"
    echo "changed: $(git -C "$repo" status --porcelain 2>/dev/null | wc -l) files uncommitted"
    echo "nofile:  $(ulimit -n)"
} | tee "$out/machine.txt" | tee -a "$log" >&2

# --- 1. build and start the app ------------------------------------------------------
cargo_log() {
    local name="$1"
    shift
    if ! "$@" </dev/null >"$out/cargo-$name.log" 2>&1; then
        tail -n 30 "$out/cargo-$name.log" >&2
        say "error: $* failed (log: $out/cargo-$name.log)"
        exit 2
    fi
    say "$(tail -n 1 "$out/cargo-$name.log" | sed 's/^ *//')"
}

step "building pop-create (release)"
# pop-create goes to the repo's own target/, whatever the caller's shell says.
unset CARGO_TARGET_DIR
cargo_log pop-create cargo build --release --locked --manifest-path "$repo/Cargo.toml" --bin pop-create
pop_create="$repo/target/release/pop-create"

step "generating soakapp in $work"
(
    cd "$work"
    "$pop_create" new soakapp --vcs none --ci none --license none --no-input
    cd soakapp
    "$pop_create" add-sub rpc --pattern router --no-input
    cp "$here"/plugins/*.rs src/rpc/
) </dev/null >"$out/generate.log" 2>&1 || { cat "$out/generate.log" >&2; exit 2; }
say "plugins: $(cd "$here/plugins" && echo *.rs)"
# Which router was tested: pop-create copies its runtime into the app.
echo "runtime: $(cd "$work/soakapp/runtime" && find . -type f -name '*.rs' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16) (sha256 of the app's runtime/**/*.rs)" \
    | tee -a "$out/machine.txt" | tee -a "$log" >&2

step "building soakapp (release)"
app="$work/soakapp"
export CARGO_TARGET_DIR="${SOAK_TARGET_DIR:-$work/target}"
mkdir -p "$CARGO_TARGET_DIR"
CARGO_TARGET_DIR=$(cd "$CARGO_TARGET_DIR" && pwd)
(cd "$app" && cargo_log soakapp cargo build --release)
bin="$CARGO_TARGET_DIR/release/soakapp"
unset CARGO_TARGET_DIR

port=$(free_port)
url="http://127.0.0.1:$port/"
step "starting soakapp on $url"
"$bin" --port "$port" >"$work/server.out" 2>"$work/server.err" </dev/null &
server_pid=$!
fib_ok() {
    [ "$(curl -s -m "${1:-2}" -X POST "$url" -H 'Content-Type: application/json' \
        -d '{"ref": "math.fib", "kwargs": {"num": 11}}' 2>/dev/null)" = '{"ref": 89}' ]
}
for _ in $(seq 100); do
    alive "$server_pid" || { cat "$work/server.out" "$work/server.err" >&2; say "error: soakapp exited at start"; exit 2; }
    grep -q "serving on" "$work/server.out" 2>/dev/null && fib_ok && break
    sleep 0.1
done
fib_ok || { say "error: soakapp does not answer fib 11 with {\"ref\": 89}"; exit 2; }
say "$(grep "serving on" "$work/server.out"); pid $server_pid"

# --- sampling: RSS, HWM, threads, fds every second, tagged with the phase ---------------
echo idle >"$work/phase"
started=$(date +%s.%N)
echo "t_s,phase,vmrss_kib,vmhwm_kib,threads,fds,server_ticks,ours_ticks,cpu_busy,cpu_steal,cpu_total,load1" >"$out/rss.csv"
pgrp=$(awk '{sub(/^.*\) /, ""); print $3}' /proc/$$/stat)
(
    # A sample that fails (a process vanished while it was read) is no
    # reason to stop sampling.
    set +e +o pipefail
    # Bounded: stops with the server, on the stop file, or after 2 hours.
    for _ in $(seq 7200); do
        [ -e "$work/stop" ] && break
        alive "$server_pid" || break
        now=$(date +%s.%N)
        read -r rss hwm threads < <(awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} /^Threads:/ {t=$2}
            END {print r, h, t}' "/proc/$server_pid/status" 2>/dev/null)
        [ -n "$hwm" ] || break
        fds=$(find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        # CPU ticks of the server and of every process of this script's
        # process group (ours: server, wrk, attack.py, ...); the machine's user +
        # nice + system, steal and total jiffies; the load average.
        procs=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v server="$server_pid" -v pgrp="$pgrp" '
            { pid = $1; sub(/^.*\) /, ""); t = $12 + $13
              if (pid == server) st = t
              # with the children reaped (cutime, cstime): a wrk that ended counts
              if ($3 == pgrp) ours += t + $14 + $15 }
            END { printf "%d,%d", st, ours }')
        read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
        total=$((user + nice + system + idle + iowait + irq + softirq + steal))
        cpu="$procs,$((user + nice + system)),$steal,$total,$(cut -d' ' -f1 /proc/loadavg)"
        printf '%s,%s,%s,%s,%s,%s,%s\n' "$(since "$started" "$now")" "$(cat "$work/phase")" \
            "$rss" "$hwm" "$threads" "$fds" "$cpu" >>"$out/rss.csv"
        sleep 1
    done
) &
sleep 1.2
idle_fds=$(tail -n 1 "$out/rss.csv" | cut -d, -f6)
say "idle: VmRSS $(tail -n 1 "$out/rss.csv" | cut -d, -f3) KiB, $idle_fds fds"

lua="$here/requests.lua"
# run_wrk NAME MIX THREADS CONNS SECONDS [wrk options]: in the background, pid in $wrk_pid.
run_wrk() {
    local name="$1" mix="$2" threads="$3" conns="$4" seconds="$5"
    shift 5
    SOAK_MIX="$mix" SOAK_LABEL="$name" SOAK_JSON="$out/wrk-$name.json" \
        wrk -t"$threads" -c"$conns" -d"${seconds}s" "$@" -s "$lua" "$url" \
        >"$out/wrk-$name.txt" 2>&1 </dev/null &
    wrk_pid=$!
}
wait_wrk() {
    local pid="$1" name="$2"
    wait "$pid" || { say "error: wrk $name failed:"; cat "$out/wrk-$name.txt" >&2; exit 2; }
    grep "^\[$name\]" "$out/wrk-$name.txt" | tee -a "$log" >&2
}
good_threads=$((SOAK_GOOD_CONNS < 2 ? 1 : 2))

# --- 2. baselines -------------------------------------------------------------------------
# Other work on the machine (a build) would skew the latencies: wait, for
# SOAK_QUIET_MAX s at most, until it is less than 25 % busy over 2 s.
busy_pct() {
    local b0 t0 b1 t1
    read -r b0 t0 < <(awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat)
    sleep 2
    read -r b1 t1 < <(awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t}' /proc/stat)
    echo $(((b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}
quiet_start=$(date +%s)
while :; do
    busy=$(busy_pct)
    if [ "$busy" -lt 25 ] || [ $(($(date +%s) - quiet_start)) -ge "$SOAK_QUIET_MAX" ]; then break; fi
    say "machine ${busy}% busy (other work); waiting up to ${SOAK_QUIET_MAX}s for it to calm down"
done
say "machine ${busy}% busy before the baselines"
echo "busy_before_baselines: ${busy}%" >>"$out/machine.txt"

step "baseline quiet: good-only wrk alone, ${SOAK_BASELINE_SECONDS}s"
echo baseline-quiet >"$work/phase"
run_wrk baseline-quiet good "$good_threads" "$SOAK_GOOD_CONNS" "$SOAK_BASELINE_SECONDS" --latency
wait_wrk "$wrk_pid" baseline-quiet

step "baseline mix: good-only wrk + mixed wrk, no slow clients, ${SOAK_BASELINE_SECONDS}s"
echo baseline-mix >"$work/phase"
run_wrk baseline-mix-good good "$good_threads" "$SOAK_GOOD_CONNS" "$SOAK_BASELINE_SECONDS" --latency
good_pid=$wrk_pid
run_wrk baseline-mix "" "$SOAK_MIX_CONNS" "$SOAK_MIX_CONNS" "$SOAK_BASELINE_SECONDS"
mix_pid=$wrk_pid
wait_wrk "$good_pid" baseline-mix-good
wait_wrk "$mix_pid" baseline-mix
alive "$server_pid" || { say "error: the server died during the baselines"; }

# --- 3. the soak ----------------------------------------------------------------------------
step "soak: $SOAK_SLOW_BODY slow bodies ($SOAK_TRICKLE_PERCENT% trickled), $SOAK_LORIS slowloris, mixed + good wrk, ${SOAK_SECONDS}s"
echo soak >"$work/phase"
python3 "$here/attack.py" --port "$port" --seconds $((SOAK_RAMP + SOAK_SECONDS + 30)) \
    --slow-body "$SOAK_SLOW_BODY" --trickle-percent "$SOAK_TRICKLE_PERCENT" --loris "$SOAK_LORIS" \
    --ramp "$((SOAK_RAMP > 1 ? SOAK_RAMP - 1 : 1))" --out "$out/attack.json" \
    >"$out/attack.log" 2>&1 </dev/null &
attack_pid=$!
sleep "$SOAK_RAMP"
alive "$attack_pid" || { cat "$out/attack.log" >&2; say "error: attack.py exited early"; exit 2; }
say "slow clients connected: server fds $(find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)"

# The probe: a fresh connection asks for fib 11 every second.
(
    set +e
    end=$(($(date +%s) + SOAK_SECONDS))
    while [ "$(date +%s)" -lt "$end" ] && [ ! -e "$work/stop" ]; do
        curl -s -o "$work/probe.body" -w '%{http_code} %{time_total}\n' -m 5 -X POST "$url" \
            -H 'Content-Type: application/json' -d '{"ref": "math.fib", "kwargs": {"num": 11}}' \
            >>"$out/probe.txt" 2>/dev/null || echo "000 timeout-or-error" >>"$out/probe.txt"
        sleep 1
    done
) &
probe_pid=$!

run_wrk soak-good good "$good_threads" "$SOAK_GOOD_CONNS" "$SOAK_SECONDS" --latency
good_pid=$wrk_pid
run_wrk soak-mix "" "$SOAK_MIX_CONNS" "$SOAK_MIX_CONNS" "$SOAK_SECONDS"
mix_pid=$wrk_pid
wait_wrk "$good_pid" soak-good
wait_wrk "$mix_pid" soak-mix
wait "$probe_pid" 2>/dev/null || true

server_alive_after_soak=1
alive "$server_pid" || server_alive_after_soak=0

# --- 4. after the soak: slow clients gone, how long the server keeps their connections --------
step "stopping the slow clients"
echo after >"$work/phase"
kill -TERM "$attack_pid" 2>/dev/null || true
for _ in $(seq 100); do alive "$attack_pid" || break; sleep 0.1; done
wait "$attack_pid" 2>/dev/null || true
tail -n 2 "$out/attack.log" | tee -a "$log" >&2
fds_now() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
linger_start=$(date +%s.%N)
fds_at_stop=$(fds_now)
linger_s=""
for _ in $(seq $((SOAK_LINGER * 10))); do
    alive "$server_pid" || break
    if [ "$(fds_now)" -le $((idle_fds + 2)) ]; then
        linger_s=$(since "$linger_start")
        break
    fi
    sleep 0.1
done
fds_after_linger=$(fds_now)
say "server fds: idle $idle_fds, when the slow clients stopped $fds_at_stop, ${SOAK_LINGER}s later $fds_after_linger"
answers_after=0
if alive "$server_pid" && fib_ok 5; then answers_after=1; fi
say "answers fib 11 after the soak: $([ "$answers_after" = 1 ] && echo yes || echo NO)"
hwm_before_stop=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
rss_before_stop=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)

# --- SIGTERM -----------------------------------------------------------------------------------
step "SIGTERM (limit ${SOAK_STOP_LIMIT}s)"
echo stopping >"$work/phase"
stop_rc=""
stop_s=""
stop_killed=0
if alive "$server_pid"; then
    fds_at_term=$(fds_now)
    term_at=$(date +%s.%N)
    kill -TERM "$server_pid"
    while alive "$server_pid" && [ "$(since "$term_at" | cut -d. -f1)" -lt "$SOAK_STOP_LIMIT" ]; do
        sleep 0.05
    done
    stop_s=$(since "$term_at")
    if alive "$server_pid"; then
        kill -KILL "$server_pid" 2>/dev/null || true
        stop_killed=1
    fi
    set +e
    wait "$server_pid"
    stop_rc=$?
    set -e
    say "exit code $stop_rc after ${stop_s}s (open fds at SIGTERM: $fds_at_term)$([ "$stop_killed" = 1 ] && echo '; still running at the limit: KILLED')"
else
    fds_at_term=0
    set +e
    wait "$server_pid"
    died_rc=$?
    set -e
    say "error: the server is not running any more (it exited with code $died_rc)"
fi
touch "$work/stop"

cp "$work/server.out" "$out/server.out"
tail -n 50 "$work/server.err" >"$out/server-err-tail.txt" 2>/dev/null || true
say "server log: $(wc -l <"$work/server.err") lines, $(du -h "$work/server.err" | cut -f1)"

# --- 5. report ---------------------------------------------------------------------------------
cat >"$out/run.json" <<EOF
{
  "soak_seconds": $SOAK_SECONDS,
  "baseline_seconds": $SOAK_BASELINE_SECONDS,
  "slow_body": $SOAK_SLOW_BODY,
  "trickle_percent": $SOAK_TRICKLE_PERCENT,
  "loris": $SOAK_LORIS,
  "mix_conns": $SOAK_MIX_CONNS,
  "good_conns": $SOAK_GOOD_CONNS,
  "rss_limit_mib": $SOAK_RSS_LIMIT_MIB,
  "stop_limit_s": $SOAK_STOP_LIMIT,
  "linger_limit_s": $SOAK_LINGER,
  "server_alive_after_soak": $server_alive_after_soak,
  "answers_after_soak": $answers_after,
  "idle_fds": ${idle_fds:-0},
  "fds_when_attack_stopped": ${fds_at_stop:-0},
  "fds_after_linger": ${fds_after_linger:-0},
  "linger_s": ${linger_s:-null},
  "fds_at_sigterm": ${fds_at_term:-0},
  "vmhwm_kib_before_stop": ${hwm_before_stop:-0},
  "vmrss_kib_before_stop": ${rss_before_stop:-0},
  "stop_exit_code": ${stop_rc:-null},
  "stop_s": ${stop_s:-null},
  "stop_killed": $stop_killed
}
EOF
set +e
python3 "$here/report.py" "$out" --server-log "$work/server.err"
verdict=$?
set -e
exit "$verdict"
