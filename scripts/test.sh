#!/usr/bin/env bash
# Runs every test of the project on a fresh Linux or macOS machine: lints,
# the Rust unit and integration tests (against the stand-in `container` CLI),
# and the Go conformance harness that drives the plugin the way Nomad does.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "error: '$1' is required ($2)" >&2
  exit 1
}
# The formula check needs ruby. On a Debian-like CI machine it is installed
# without questions when we may (root, or passwordless sudo); anywhere else
# the message says what to do.
ensure_ruby() {
  command -v ruby >/dev/null 2>&1 && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    fi
  fi
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
    echo "ruby is missing; installing it with apt-get" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ruby >/dev/null
    return 0
  fi
  echo "error: 'ruby' is required to check Formula/nomad-driver-container.rb; install Ruby" \
    "(apt-get install ruby, brew install ruby) and run this again" >&2
  exit 1
}

need cargo "install Rust from https://rustup.rs"
need go "install Go 1.24 or newer"

step "formatting and lints"
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
for tool in fmt clippy; do
  cargo "$tool" --version >/dev/null 2>&1 || {
    echo "error: 'cargo $tool' is missing; install Rust with rustup (https://rustup.rs)" >&2
    exit 1
  }
done
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Homebrew formula syntax (ruby -c)"
ensure_ruby
ruby -c Formula/nomad-driver-container.rb
bash -n packaging/release.sh

step "building the plugin and the stand-in CLI"
cargo build --workspace --locked

step "Rust tests"
cargo test --workspace --locked

target_dir=${CARGO_TARGET_DIR:-$PWD/target}
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac

conformance() {
  local profile=$1
  (
    cd conformance
    NDC_PLUGIN_BIN="$target_dir/$profile/nomad-driver-container" \
    NDC_CONTAINER_BIN="$target_dir/$profile/container" \
      go test -count=1 -timeout 15m ./...
  )
}

step "Go conformance harness (Nomad's own go-plugin, hcl and go-cty)"
(cd conformance && go mod download && go vet ./...)
conformance debug

# Timing differs between profiles, and so do the races it can hide: the
# harness (fifty tasks at once among its scenarios) runs on both.
step "Go conformance harness against release builds"
cargo build --workspace --release --locked
conformance release

step "fuzz smoke: each cargo-fuzz target for ${FUZZ_SECONDS:-30}s"
./scripts/fuzz-smoke.sh
