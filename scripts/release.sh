#!/usr/bin/env bash
# release.sh cross-compiles tend for every Linux architecture it supports
# into dist/tend-linux-<arch>, static (CGO_ENABLED=0), stripped, -trimpath
# and version stamped by `make build` itself, and writes
# dist/SHA256SUMS. The same commit gives the same bytes (see repro-check.sh).
#
# Usage: scripts/release.sh            (VERSION and COMMIT default as in the Makefile)
#        VERSION=v1.2.3 scripts/release.sh
set -euo pipefail

cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}

# name:GOARCH:GOARM
targets=(
	amd64:amd64:
	arm64:arm64:
	armv7:arm:7
	386:386:
	ppc64le:ppc64le:
	s390x:s390x:
	riscv64:riscv64:
)

rm -rf dist
mkdir -p dist
for target in "${targets[@]}"; do
	IFS=: read -r name goarch goarm <<<"$target"
	out=dist/tend-linux-$name
	echo "release: $out (GOARCH=$goarch${goarm:+ GOARM=$goarm})"
	# The Makefile's build target holds the flags (tags, -trimpath, ldflags).
	env GOOS=linux GOARCH="$goarch" GOARM="$goarm" \
		make --no-print-directory build OUT="$out" VERSION="$VERSION" COMMIT="$COMMIT" >/dev/null
	# A release binary must be static: no cgo, and (where file(1) exists) no interpreter.
	if ! go version -m "$out" | grep -q 'CGO_ENABLED=0'; then
		echo "release: $out was not built with CGO_ENABLED=0" >&2
		exit 1
	fi
	if command -v file >/dev/null && ! file "$out" | grep -q 'statically linked'; then
		echo "release: $out is not statically linked: $(file "$out")" >&2
		exit 1
	fi
done

(cd dist && sha256sum tend-linux-* >SHA256SUMS)
echo "release: version $VERSION (commit $COMMIT)"
cat dist/SHA256SUMS
