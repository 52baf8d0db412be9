#!/usr/bin/env bash
# Instructions per request of each server, counted by valgrind's callgrind:
# a measure that, unlike CPU time on a shared machine, repeats to within a
# few per cent from run to run. It counts user-space instructions only (the
# kernel's TCP path, about half of a request's CPU, is not in it).
#
#   bench/run.sh SKIP_LOAD=1 ...   # or any run: it builds the binaries below
#   bench/instructions.sh          # ~2 min
#
# For each server: start it under callgrind with instrumentation off, warm it
# up with 1 s of wrk, switch instrumentation on, run `wrk -t1 -c1 -d6s` (one
# connection: every request takes the same path, so the count does not
# depend on how requests batch), dump, and divide by wrk's request count.
#
# Environment (all optional; the defaults are what bench/run.sh builds):
#   POP_BIN=target/bench/poppy/release/poppy      the tutorial app (variants pop, pop-bare)
#   AXUM_BIN=target/bench/axum/release/axum-baseline
#   BEFORE_BIN=                                    another build of the tutorial app (variant before)
#   VARIANTS="axum pop pop-bare"                   add "before" with BEFORE_BIN
#   PY_APP=../shared/bench/poppy-python            for its fib.lua
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POP_BIN="${POP_BIN:-$ROOT/target/bench/poppy/release/poppy}"
AXUM_BIN="${AXUM_BIN:-$ROOT/target/bench/axum/release/axum-baseline}"
BEFORE_BIN="${BEFORE_BIN:-}"
VARIANTS="${VARIANTS:-axum pop pop-bare}"
PY_APP="${PY_APP:-$ROOT/../shared/bench/poppy-python}"
LUA="$PY_APP/fib.lua"

for tool in valgrind callgrind_control callgrind_annotate wrk; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install -y valgrind wrk)" >&2; exit 1; }
done
[ -f "$LUA" ] || { echo "error: $LUA not found (set PY_APP)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pop-instructions.XXXXXX")"
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill -9 "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

measure() {
    local name="$1" port="$2"
    shift 2
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/$name.cg" "$@" \
        </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
    SERVER=$!
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    wrk -t1 -c1 -d1s -s "$LUA" "http://127.0.0.1:$port/" >/dev/null
    callgrind_control -i on "$SERVER" >/dev/null 2>&1
    wrk -t1 -c1 -d6s -s "$LUA" "http://127.0.0.1:$port/" >"$WORK/$name.wrk"
    callgrind_control -d "$SERVER" >/dev/null 2>&1
    sleep 1
    kill -9 "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
    local requests instructions dump
    requests="$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")"
    dump="$(ls -t "$WORK/$name.cg".* | head -n 1)"
    instructions="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
    printf '%s\t%s\t%s\t%s\n' "$name" "$requests" "$instructions" "$((instructions / requests))"
}

printf 'variant\trequests\tinstructions\tinstructions_per_request\n'
for name in $VARIANTS; do
    port="$(free_port)"
    case "$name" in
        axum) measure "$name" "$port" "$AXUM_BIN" "$port" ;;
        pop) measure "$name" "$port" "$POP_BIN" --port "$port" ;;
        pop-bare) POP_ROUTER_BARE=1 measure "$name" "$port" "$POP_BIN" --port "$port" ;;
        before) measure "$name" "$port" "${BEFORE_BIN:?the before variant needs BEFORE_BIN}" --port "$port" ;;
        *) echo "error: unknown variant $name" >&2; exit 2 ;;
    esac
done
