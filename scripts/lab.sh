#!/usr/bin/env bash
# The README's main job: the seed's BGP example in network namespaces (FRR at 192.0.2.1, our
# speaker at 192.0.2.100 as AS 4200000000 with the seed's password), showing the router's table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$(id -u)" != 0 ]; then
  echo "lab: network namespaces need root" >&2
  exit 1
fi
# The lab's drivers are TypeScript beside the tests; compile them with the repo's compiler.
node_modules/.bin/tsc -p test/tsconfig.json
exec node .build/test/demo/lab.js "$@"
