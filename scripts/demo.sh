#!/usr/bin/env bash
# Runs a Nomad job file through the driver plugin the way a Nomad client
# would, and prints the task's events, stdout, stderr and exit result.
#
#   scripts/demo.sh [job.nomad] [runjob flags...]
#   scripts/demo.sh examples/jobs/service.nomad -stop-after 5s
#
# On macOS with Apple's `container` on PATH the demo uses it; anywhere else
# it uses the stand-in CLI built from standin/ with a throwaway state root.
# Needs cargo and go; Go modules are fetched by go itself.
set -euo pipefail
standin_root=""

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
job="${1:-examples/jobs/hello.nomad}"
shift || true
case "$job" in
    /*) ;;
    *) job="$repo/$job" ;;
esac
[[ -f "$job" ]] || { echo "demo: no job file at $job" >&2; exit 2; }

for tool in cargo go; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is not installed" >&2; exit 2; }
done

echo "==> building the Rust workspace" >&2
(cd "$repo" && cargo build --workspace --quiet)
plugin="$repo/target/debug/nomad-driver-container"

if [[ "$(uname -s)" == "Darwin" ]] && command -v container >/dev/null; then
    container_bin="$(command -v container)"
    echo "==> using Apple's container CLI at $container_bin" >&2
else
    container_bin="$repo/target/debug/container"
    standin_root="$(mktemp -d "${TMPDIR:-/tmp}/container-standin.XXXXXX")"
    export CONTAINER_STANDIN_ROOT="$standin_root"
    echo "==> using the stand-in container CLI (state in $standin_root)" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ndc-demo.XXXXXX")"
trap 'rm -rf "$work" ${standin_root:+"$standin_root"}' EXIT

echo "==> building runjob" >&2
(cd "$repo/conformance" && go build -o "$work/runjob" ./cmd/runjob)

"$work/runjob" \
    -plugin "$plugin" \
    -container "$container_bin" \
    -agent "$repo/examples/nomad/client.hcl" \
    "$@" "$job"
