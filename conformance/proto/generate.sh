#!/usr/bin/env bash
# Regenerates the Go bindings under conformance/proto/ from the repository's
# own .proto files in proto/. The output is committed, so CI needs no protoc.
#
# Needs: protoc (apt-get install protobuf-compiler) and the two Go plugins,
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.6
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module_root="$(dirname "$here")"
proto_root="$(cd "$module_root/../proto" && pwd)"
module="github.com/nomad-driver-container/conformance"

export PATH="$(go env GOPATH)/bin:$PATH"
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
    command -v "$tool" >/dev/null || { echo "generate.sh: $tool not found on PATH" >&2; exit 1; }
done

cd "$proto_root"
mapfile -t files < <(find . -name '*.proto' | sed 's|^\./||' | sort)

find "$here" -name '*.pb.go' -delete
protoc -I "$proto_root" \
    --go_out="$module_root" --go_opt=module="$module" \
    --go-grpc_out="$module_root" --go-grpc_opt=module="$module" \
    "${files[@]}"
echo "generated Go bindings for ${#files[@]} proto files under $here"
