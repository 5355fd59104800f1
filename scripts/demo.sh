#!/bin/sh
# make demo: run tend as PID 1 of a new PID namespace on a workload that
# makes orphans, leaves a daemon that ignores SIGTERM, and gets SIGTERM,
# and show what tend did (its -v log lines start with "tend:").
set -eu
tend=$(realpath "${1:-bin/tend}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ns="unshare --pid --fork --mount-proc"
[ "$(id -u)" = 0 ] || ns="unshare --user --map-root-user --pid --fork --mount-proc"

cat >"$tmp/workload.sh" <<'EOF'
echo "workload: I am pid $$; pid 1 is $(cat /proc/1/comm)"
for i in 1 2 3 4 5; do (sleep 0.2 &); done
echo "workload: started 5 orphans (their parents exited at once)"
sleep 0.6
echo "workload: zombies left: $(grep -c ' Z ' /proc/[0-9]*/stat 2>/dev/null | grep -vc ':0$')"
(setsid sh -c 'trap "" TERM; exec sleep 60' &)
echo "workload: started a daemon in its own session that ignores SIGTERM"
trap 'echo "workload: got SIGTERM, cleaning up and exiting 0"; exit 0' TERM
(sleep 0.3; echo "workload: sending SIGTERM to pid 1, as docker stop does"; kill -TERM 1) &
sleep 60 & wait $!
EOF

echo "\$ $ns $tend -v --grace 2s -- sh workload.sh"
start=$(date +%s%N)
set +e
$ns "$tend" -v --grace 2s -- sh "$tmp/workload.sh"
status=$?
set -e
echo "tend exited with status $status after $(( ($(date +%s%N) - start) / 1000000 )) ms:"
echo "  the orphans were reaped, the workload's SIGTERM handler ran, and the"
echo "  daemon that ignored SIGTERM was killed when the 2s grace ran out."
