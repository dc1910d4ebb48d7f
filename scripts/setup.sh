#!/usr/bin/env bash
# Install what the tests need beyond npm packages (Debian packages, when missing): Verilator, redis-server.
set -euo pipefail
if ! command -v verilator >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing verilator from Debian packages..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q verilator >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q verilator >/dev/null; }
  else
    echo "setup: verilator is missing; install it as root: apt-get install -y verilator" >&2
    exit 1
  fi
fi
# redis-server: the dse queue test (test/slow/dse.test.ts) starts one on a loopback port
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing redis-server from Debian packages..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q redis-server >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null; }
  else
    echo "setup: redis-server is missing; install it as root: apt-get install -y redis-server" >&2
    exit 1
  fi
fi
echo "setup: $(verilator --version); node $(node --version); g++ $(g++ -dumpversion); $(redis-server --version | cut -d" " -f1-3)"

# npm run flash: iceprog (Debian package fpga-icestorm) when it is missing; only a warning when not root,
# since the tests do not need it
if ! command -v iceprog >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: installing fpga-icestorm (iceprog) from Debian packages..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q fpga-icestorm >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q fpga-icestorm >/dev/null; } || echo "setup: could not install fpga-icestorm (npm run flash needs iceprog)" >&2
  else
    echo "setup: iceprog is missing (npm run flash needs it); install it as root: apt-get install -y fpga-icestorm" >&2
  fi
fi
