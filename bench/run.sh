#!/usr/bin/env bash
# Compiles the benchmark scripts into bench/.build and runs one of them with node.
#
#   bench/run.sh full-table [--routes N] [--receivers ours,bird,frr,gobgp] [--runs N]
#   bench/run.sh send-table [--routes N] [--per-set N] [--senders ours,gobgp,bird] [--runs N]
#   bench/run.sh churn [--rate N] [--seconds N] [--pool N]
#   bench/run.sh codec
#   bench/run.sh k8s-bridge [--services N] [--max-seconds S] [--cold N] [--phases latency,cold]
#   bench/run.sh layer2 [--kills N] [--rate N] [--seconds N] [--phases arp,failover]
#
# Needs the packages built first (npx pnpm@12.4.2 -r run build) and, for full-table, send-table
# and churn, root (the routing daemons) and the Debian packages bird2, frr, gobgpd. See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

bench="${1:-}"
case "$bench" in
  full-table) entry="full-table.bench.js" ;;
  send-table) entry="send-table.bench.js" ;;
  churn) entry="churn.bench.js" ;;
  codec) entry="codec.bench.js" ;;
  k8s-bridge) entry="k8s-bridge.bench.js" ;;
  layer2) entry="layer2.bench.js" ;;
  *) echo "usage: bench/run.sh full-table|send-table|churn|codec|k8s-bridge|layer2 [options]   (see bench/README.md)" >&2; exit 2 ;;
esac
shift

if [ ! -f "$root/packages/bgp-core/dist/index.js" ] || [ ! -f "$root/packages/bgp-speaker/dist/cli/main.js" ] || [ ! -f "$root/packages/bgp-speaker/dist/index.js" ]; then
  echo "bench: build the packages first: cd $root && npx pnpm@12.4.2 -r run build" >&2
  exit 1
fi

if [ "$bench" = k8s-bridge ] && [ ! -f "$root/packages/k8s-bridge/dist/cli/main.js" ]; then
  echo "bench: build the packages first: cd $root && npx pnpm@12.4.2 -r run build" >&2
  exit 1
fi

if [ "$bench" = layer2 ] && { [ ! -f "$root/packages/k8s-bridge/dist/cli/main.js" ] || [ ! -f "$root/packages/l2-announcer/dist/index.js" ] || [ ! -f "$root/packages/l2-announcer/build/Release/packet_socket.node" ]; }; then
  echo "bench: build the packages first: cd $root && npx pnpm@12.4.2 -r run build" >&2
  exit 1
fi

# The benchmark imports @metallb-ts/bgp-core like the speaker does; bench/ is not a workspace
# package, so it gets a link of its own (git ignores bench/node_modules).
mkdir -p "$here/node_modules/@metallb-ts"
ln -sfn ../../../packages/bgp-core "$here/node_modules/@metallb-ts/bgp-core"
# The layer2 benchmark's ARP load client opens its packet socket with @metallb-ts/l2-announcer.
ln -sfn ../../../packages/l2-announcer "$here/node_modules/@metallb-ts/l2-announcer"

"$root/node_modules/.bin/tsc" -p "$here/tsconfig.json"
exec node "$here/.build/$entry" "$@"
