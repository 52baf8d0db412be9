#!/usr/bin/env bash
# The edit–call–see loop, measured (results in BENCHMARKS.md):
#
#  1. `pop-create call` on a built project: time to the printed result,
#     beside its two parts (cargo's no-op build check, and the app
#     answering the request), with hyperfine.
#  2. `pop-create run --watch` on the tutorial router project: for each of
#     EDITS one-line edits of src/rpc/math.rs, the time from the file's save
#     to the first answer carrying the change, beside the incremental build
#     time the watcher reports for that round; and, across all the restarts,
#     what a steady request loop saw (answered, refused, lost).
#
# Usage: bench/loop.sh [EDITS]   (default 20). Needs curl and hyperfine.
# The project is generated into a temp dir with its own target directory
# (its first build is cold) and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

edits=${1:-20}
port=${PORT:-18931}
addr="127.0.0.1:$port"
work=$(mktemp -d)
watcher=""
looper=""
cleanup() {
    [ -n "$looper" ] && kill "$looper" 2>/dev/null || true
    [ -n "$watcher" ] && kill -INT "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
pop_create="$PWD/target/release/pop-create"
export CARGO_TARGET_DIR="$work/target"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(rustc --version)"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

cd "$work"
"$pop_create" -q new poppy --vcs none --ci none
cd poppy
"$pop_create" -q add-sub rpc --pattern router
cat > src/rpc/math.rs <<'RUST'
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
RUST
cargo build --quiet
binary="$CARGO_TARGET_DIR/debug/poppy"

echo
echo "== call: pop-create call math.fib num=11 on a built project"
"$pop_create" -q call math.fib num=11
request='{"kind": "call", "ref": "math.fib", "kwargs": {"num": 11}, "patterns": {"rpc": "router"}}'
hyperfine --warmup 3 --runs 30 --style basic \
    -n "pop-create call" "$pop_create -q call math.fib num=11" \
    -n "cargo build (no-op check)" "cargo build --quiet" \
    -n "the app answering" "POP_HUB_REQUEST='$request' POP_HUB_REPLY=$work/reply.json $binary"

echo
echo "== run --watch: $edits one-line edits of src/rpc/math.rs under a steady request loop"
"$pop_create" run --watch -- --port "$port" >"$work/watch.out" 2>"$work/watch.err" &
watcher=$!
until grep -q "serving on http://$addr" "$work/watch.out" 2>/dev/null; do sleep 0.1; done

# The request loop: one connection per request, as curl makes them.
(
    answered=0 refused=0 lost=0
    trap 'echo "answered=$answered refused=$refused lost=$lost" > "$work/loop.result"; exit 0' TERM
    while :; do
        if curl -sf -m 30 "http://$addr" -d '{"ref": "math.fib", "kwargs": {"num": 11}}' >/dev/null; then
            answered=$((answered + 1))
        elif [ $? = 7 ]; then
            refused=$((refused + 1))
        else
            lost=$((lost + 1))
        fi
    done
) &
looper=$!

now_ms() { date +%s%3N; }
triple_of_2() { curl -s -m 30 "http://$addr" -d '{"ref": "math.triple", "kwargs": {"num": 2}}' 2>/dev/null || true; }
factor=3
: >"$work/rounds"
for round in $(seq 1 "$edits"); do
    next=$(( factor == 3 ? 4 : 3 ))
    restarts=$(grep -c "Restarted \`poppy\`" "$work/watch.err" || true)
    sleep 1  # a quiet moment, as between two saves
    saved=$(now_ms)
    sed -i "s/num \* $factor }/num * $next }/" src/rpc/math.rs
    want="{\"ref\": $((2 * next))}"
    until [ "$(triple_of_2)" = "$want" ]; do sleep 0.01; done
    served=$(now_ms)
    until [ "$(grep -c "Restarted \`poppy\`" "$work/watch.err")" -gt "$restarts" ]; do sleep 0.05; done
    build=$(grep "Restarted \`poppy\`" "$work/watch.err" | tail -1 | sed -E 's/.*\(build ([0-9.]+) s\).*/\1/')
    echo "$round $((served - saved)) $build" >>"$work/rounds"
    factor=$next
done
kill -TERM "$looper"; wait "$looper" || true; looper=""

echo "round  save-to-answer(ms)  build(s)"
awk '{ printf "%5d  %18d  %8s\n", $1, $2, $3 }' "$work/rounds"
awk '{ print $2 }' "$work/rounds" | sort -n | awk '{ a[NR] = $1 } END { printf "save to answer: median %d ms, min %d, max %d\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
awk '{ print $3 * 1000 }' "$work/rounds" | sort -n | awk '{ a[NR] = $1 } END { printf "incremental build (as the watcher reports it): median %d ms, min %d, max %d\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
echo "request loop across $edits restarts: $(cat "$work/loop.result")"
