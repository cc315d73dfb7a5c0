#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a short time: a smoke test that
# the decoders and parsers still survive arbitrary input. Installs the nightly
# toolchain and cargo-fuzz when missing (about 1 min together here; building
# the sanitized targets the first time takes about 5 min on 2 cores).
#
#   FUZZ_SECONDS=30    time per target
#   FUZZ_TARGETS="…"   which targets (default: all of them)
#   FUZZ_REQUIRED=1    fail instead of skipping when nightly or cargo-fuzz
#                      cannot be installed (CI machines without downloads)
#
# A crash leaves its input in fuzz/artifacts/<target>/; reproduce it with
# `cargo +nightly fuzz run <target> <file>`, then add it as a unit test.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-30}"
required="${FUZZ_REQUIRED:-0}"

skip_or_fail() {
  if [ "$required" = 1 ]; then
    echo "error: $*" >&2
    exit 1
  fi
  echo "fuzz smoke skipped: $* (set FUZZ_REQUIRED=1 to make this an error)" >&2
  exit 0
}

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal ||
    skip_or_fail "the nightly toolchain could not be installed"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked ||
    skip_or_fail "cargo-fuzz could not be installed"
fi

targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
cargo +nightly fuzz build
for target in $targets; do
  printf -- '--> %s for %ss\n' "$target" "$seconds"
  # Corpus in a temp dir: a smoke run must not grow files in the tree.
  corpus="$(mktemp -d)"
  log="$(mktemp)"
  status=0
  cargo +nightly fuzz run "$target" "$corpus" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  if [ "$status" != 0 ]; then
    tail -n 80 "$log" >&2
    echo "error: fuzz target $target failed (exit $status)" \
      "(its input is in fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  rm -rf "$corpus" "$log"
done
