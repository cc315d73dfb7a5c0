#!/usr/bin/env bash
# Prints the figures in BENCHMARKS.md: release builds of the plugin and the
# stand-in CLI, driven over gRPC by benches/driver.rs. Not part of CI.
#
#   ./scripts/bench.sh              every figure
#   ./scripts/bench.sh steady       only those whose name contains "steady"
#   BENCH_ROUNDS=20                 rounds for handshake and start (exit: half)
#   BENCH_WINDOW_S=30               seconds each steady-state window lasts
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace --locked
cargo bench --locked --bench driver -- "$@"
