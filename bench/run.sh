#!/usr/bin/env bash
# Issue 7 benchmarks: the pop router against Python pop and a hand-written axum
# server, start-up times, and build times. Run from anywhere; no stdin needed.
# Method and results: BENCHMARKS.md.
#
#   bench/run.sh                            # everything (~10 min on 2 cores with ROUNDS=3)
#   SKIP_BUILD_TIMES=1 bench/run.sh         # load test and start-up only
#   SKIP_LOAD=1 SKIP_STARTUP=1 bench/run.sh # build times only
#
# What it does:
#   1. builds pop-create (release), generates the tutorial project into a temp
#      dir (`new poppy --vcs none`, `add-sub rpc --pattern router`, SPEC section
#      5's math.rs) and builds it with `cargo build --release`; builds
#      bench/axum-baseline (release); sets up the Python reference app's venv
#      the way the reference app's own bench.sh does;
#   2. starts every server on its own free loopback port, checks each answers
#      fib 11 with {"ref": 89}, warms each up, then runs
#      `wrk -t2 -c50 -d10s --latency -s fib.lua` once per server per round,
#      ROUNDS rounds, interleaved (each round starts one server later), logging
#      req/s, p50/p99, server CPU, wrk CPU, machine load and server RSS;
#      waits for a quiet machine before each run and leaves runs disturbed by
#      other work out of the medians;
#   3. hyperfine: `pop-create new` (fresh dir each run), the generated binary's
#      `--help`, Python's `run.py --help`;
#   4. build times: cold `cargo build --timings` (debug) of a fresh router
#      project with an empty CARGO_TARGET_DIR (crates already fetched), then
#      rebuilds after editing src/rpc/math.rs;
#   5. prints a summary table with ratios, and writes everything to $OUT.
#
# Rust server variants (all the same release binary):
#   rust          --log-level info, stderr -> /dev/null (one log line per request, discarded;
#                 metrics and request ids on: the defaults)
#   rust-file     --log-level info, stderr -> a file     (one log line per request, kept)
#   rust-warn     --log-level warn, stderr -> a file     (no per-request log line)
#   rust-bare     like rust, POP_ROUTER_BARE=1: no metrics, no request ids (not in the default set)
#   rust-1worker  like rust, TOKIO_WORKER_THREADS=1      (not in the default set)
#   rust-before   like rust, but the binary at $BEFORE_BIN (another version's tutorial app;
#                 not in the default set), to compare two versions in one run
#
# Environment (all optional):
#   ROUNDS=3  DURATION=10s  THREADS=2  CONNS=50  WARMUP=3s
#   VARIANTS="python rust rust-file rust-warn axum"
#   PY_APP=../shared/bench/poppy-python (relative to the repository)   VENV=${TMPDIR:-/tmp}/poppy-python-venv
#   OUT=target/bench/results-<time>   KEEP=1 (keep the temp dir)
#   SKIP_BUILD_TIMES=1   SKIP_STARTUP=1   SKIP_LOAD=1
#   QUIET_BUSY=25  (% machine busy over 2 s below which a run may start)
#   QUIET_MAX=180  (s to wait for that at most)
#   OTHER_MAX=10   (% of the machine other work may take during a run before it is left out)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-50}"
WARMUP="${WARMUP:-3s}"
VARIANTS="${VARIANTS:-python rust rust-file rust-warn axum}"
QUIET_BUSY="${QUIET_BUSY:-25}"
QUIET_MAX="${QUIET_MAX:-180}"
OTHER_MAX="${OTHER_MAX:-10}"
PY_APP="${PY_APP:-$ROOT/../shared/bench/poppy-python}"
VENV="${VENV:-${TMPDIR:-/tmp}/poppy-python-venv}"
OUT="${OUT:-$ROOT/target/bench/results-$(date +%Y%m%d-%H%M%S)}"
LUA="$PY_APP/fib.lua"
BODY='{"ref":"math.fib","kwargs":{"num":"11"}}'
# Build outputs kept between runs (the repo's target/ is git-ignored).
BENCH_TARGET="$ROOT/target/bench"
# Build times are measured with cargo's defaults, whatever the caller's shell says.
unset CARGO_INCREMENTAL CARGO_BUILD_JOBS RUSTFLAGS CARGO_TARGET_DIR

mkdir -p "$OUT" "$BENCH_TARGET"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pop-bench.XXXXXX")"
LOG="$OUT/run.log"
: >"$LOG"

