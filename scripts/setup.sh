#!/usr/bin/env bash
# Install what the tests need beyond npm packages (Debian packages, when missing): Verilator, redis-server,
# and fpga-icestorm for `npm run flash` (optional: the tests do not need iceprog).
set -euo pipefail

# need COMMAND PACKAGE WHY required|optional: install PACKAGE from Debian when COMMAND is missing (as root);
# otherwise say how, and fail when it is required.
need() {
  local cmd=$1 pkg=$2 why=$3 level=$4
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing $pkg ($why) from Debian packages..."
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -q "$pkg" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$pkg" >/dev/null; }; then
      return 0
    fi
    echo "setup: could not install $pkg ($why)" >&2
  else
    echo "setup: $cmd is missing ($why); install it as root: apt-get install -y $pkg" >&2
  fi
  [ "$level" = optional ]
}

need verilator verilator "the Verilator simulations" required
need redis-server redis-server "the dse queue test, test/slow/dse.test.ts" required
need iceprog fpga-icestorm "npm run flash" optional
echo "setup: $(verilator --version); node $(node --version); g++ $(g++ -dumpversion); $(redis-server --version | cut -d" " -f1-3); iceprog: $(command -v iceprog || echo missing)"
