#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (issue 18), one after another, each
# for FUZZ_SECONDS (default 60), starting from its seeds in fuzz/seeds/<target>
# and the corpus earlier runs grew in fuzz/corpus/<target>; then prints a
# summary: executions, new inputs, and crashes with where libFuzzer wrote them
# (fuzz/artifacts/<target>/). Exits 1 if any target crashed.
#
#   scripts/fuzz.sh                         # every target, 60 s each
#   FUZZ_SECONDS=1200 scripts/fuzz.sh kwargs conf_edit
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz into ~/.cargo/bin if it is missing. A crash is a defect: fix it,
# copy the input into fuzz/seeds/<target>/ (tests/fuzz_seeds.rs then runs it
# on stable in CI), and note it in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
toolchain=${FUZZ_TOOLCHAIN:-nightly}

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "error: cargo fuzz needs a nightly toolchain" >&2
    echo "hint: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --quiet
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "+$toolchain" fuzz list)
fi

# One build of every target: release, with debug assertions and overflow
# checks (cargo-fuzz's default), under AddressSanitizer. Without
# `cfg(fuzzing)`: under it proc-macro2 reports no source positions, which
# src/conf.rs editing is made of.
build=(--no-cfg-fuzzing)
cargo "+$toolchain" fuzz build "${build[@]}" >&2

summary=()
crashed=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    log="fuzz/artifacts/$target/last-run.log"
    before=$(find "fuzz/artifacts/$target" -type f ! -name '*.log' | wc -l)
    echo "fuzzing $target for ${seconds}s (log: $log)" >&2
    started=$(date +%s)
    status=0
    # The corpus first (new inputs go there), then the seeds (read only).
    # An input that takes over 10 s is a hang, and a finding too.
    cargo "+$toolchain" fuzz run "${build[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    took=$(($(date +%s) - started))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
    found=$(($(find "fuzz/artifacts/$target" -type f ! -name '*.log' | wc -l) - before))
    line="$target: ${execs:-?} executions in ${took}s, ${added:-?} new inputs, $found crashes"
    if [ "$status" -ne 0 ]; then
        crashed=1
        line="$line (exit $status; see $log)"
        line="$line$(sed -n "s|^.*Test unit written to $PWD/\\(.*\\)$|; input: \\1|p" "$log" | tr -d '\n')"
    fi
    summary+=("$line")
done

echo
echo "fuzz summary (${seconds}s per target, $(nproc) cores, $(rustup run "$toolchain" rustc --version)):"
printf '  %s\n' "${summary[@]}"
exit "$crashed"
