#!/usr/bin/env bash
# sync.sh - issues 7 and 27: synchronous plain and STARTTLS sending (through
# the submission service and the set-ID path), async
# submission and a refused invocation against msmtp (Debian), a minimal
# libcurl sender and the floors; 100 callers at once (bench/sync.py).
set -euo pipefail
. "$(dirname "$0")/build.sh" msmtp python3-aiosmtpd openssl systemd \
	libcurl4-openssl-dev
exec /usr/bin/python3 "$top/bench/sync.py" "$build/src/safemail" "${1:-21}"
