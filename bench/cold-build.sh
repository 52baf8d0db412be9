#!/usr/bin/env bash
# Cold debug builds of generated projects, side by side: what every user pays
# first. Each project is built with `cargo build` and an empty target dir, in
# turn, ROUNDS rounds; the order rotates each round so that no project always
# runs first. Crates are fetched before the first round, so the network is
# not measured. Prints each build's wall time and each project's median.
#
#   bench/cold-build.sh DIR...        # e.g. a project made by the last release and one made now
#   ROUNDS=7 bench/cold-build.sh DIR...
#
# Results and method: BENCHMARKS.md ("Cold build of a new router project").
set -euo pipefail

ROUNDS="${ROUNDS:-5}"
[ "$#" -ge 1 ] || { echo "usage: bench/cold-build.sh PROJECT_DIR..." >&2; exit 2; }
# Cargo's defaults, whatever the caller's shell says.
unset CARGO_INCREMENTAL CARGO_BUILD_JOBS RUSTFLAGS CARGO_TARGET_DIR

projects=()
for dir in "$@"; do
    [ -f "$dir/Cargo.toml" ] || { echo "error: $dir has no Cargo.toml" >&2; exit 2; }
    projects+=("$(cd "$dir" && pwd)")
done
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

for project in "${projects[@]}"; do
    (cd "$project" && cargo fetch --quiet)
done

declare -A times
count="${#projects[@]}"
for round in $(seq 1 "$ROUNDS"); do
    for offset in $(seq 0 $((count - 1))); do
        index=$(((round + offset) % count))
        project="${projects[$index]}"
        rm -rf "$scratch/target"
        start="$(date +%s.%N)"
        (cd "$project" && CARGO_TARGET_DIR="$scratch/target" cargo build --offline --quiet)
        end="$(date +%s.%N)"
        seconds="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
        times[$index]="${times[$index]:-} $seconds"
        printf 'round %d  %-50s %6.2f s\n' "$round" "$project" "$seconds"
    done
done

echo
for index in $(seq 0 $((count - 1))); do
    median="$(echo "${times[$index]}" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')"
    printf 'median %-50s %6.2f s  (%s )\n' "${projects[$index]}" "$median" "${times[$index]}"
done
