#!/usr/bin/env bash
# Events through one flow stage, in-process and over NATS JetStream, on this
# machine: the rate with one acknowledgement per event, and the latency from
# a beacon's push to the stage's handling (p50/p99). Generates a release app
# with a beacon `source` and a flow `sink` (plugins in bench/bus/), and a
# fresh `nats-server -js` for each NATS run.
#
#   bench/bus.sh                 # EVENTS=20000 PACED=5000 PACE_US=500
#
# Results and method: BENCHMARKS.md ("Events through a flow stage").
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
EVENTS="${EVENTS:-20000}"; PACED="${PACED:-5000}"; PACE_US="${PACE_US:-500}"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cargo build --quiet --release --manifest-path "$repo/Cargo.toml" --bin pop-create
pc="$repo/target/release/pop-create"
(cd "$work" && "$pc" -q new benchbus --no-input --vcs none)
app="$work/benchbus"
(cd "$app" && "$pc" -q add-sub source --pattern beacon --bus && "$pc" -q add-sub sink --pattern flow)
rm "$app/src/source/ticks.rs"
cp "$repo/bench/bus/source.rs" "$app/src/source/burst.rs"
cp "$repo/bench/bus/count.rs" "$app/src/sink/count.rs"
(cd "$app" && cargo build --quiet --release --locked)
bin="$app/target/release/benchbus"

broker() {
    [ -n "$server" ] && kill "$server" && wait "$server" 2>/dev/null || true
    rm -rf "$work/store"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/store" >/dev/null 2>&1 & server=$!
    url="nats://127.0.0.1:$port"
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
}
run() { BENCH_EVENTS="$1" BENCH_PACE_US="$2" "$bin" --log-level warn "${@:3}" | grep -E 'pushed|handled'; }

echo "== in-process, $EVENTS events at once"
run "$EVENTS" 0
echo "== in-process, $PACED events, one every $PACE_US us"
run "$PACED" "$PACE_US"
echo "== NATS: a producer publishes $EVENTS events, then a consumer handles the backlog"
broker
run "$EVENTS" 0 --bus "$url" --only source
run "$EVENTS" 0 --bus "$url" --only sink
echo "== NATS: one process, $PACED events, one every $PACE_US us"
broker
run "$PACED" "$PACE_US" --bus "$url"
echo "machine: $(nproc) cores, $(uname -sr), $(nats-server --version)"
