#!/usr/bin/env bash
# Start a Docker engine for the tests when none answers. These machines have no systemd, so dockerd
# is started by hand, as ../shared/DESIGN.md describes: no iptables, no bridge (containers run with
# --network none only), overlay2 storage. Without root or dockerd the Docker tests skip (fail under CI=true).
set -euo pipefail
answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if answers; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null 2>&1; then
  echo "note: no Docker engine answers and none can be started here: the Docker tests will skip"
  exit 0
fi
log=/var/log/envaudit-dockerd.log
echo "starting dockerd (log: $log)"
setsid nohup dockerd --host unix:///var/run/docker.sock --iptables=false --ip6tables=false --bridge=none \
  >"$log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  if answers; then exit 0; fi
  sleep 0.5
done
echo "dockerd did not answer within 60 s; the end of its log:" >&2
tail -20 "$log" >&2
exit 1
