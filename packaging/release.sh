#!/usr/bin/env bash
# Builds one release: the binary for TARGET (default: this host), stripped,
# in a tarball with completions and the man page, plus its .sha256 (the
# assets `self-update` downloads and verifies); and the source tarball with
# its .sha256 for the Homebrew formula.
#
#   packaging/release.sh [--formula]      # outputs in dist/ (or $DIST_DIR)
#
# --formula also points Formula/nomad-driver-container.rb at this version's
# source tarball and its sha256. Run it from a clean checkout of the tag.
set -euo pipefail
cd "$(dirname "$0")/.."

update_formula=false
for arg in "$@"; do
  case "$arg" in
    --formula) update_formula=true ;;
    *) echo "usage: $0 [--formula]" >&2; exit 64 ;;
  esac
done

name=nomad-driver-container
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
host=$(rustc -vV | sed -n 's/^host: //p')
target=${TARGET:-$host}
dist=${DIST_DIR:-$PWD/dist}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
mkdir -p "$dist"

sha256_line() { # <file>: "<hex>  <file name>", as shasum and sha256sum print it
  local hex
  if command -v sha256sum >/dev/null 2>&1; then
    hex=$(sha256sum "$1" | cut -d' ' -f1)
  else
    hex=$(shasum -a 256 "$1" | cut -d' ' -f1)
  fi
  printf '%s  %s\n' "$hex" "$(basename "$1")"
}

echo "==> building $name $version for $target"
NDC_GIT_COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo "v$version") \
  cargo build --release --locked --target "$target" -p "$name"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$target_dir/$target/release/$name" "$stage/$name"
strip "$stage/$name"

# Completions and the man page come from the binary itself, so they can only
# be made when it runs here.
entries=("$name")
if [ "$target" = "$host" ]; then
  mkdir -p "$stage/completions" "$stage/man"
  "$stage/$name" completions bash >"$stage/completions/$name.bash"
  "$stage/$name" completions zsh >"$stage/completions/_$name"
  "$stage/$name" completions fish >"$stage/completions/$name.fish"
  "$stage/$name" man --output "$stage/man/$name.1"
  entries+=(completions man)
fi

# The binary sits at the archive's top level: self-update extracts it by name.
tarball="$dist/$name-$version-$target.tar.gz"
tar -C "$stage" -czf "$tarball" "${entries[@]}"
sha256_line "$tarball" >"$tarball.sha256"
echo "    $tarball"

source_tarball="$dist/$name-$version.src.tar.gz"
git archive --format=tar.gz --prefix="$name-$version/" -o "$source_tarball" HEAD
sha256_line "$source_tarball" >"$source_tarball.sha256"
echo "    $source_tarball"

if $update_formula; then
  formula=Formula/$name.rb
  source_sha=$(cut -d' ' -f1 "$source_tarball.sha256")
  url="https://github.com/$name/$name/releases/download/v$version/$name-$version.src.tar.gz"
  sed -i.bak -e "s|^  url \".*\"|  url \"$url\"|" \
    -e "s|^  sha256 \".*\"|  sha256 \"$source_sha\"|" "$formula"
  rm -f "$formula.bak"
  echo "    $formula now builds $version ($source_sha)"
fi
