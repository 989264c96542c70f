#!/usr/bin/env bash
# The whole test suite: unit tests beside each package, then the interop tests in test/ that run the
# real FRR, GoBGP and BIRD in network namespaces (needs root). Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export PATH="$PWD/node_modules/.bin:$PATH"

if [ "$(id -u)" != 0 ]; then
  echo "test: the interop tests create network namespaces and need root" >&2
  exit 1
fi

npx --yes pnpm@12.4.2 -r run typecheck && tsc -p test/tsconfig.json --noEmit || { echo "0 passed, 1 failed: typecheck"; exit 1; }

mapfile -t files < <(find packages/*/src test -name '*.test.ts' -not -path '*/node_modules/*' | sort)
log=$(mktemp)
tap --reporter=tap "${files[@]}" "$@" | tee "$log"
status=${PIPESTATUS[0]}
# tap's last summary line looks like "# { total: 12, pass: 11, fail: 1 }".
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8");
  const lines = text.split("\n").filter((l) => /^# \{ total: \d+/.test(l));
  const last = lines.at(-1) ?? "";
  const pick = (k) => Number((last.match(new RegExp(k + ": (\\d+)")) ?? [0, 0])[1]);
  console.log(`${pick("pass")} passed, ${pick("fail")} failed` + (pick("skip") ? `, ${pick("skip")} skipped` : ""));
' "$log"
rm -f "$log"
exit "$status"
