#!/usr/bin/env bash
# sync.sh - issue 7: synchronous plain and STARTTLS sending, async
# submission and a refused invocation against msmtp (Debian), a minimal
# libcurl sender and the floors (bench/sync.py).
set -euo pipefail
. "$(dirname "$0")/build.sh" msmtp python3-aiosmtpd openssl \
	libcurl4-openssl-dev
exec /usr/bin/python3 "$top/bench/sync.py" "$build/src/safemail" "${1:-21}"