say() { printf '%s\n' "$*" | tee -a "$LOG" >&2; }
step() { say ""; say "=== $* ($(date +%T); load $(cut -d' ' -f1-3 /proc/loadavg)) ==="; }

# --- servers we started: stopped on any exit ---------------------------------------
declare -A PID PORT
cleanup() {
    local name pid
    for name in "${!PID[@]}"; do
        pid="${PID[$name]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ------------------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1; }
for tool in wrk hyperfine curl; do
    if ! need "$tool"; then
        if [ "$(id -u)" = 0 ] && need apt-get; then
            apt-get install -y "$tool" </dev/null >/dev/null 2>&1 \
                || { apt-get update -qq </dev/null && apt-get install -y "$tool" </dev/null >/dev/null; }
        fi
        need "$tool" || { echo "error: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
    fi
done
need python3 || { echo "error: python3 is missing" >&2; exit 1; }
[ -f "$LUA" ] || { echo "error: $LUA not found (set PY_APP)" >&2; exit 1; }

# A pure-CPU probe, comparable with the one in the Python baseline document.
cpu_probe() {
    python3 -c 'import time
best = 1e9
for _ in range(3):
    start = time.perf_counter(); sum(range(int(3e7))); best = min(best, time.perf_counter() - start)
print(round(best, 2))'
}

# --- the machine --------------------------------------------------------------------
{
    echo "date:      $(date -Is)"
    echo "nproc:     $(nproc)"
    echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:    $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel:    $(uname -srm)"
    echo "rustc:     $(rustc --version)"
    echo "cargo:     $(cargo --version)"
    echo "wrk:       $(wrk -v 2>&1 | head -1)"
    echo "hyperfine: $(hyperfine --version)"
    echo "git:       $(git -C "$ROOT" log -1 --format='%h %s' 2>/dev/null || echo '?')"
    echo "changed:   $(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 12 | tr '\n' ' ')"
    echo "uptime:    $(uptime)"
    # The host's speed drifts (shared VM): the Python baseline document saw 0.41-0.56 s for this.
    echo "cpu probe: python3 -c 'sum(range(int(3e7)))' best of 3: $(cpu_probe) s"
} | tee "$OUT/machine.txt" | tee -a "$LOG" >&2

# --- helpers ----------------------------------------------------------------------------
# A loopback port nobody listens on, and none we handed out already.
NEXT_PORT=$((20000 + RANDOM % 20000))
free_port() {
    local port
    while :; do
        port=$NEXT_PORT
        NEXT_PORT=$((NEXT_PORT + 1))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Machine-wide busy jiffies and total jiffies, from /proc/stat.
cpu_jiffies() { awk '/^cpu / {t=0; for (i=2; i<=NF; i++) t+=$i; print t-$5-$6, t}' /proc/stat; }
# utime+stime of a process, in clock ticks.
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# Machine busy % over 2 s, and waiting (up to QUIET_MAX s) until it is below QUIET_BUSY %:
# other work on the 2 cores (a cargo build, say) would otherwise skew a load run.
busy_over_2s() {
    local j0 t0 j1 t1
    read -r j0 t0 < <(cpu_jiffies)
    sleep 2
    read -r j1 t1 < <(cpu_jiffies)
    echo $(((j1 - j0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}
wait_quiet() {
    local busy waited=0
    while :; do
        busy="$(busy_over_2s)"
        if [ "$busy" -lt "$QUIET_BUSY" ] || [ "$waited" -ge "$QUIET_MAX" ]; then
            echo "$busy"
            return
        fi
        [ "$waited" = 0 ] && say "machine ${busy}% busy; waiting up to ${QUIET_MAX}s for it to calm down"
        sleep 3
        waited=$((waited + 5))
    done
}

# Wait until a server answers fib 11 with {"ref": 89}.
wait_ready() {
    local name="$1" url="http://127.0.0.1:${PORT[$1]}/" resp=""
    for _ in $(seq 300); do
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            say "error: $name exited early:"
            cat "$WORK/$name.out" "$WORK/$name.err" >&2 2>/dev/null || true
            exit 1
        fi
        resp="$(curl -s -m 2 -X GET "$url" -H 'Content-Type: application/json' -d "$BODY" || true)"
        if [ "$resp" = '{"ref": 89}' ]; then
            say "$name: pid ${PID[$name]} on $url answers $resp; idle RSS $(rss_kib "${PID[$name]}") KiB"
            return
        fi
        sleep 0.1
    done
    say "error: $name did not answer {\"ref\": 89}; last answer: $resp"
    exit 1
}

# --- 1. builds ------------------------------------------------------------------------------
# Runs cargo in directory $1 with its output in $OUT/cargo-$2.log; shows the end of it on failure.
cargo_in() {
    local dir="$1" name="$2"
    shift 2
    if ! (cd "$dir" && cargo "$@") </dev/null >"$OUT/cargo-$name.log" 2>&1; then
        tail -n 30 "$OUT/cargo-$name.log" >&2
        say "error: cargo $* failed in $dir (log: $OUT/cargo-$name.log)"
        exit 1
    fi
    say "$(tail -n 1 "$OUT/cargo-$name.log" | sed 's/^ *//')"
}

step "building pop-create (release)"
cargo_in "$ROOT" pop-create build --release --locked --bin pop-create
POP_CREATE="$ROOT/target/release/pop-create"

# Generates the tutorial's router project in "$1/poppy".
generate_project() {
    local parent="$1"
    mkdir -p "$parent"
    (
        cd "$parent"
        "$POP_CREATE" new poppy --vcs none --no-input </dev/null >>"$WORK/generate.log" 2>&1 \
            || { cat "$WORK/generate.log" >&2; exit 1; }
        cd poppy
        "$POP_CREATE" add-sub rpc --pattern router --no-input </dev/null >>"$WORK/generate.log" 2>&1 \
            || { cat "$WORK/generate.log" >&2; exit 1; }
        # SPEC section 5, verbatim.
        cat >src/rpc/math.rs <<'EOF'
use pop::prelude::*;

/// Return the num'th Fibonacci number.
#[plugin]
pub async fn fib(_hub: &Hub, #[default(10)] num: u64) -> Result<u64> {
    let (mut prev, mut curr) = (0u64, 1u64);
    if num < 2 { return Ok(num); }
    for _ in 1..num { (prev, curr) = (curr, prev + curr); }
    Ok(curr)
}

/// Triple a number.
#[plugin]
pub fn triple(_hub: &Hub, #[default(10)] num: u64) -> u64 { num * 3 }
EOF
    )
}

if [ -z "${SKIP_LOAD:-}" ] || [ -z "${SKIP_STARTUP:-}" ]; then
    step "generating and building the tutorial project (release)"
    generate_project "$WORK/app"
    APP="$WORK/app/poppy"
    CARGO_TARGET_DIR="$BENCH_TARGET/poppy" cargo_in "$APP" app build --release
    RUST_BIN="$BENCH_TARGET/poppy/release/poppy"
    say "binary: $RUST_BIN ($(du -k "$RUST_BIN" | cut -f1) KiB)"

    step "building bench/axum-baseline (release)"
    CARGO_TARGET_DIR="$BENCH_TARGET/axum" cargo_in "$ROOT/bench/axum-baseline" axum build --release --locked
    AXUM_BIN="$BENCH_TARGET/axum/release/axum-baseline"

    step "Python venv ($VENV)"
    # As bench.sh does: pip pinned (pop-config imports pip, so its version moves RSS and start-up).
    if [ ! -x "$VENV/bin/python" ] \
       || ! "$VENV/bin/python" -c 'import pop.hub, pop_config, aiohttp' 2>/dev/null \
       || [ "$("$VENV/bin/python" -m pip --version 2>/dev/null | awk '{print $2}')" != "26.3" ]; then
        say "setting up the venv"
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q pip==26.3 </dev/null >&2
        "$VENV/bin/python" -m pip install -q -r "$PY_APP/requirements.txt" </dev/null >&2
    fi
    say "$("$VENV/bin/python" --version), pop $("$VENV/bin/python" -m pip show pop 2>/dev/null | awk '/^Version/ {print $2}')"
fi

# --- 2. load ---------------------------------------------------------------------------------
start_server() {
    local name="$1" port
    port="$(free_port)"
    PORT[$name]=$port
    case "$name" in
        python)
            # As bench.sh starts it: python directly (so $! is the server), log file out of the cwd.
            "$VENV/bin/python" "$PY_APP/run.py" -a 127.0.0.1 -p "$port" --log-file "$WORK/python.log" \
                </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
            ;;
        rust)
            "$RUST_BIN" --addr 127.0.0.1 --port "$port" --log-level info \
                </dev/null >"$WORK/$name.out" 2>/dev/null &
            ;;
        rust-file)
            "$RUST_BIN" --addr 127.0.0.1 --port "$port" --log-level info \
                </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
            ;;
        rust-warn)
            "$RUST_BIN" --addr 127.0.0.1 --port "$port" --log-level warn \
                </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
            ;;
        rust-before)
            # Not in the default set: the tutorial app built by another pop-create
            # (BEFORE_BIN), run like `rust`, to compare two versions in one run.
            "${BEFORE_BIN:?rust-before needs BEFORE_BIN}" --addr 127.0.0.1 --port "$port" --log-level info \
                </dev/null >"$WORK/$name.out" 2>/dev/null &
            ;;
        rust-bare)
            # Like `rust`, without metrics and request ids (POP_ROUTER_BARE=1, a switch
            # for this measurement only): what they cost. The log line stays.
            POP_ROUTER_BARE=1 "$RUST_BIN" --addr 127.0.0.1 --port "$port" --log-level info \
                </dev/null >"$WORK/$name.out" 2>/dev/null &
            ;;
        rust-1worker)
            # Not in the default set: the same binary with one tokio worker thread (the
            # runtime reads TOKIO_WORKER_THREADS), leaving the other core to wrk.
            TOKIO_WORKER_THREADS=1 "$RUST_BIN" --addr 127.0.0.1 --port "$port" --log-level info \
                </dev/null >"$WORK/$name.out" 2>/dev/null &
            ;;
        axum)
            "$AXUM_BIN" "$port" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
            ;;
        *) echo "error: unknown variant $name" >&2; exit 2 ;;
    esac
    PID[$name]=$!
    wait_ready "$name"
}

