#!/bin/sh
# bench/run.sh: make bench (and make bench-plot, with --plot-only).
# Installs the peers from Debian when missing, builds tend and the bench
# programs, and runs bench/cmd/benchinit. See bench/README.md.
set -eu
cd "$(dirname "$0")/.."

build_tools() {
	# The bench is its own module (bench/go.mod), standard library only.
	(cd bench && go build -o .bin/benchinit ./cmd/benchinit)
	(cd bench && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o .bin/benchchild ./cmd/benchchild)
	(cd bench && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o .bin/floorinit ./cmd/floorinit)
}

case "${1:-}" in
--plot-only)
	shift
	build_tools
	exec bench/.bin/benchinit -plot-only -out bench "$@"
	;;
esac

missing=""
for b in tini tini-static dumb-init catatonit; do
	command -v "$b" >/dev/null 2>&1 || [ -x "/usr/libexec/podman/$b" ] || missing="$missing $b"
done
if [ -n "$missing" ]; then
	echo "bench: installing tini dumb-init catatonit (missing:$missing)" >&2
	if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
	$SUDO apt-get install -y tini dumb-init catatonit >&2 ||
		{ $SUDO apt-get update >&2 && $SUDO apt-get install -y tini dumb-init catatonit >&2; }
fi
[ -x bin/tend ] || make build
build_tools
exec bench/.bin/benchinit -tend bin/tend -floor bench/.bin/floorinit -child bench/.bin/benchchild -out bench "$@"
