#!/usr/bin/env bash
# install-deps.sh installs what tend's tests need on a Debian machine:
# runc, podman and Docker's engine (docker.io: dockerd 20.10 and its client
# /usr/bin/docker; end-to-end tests in real containers), busybox-static (the
# test image's userland), conmon (podman's monitor), catatonit (the pause
# image of podman kube play, a Recommends that --no-install-recommends
# leaves out), and procps/file for checks. It is idempotent and quick when
# everything is present: apt-get update runs only when something is
# missing. Without root it prints a note and exits 0 (the tests that need
# these then skip with a reason, unless CI=true).
set -euo pipefail
# dockerd and runc live in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# command:package pairs; a package is installed when its command is missing.
want=(
	runc:runc
	podman:podman
	conmon:conmon
	catatonit:catatonit
	dockerd:docker.io
	busybox:busybox-static
	ps:procps
	file:file
)

missing=()
for pair in "${want[@]}"; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	if [ "$pkg" = busybox-static ]; then
		# busybox (dynamic) may be present; the image needs the static one.
		if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
			continue
		fi
	elif command -v "$cmd" >/dev/null 2>&1; then
		continue
	fi
	missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: everything is installed"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: not root; skipping install of: ${missing[*]} (the end-to-end tests will skip)"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: no apt-get; install these by hand: ${missing[*]}"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