# One wrk run against one server; appends a row to $OUT/load.tsv.
load_run() {
    local name="$1" round="$2" pid="${PID[$1]}" url="http://127.0.0.1:${PORT[$1]}/"
    local out="$OUT/wrk-$name-$round.txt" load_before quiet j0 t0 p0 j1 t1 p1 ticks rss hwm
    quiet="$(wait_quiet)"
    load_before="$(cut -d' ' -f1 /proc/loadavg)"
    read -r j0 t0 < <(cpu_jiffies)
    p0="$(proc_ticks "$pid")"
    local TIMEFORMAT='%U %S'
    { time wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$LUA" "$url" >"$out" 2>&1; } 2>"$out.cpu"
    read -r j1 t1 < <(cpu_jiffies)
    p1="$(proc_ticks "$pid")"
    rss="$(rss_kib "$pid")"
    hwm="$(hwm_kib "$pid")"
    ticks="$(getconf CLK_TCK)"
    python3 - "$out" "$name" "$round" "$load_before" "$((j1 - j0))" "$((t1 - t0))" \
        "$((p1 - p0))" "$ticks" "$rss" "$hwm" "$quiet" "$(cat "$out.cpu")" "$(nproc)" >>"$OUT/load.tsv" <<'PY'
import re, sys
path, name, rnd, load, busy, total, pticks, hz, rss, hwm, quiet, wrk_cpu, ncpu = sys.argv[1:]
text = open(path).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n
lat = {p: ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
reqs = int(re.search(r"(\d+) requests in", text).group(1))
errors = re.search(r"Socket errors: (.*)", text)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
secs = float(re.search(r"requests in ([\d.]+)s", text).group(1))
cpu = int(pticks) / int(hz) / secs * 100
busy_pct = int(busy) / max(int(total), 1) * 100
us_per_req = int(pticks) / int(hz) / max(reqs, 1) * 1e6
print("\t".join(str(x) for x in [
    name, rnd, f"{rps:.0f}", f"{lat['50']:.3f}", f"{lat['99']:.3f}", reqs,
    errors.group(1).replace("\t", " ") if errors else "none",
    non2xx.group(1) if non2xx else "0",
    f"{cpu:.0f}", f"{us_per_req:.1f}", f"{busy_pct:.0f}", load, rss, hwm,
    # The share of the machine neither the server nor wrk used during the run: other work.
    f"{max(0.0, busy_pct - (int(pticks) / int(hz) + sum(map(float, wrk_cpu.split()))) / secs / int(ncpu) * 100):.0f}",
    quiet]))
PY
    say "$(tail -n 1 "$OUT/load.tsv")"
}

if [ -z "${SKIP_LOAD:-}" ]; then
    step "starting servers"
    for name in $VARIANTS; do start_server "$name"; done
    say "rust stderr: rust -> /dev/null; rust-file, rust-warn -> a file in $WORK"

    step "warm-up (wrk ${WARMUP} each)"
    for name in $VARIANTS; do
        wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$LUA" "http://127.0.0.1:${PORT[$name]}/" >/dev/null 2>&1
    done

    step "load: wrk -t$THREADS -c$CONNS -d$DURATION --latency -s $LUA, $ROUNDS interleaved rounds"
    printf 'variant\tround\treq_s\tp50_ms\tp99_ms\trequests\tsocket_errors\tnon_2xx\tserver_cpu_pct\tserver_cpu_us_per_req\tmachine_busy_pct\tload1_before\trss_kib_after\tpeak_rss_kib\tother_busy_pct\tbusy_before_pct\n' \
        >"$OUT/load.tsv"
    say "$(head -n 1 "$OUT/load.tsv")"
    # Each round starts one variant later, so no server always runs first or last.
    read -r -a names <<<"$VARIANTS"
    for round in $(seq "$ROUNDS"); do
        say "round $round: cpu probe $(cpu_probe) s (Python baseline document: 0.41-0.56 s)"
        for i in "${!names[@]}"; do
            load_run "${names[$(((i + round - 1) % ${#names[@]}))]}" "$round"
        done
    done
    for name in $VARIANTS; do
        if [ -s "$WORK/$name.err" ]; then
            say "$name stderr: $(wc -l <"$WORK/$name.err") lines, $(du -k "$WORK/$name.err" | cut -f1) KiB"
        fi
    done
    cleanup_servers() {
        local name
        for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
        for name in "${!PID[@]}"; do wait "${PID[$name]}" 2>/dev/null || true; done
    }
    cleanup_servers
fi

# --- 3. start-up -----------------------------------------------------------------------------
if [ -z "${SKIP_STARTUP:-}" ]; then
    step "start-up (hyperfine)"
    say "machine $(wait_quiet)% busy before"
    mkdir -p "$WORK/new"
    (
        cd "$WORK/new"
        hyperfine -N --warmup 3 --runs 40 --prepare "rm -rf $WORK/new/poppy" \
            --export-json "$OUT/hyperfine-new.json" \
            "$POP_CREATE new poppy --vcs none --no-input" \
            "$POP_CREATE new poppy --vcs git --no-input" 2>&1 | tee -a "$LOG" >&2
    )
    hyperfine -N --warmup 5 --runs 50 --export-json "$OUT/hyperfine-help.json" \
        "$RUST_BIN --help" 2>&1 | tee -a "$LOG" >&2
    (
        cd "$PY_APP"
        hyperfine -N --warmup 3 --runs 20 --export-json "$OUT/hyperfine-python-help.json" \
            "$VENV/bin/python3 run.py --help --log-file $WORK/python-help.log" 2>&1 | tee -a "$LOG" >&2
    )
fi

# --- 4. build times ----------------------------------------------------------------------
if [ -z "${SKIP_BUILD_TIMES:-}" ]; then
    step "cold debug build of a fresh router project (empty CARGO_TARGET_DIR, crates fetched)"
    generate_project "$WORK/cold"
    COLD="$WORK/cold/poppy"
    COLD_TARGET="$WORK/cold-target"
    cargo_in "$COLD" fetch fetch
    say "machine $(wait_quiet)% busy before"
    now() { date +%s.%N; }
    load_cold="$(cut -d' ' -f1-3 /proc/loadavg)"
    start="$(now)"
    CARGO_TARGET_DIR="$COLD_TARGET" cargo_in "$COLD" cold build --timings
    end="$(now)"
    echo "cold_debug_build_s	$(python3 -c "print(round($end - $start, 2))")	load $load_cold" >"$OUT/build.tsv"
    cp "$COLD_TARGET"/cargo-timings/cargo-timing.html "$OUT/cargo-timing.html" 2>/dev/null \
        || cp "$COLD"/target/cargo-timings/cargo-timing.html "$OUT/cargo-timing.html" 2>/dev/null || true
    say "$(tail -n 1 "$OUT/build.tsv")"

    step "rebuilds after editing src/rpc/math.rs (debug, incremental as cargo's default)"
    for i in 1 2 3; do
        # A real edit: a new plugin function (build.rs regenerates the registration).
        cat >>"$COLD/src/rpc/math.rs" <<EOF

/// Benchmark edit $i.
#[plugin]
pub fn edit_$i(_hub: &Hub, #[default($i)] num: u64) -> u64 { num + $i }
EOF
        load_now="$(cut -d' ' -f1-3 /proc/loadavg)"
        start="$(now)"
        CARGO_TARGET_DIR="$COLD_TARGET" cargo_in "$COLD" "rebuild-$i" build
        end="$(now)"
        echo "rebuild_add_plugin_fn_${i}_s	$(python3 -c "print(round($end - $start, 2))")	load $load_now" >>"$OUT/build.tsv"
        say "$(tail -n 1 "$OUT/build.tsv")"
    done
    # A body-only edit (no new function): the cheapest real edit.
    sed -i 's/num \* 3/3 * num/' "$COLD/src/rpc/math.rs"
    load_now="$(cut -d' ' -f1-3 /proc/loadavg)"
    start="$(now)"
    CARGO_TARGET_DIR="$COLD_TARGET" cargo_in "$COLD" rebuild-body build
    end="$(now)"
    echo "rebuild_body_edit_s	$(python3 -c "print(round($end - $start, 2))")	load $load_now" >>"$OUT/build.tsv"
    say "$(tail -n 1 "$OUT/build.tsv")"
    start="$(now)"
    CARGO_TARGET_DIR="$COLD_TARGET" cargo_in "$COLD" noop build
    end="$(now)"
    echo "noop_build_s	$(python3 -c "print(round($end - $start, 2))")	load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/build.tsv"
    say "$(tail -n 1 "$OUT/build.tsv")"
fi

# --- 5. summary ----------------------------------------------------------------------------
step "summary"
QUIET_BUSY="$QUIET_BUSY" OTHER_MAX="$OTHER_MAX" python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, re, statistics as st, sys
out = sys.argv[1]
def med(xs): return st.median(xs) if xs else float("nan")
print(f"results in {out}\n")
load = os.path.join(out, "load.tsv")
if os.path.exists(load):
    rows = [l.rstrip("\n").split("\t") for l in open(load)]
    head, rows = rows[0], rows[1:]
    # A run that started while the rest of the machine was busy, or during which other
    # work took a noticeable share of the machine, is left out of the medians.
    quiet_busy = int(os.environ.get("QUIET_BUSY", "25"))
    other_max = int(os.environ.get("OTHER_MAX", "10"))
    def noisy(r):
        return int(r[-1]) >= quiet_busy or int(r[-2]) > other_max
    left = [r for r in rows if noisy(r)]
    if left:
        print(f"left out of the medians (machine >= {quiet_busy}% busy before the run, or other work "
              f"> {other_max}% of the machine during it): "
              + ", ".join(f"{r[0]} round {r[1]} (before {r[-1]}%, other {r[-2]}%)" for r in left) + "\n")
    rows = [r for r in rows if not noisy(r)]
    by = {}
    for r in rows:
        by.setdefault(r[0], []).append(dict(zip(head, r)))
    agg = {}
    print("| server | runs | req/s (median) | req/s per run | p50 ms | p99 ms | server CPU % | CPU us/req | RSS after (KiB, max) | peak RSS (KiB) | errors / non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, rs in by.items():
        a = {k: med([float(r[k]) for r in rs]) for k in
             ["req_s", "p50_ms", "p99_ms", "server_cpu_pct", "server_cpu_us_per_req"]}
        a["rss"] = max(int(r["rss_kib_after"]) for r in rs)
        a["hwm"] = max(int(r["peak_rss_kib"]) for r in rs)
        agg[name] = a
        errs = ",".join(sorted({r["socket_errors"] for r in rs})) + " / " + str(sum(int(r["non_2xx"]) for r in rs))
        print(f"| {name} | {len(rs)} | {a['req_s']:.0f} | {' '.join(r['req_s'] for r in rs)} | {a['p50_ms']:.2f} | "
              f"{a['p99_ms']:.2f} | {a['server_cpu_pct']:.0f} | {a['server_cpu_us_per_req']:.1f} | {a['rss']} | {a['hwm']} | {errs} |")
    print()
    py, ax = agg.get("python"), agg.get("axum")
    # The host's speed drifts between runs: ratios within one round, then their median,
    # are steadier than ratios of medians.
    def per_round(name, other, key="req_s"):
        mine = {r["round"]: float(r[key]) for r in by.get(name, [])}
        theirs = {r["round"]: float(r[key]) for r in by.get(other, [])}
        ratios = [mine[k] / theirs[k] for k in mine if k in theirs and theirs[k]]
        return med(ratios), ratios
    print("Ratios of medians:\n")
    print("| rust variant | req/s vs python (target >= 10x) | req/s vs axum (target >= 0.90) | p99 vs python (target <= 0.20) | peak RSS MB (target <= 15) | server CPU per request vs axum |")
    print("|---|---|---|---|---|---|")
    for name in [n for n in agg if n.startswith("rust")]:
        a = agg[name]
        vs_py = f"{a['req_s'] / py['req_s']:.2f}x" if py else "-"
        vs_ax = f"{a['req_s'] / ax['req_s']:.3f}" if ax else "-"
        p99 = f"{a['p99_ms'] / py['p99_ms']:.3f}" if py else "-"
        cpu = f"{a['server_cpu_us_per_req'] / ax['server_cpu_us_per_req']:.2f}" if ax else "-"
        print(f"| {name} | {vs_py} | {vs_ax} | {p99} | {a['hwm'] / 1024:.1f} | {cpu} |")
    print()
    print("Median of per-round ratios (each round runs every server back to back):\n")
    print("| rust variant | req/s vs python | req/s vs axum | p99 vs python | p99 vs axum | per-round req/s vs axum |")
    print("|---|---|---|---|---|---|")
    for name in [n for n in agg if n.startswith("rust")]:
        f = lambda x: "-" if x != x else f"{x:.3f}"
        rp, _ = per_round(name, "python")
        ra, ras = per_round(name, "axum")
        pp, _ = per_round(name, "python", "p99_ms")
        pa, _ = per_round(name, "axum", "p99_ms")
        print(f"| {name} | {f(rp)} | {f(ra)} | {f(pp)} | {f(pa)} | {' '.join(f'{x:.2f}' for x in ras)} |")
    print()
def hf(name):
    path = os.path.join(out, name)
    if not os.path.exists(path): return []
    return [(r["command"], r["median"] * 1000, r["mean"] * 1000, r["stddev"] * 1000, r["min"] * 1000)
            for r in json.load(open(path))["results"]]
startup = hf("hyperfine-new.json") + hf("hyperfine-help.json") + hf("hyperfine-python-help.json")
if startup:
    print("| command | median ms | mean ± sd ms | min ms |")
    print("|---|---|---|---|")
    for cmd, medn, mean, sd, mn in startup:
        cmd = re.sub(r"/\S*/", "", cmd)
        print(f"| `{cmd}` | {medn:.1f} | {mean:.1f} ± {sd:.1f} | {mn:.1f} |")
    print()
build = os.path.join(out, "build.tsv")
if os.path.exists(build):
    print("| build | seconds | load (1/5/15 min) before |")
    print("|---|---|---|")
    for line in open(build):
        k, v, l = line.rstrip("\n").split("\t")
        print(f"| {k} | {v} | {l.replace('load ', '')} |")
    print()
html = os.path.join(out, "cargo-timing.html")
if os.path.exists(html):
    text = open(html).read()
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", text, re.S)
    if m:
        units = json.loads(m.group(1))
        units.sort(key=lambda u: -u["duration"])
        total = re.search(r"<td>Total time:</td><td>([^<]*)</td>", text)
        count = re.search(r"<td>Total units:</td><td>([^<]*)</td>", text)
        cpu_sum = sum(u["duration"] for u in units)
        print(f"cargo --timings: {count.group(1) if count else len(units)} units, wall {total.group(1) if total else '?'}, "
              f"sum of unit times {cpu_sum:.1f}s")
        print("| unit | seconds | frontend | codegen | share of the sum |")
        print("|---|---|---|---|---|")
        for u in units[:15]:
            sec = dict((k, v["end"] - v["start"]) for k, v in (u.get("sections") or []))
            fe = f"{sec['frontend']:.1f}" if "frontend" in sec else "-"
            cg = f"{sec['codegen']:.1f}" if "codegen" in sec else "-"
            target = u.get("target", "").strip()
            target = f" ({target})" if target else ""
            print(f"| {u['name']} {u['version']}{target} | {u['duration']:.1f} | {fe} | {cg} | {u['duration'] / cpu_sum * 100:.0f}% |")
PY
