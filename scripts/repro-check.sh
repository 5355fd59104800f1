#!/usr/bin/env bash
# repro-check.sh checks that tend builds reproducibly: the same source built
# twice, from two copies of the tree at different paths, with two empty build
# caches, gives byte-identical binaries. Each copy is built by its own
# `make build`, for one architecture: GOARCH (default: the host's).
#
# Modules come from the shared module cache (they are checked against go.sum
# either way); everything else, the standard library included, is compiled
# from scratch in each build.
set -euo pipefail

cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
GOARCH=${GOARCH:-$(go env GOARCH)}
export GOARCH GOOS=linux CGO_ENABLED=0

work=$(mktemp -d "${TMPDIR:-/tmp}/tend-repro.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# The files of the tree as git sees them (tracked and untracked, not ignored),
# so an uncommitted change is checked too.
files=$(mktemp "$work/files.XXXXXX")
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard
else
	find . -path ./.git -prune -o -type f -printf '%P\0'
fi | grep -zv -E '^(bin|dist)/' >"$files"

build() { # build N: copy the tree to a fresh path and build with a fresh cache
	local n=$1 src="$work/src-$1-$RANDOM"
	mkdir -p "$src" "$work/cache-$n" "$work/tmp-$n"
	# Files listed but deleted in the work tree are skipped.
	tar -c --null --verbatim-files-from --ignore-failed-read -T "$files" -f - 2>/dev/null | tar -x -C "$src"
	(
		cd "$src"
		GOCACHE="$work/cache-$n" GOTMPDIR="$work/tmp-$n" GOFLAGS=-mod=readonly \
			make --no-print-directory build OUT="$work/tend-$n" VERSION="$VERSION" COMMIT="$COMMIT" >/dev/null
	)
}

echo "repro-check: building linux/$GOARCH twice in clean trees and caches"
build 1
build 2
sum1=$(sha256sum "$work/tend-1" | cut -d' ' -f1)
sum2=$(sha256sum "$work/tend-2" | cut -d' ' -f1)
if [ "$sum1" != "$sum2" ]; then
	echo "repro-check: FAIL: two builds of the same tree differ:" >&2
	echo "  $sum1  build 1" >&2
	echo "  $sum2  build 2" >&2
	cmp -l "$work/tend-1" "$work/tend-2" | head -n 20 >&2 || true
	exit 1
fi
echo "repro-check: ok: both builds are $sum1"
