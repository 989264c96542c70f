#!/usr/bin/env bash
# Everything a fresh machine (Debian, Node.js 20 + npm, as root) needs before the lab or the tests:
# the real routers from Debian's packages, the npm packages, and the build (TypeScript + the TCP-MD5 addon).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.4.2
DEBIAN_PACKAGES=(frr gobgpd bird2 iproute2 iputils-arping ndisc6 tshark tcpdump procps)

need_apt=0
for tool in /usr/lib/frr/bgpd gobgpd bird tshark tcpdump ip arping ndisc6; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || need_apt=1
done
if [ "$need_apt" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: the Debian packages ${DEBIAN_PACKAGES[*]} are missing and installing them needs root" >&2
    exit 1
  fi
  echo "setup: installing ${DEBIAN_PACKAGES[*]}"
  apt-get update -qq
  # tshark asks whether non-root users may capture; the default answer is fine.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${DEBIAN_PACKAGES[@]}" >/dev/null
fi

# npm cannot install into this folder (it does not know pnpm's workspace: protocol); npx keeps
# pnpm in its own cache instead.
pnpm() { npx --yes "pnpm@$PNPM_VERSION" "$@"; }
pnpm install --frozen-lockfile --reporter=silent
pnpm -r run build
test -x node_modules/.bin/bgp-speaker || { echo "setup: node_modules/.bin/bgp-speaker is missing after the build" >&2; exit 1; }
echo "setup: ready"
