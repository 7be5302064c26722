#!/usr/bin/env bash
# sync.sh - issue 7: build safemail plainly, install msmtp from Debian if
# missing, and run bench/sync.py (synchronous plain and STARTTLS sending,
# async submission, a refused invocation) against the floors.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
install_missing msmtp python3-aiosmtpd openssl libcurl4-openssl-dev </dev/null
if [ -f "$top/config.status" ]; then
	(cd "$top" && make distclean >/dev/null)
fi
[ -f "$top/configure" ] || autoreconf -fi >/dev/null
build="$top/_build/bench"
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } &&
	make -j"$(nproc)" >/dev/null)
exec /usr/bin/python3 "$top/bench/sync.py" "$build/src/safemail" "${1:-21}"
