#!/usr/bin/env bash
# Refreshes templates/lock/*.lock: the packages a new project uses, as Cargo
# resolves them at the versions this repository's Cargo.lock tests.
#
# Run it after changing the runtime's dependencies (crates/*/Cargo.toml) and
# updating Cargo.lock; the test suite fails until the two agree.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# `bus` is what the runtime's bus feature needs; pop-create merges it into
# either of the others.
for shape in hub router bus; do
    features=''
    [ "$shape" = router ] && features=', features = ["router"]'
    [ "$shape" = bus ] && features=', features = ["bus"]'
    dir="$work/$shape"
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "lockfile-shape"
version = "0.1.0"
edition = "2024"

[dependencies]
pop = { package = "pop-hub", version = ">=0.2"$features }

[build-dependencies]
pop-build = ">=0.2"

[patch.crates-io]
pop-hub = { path = "$repo/crates/pop-hub" }
pop-build = { path = "$repo/crates/pop-build" }

[workspace]
TOML
    echo 'fn main() {}' > "$dir/src/main.rs"
    # Seeded with this repository's lockfile, Cargo keeps its versions and
    # drops what the project does not use.
    cp "$repo/Cargo.lock" "$dir/Cargo.lock"
    cargo metadata --manifest-path "$dir/Cargo.toml" --format-version 1 > /dev/null
    # The project's own entry is written by pop-create for each project.
    python3 - "$dir/Cargo.lock" "$repo/templates/lock/$shape.lock" <<'PY'
import sys
text = open(sys.argv[1]).read()
head, *blocks = text.split("\n[[package]]\n")
blocks = [b for b in blocks if not b.startswith('name = "lockfile-shape"\n')]
open(sys.argv[2], "w").write(head + "".join("\n[[package]]\n" + b for b in blocks))
PY
    echo "wrote templates/lock/$shape.lock ($(grep -c '^\[\[package' "$repo/templates/lock/$shape.lock") packages)"
done
