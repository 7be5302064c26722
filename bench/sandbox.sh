#!/usr/bin/env bash
# sandbox.sh - issue 29: the relay client's sandbox on and off, the same
# plain build, interleaved (bench/sandbox.py). Needs root.
# Usage: bench/sandbox.sh [ROUNDS [QUEUED]]
set -euo pipefail
. "$(dirname "$0")/build.sh" python3-aiosmtpd openssl
exec /usr/bin/python3 "$top/bench/sandbox.py" "$build/src/safemail" \
	"${1:-31}" "${2:-400}"
