#!/usr/bin/env bash
# rss.sh - build safemail plainly (-O2, no sanitizers) in _build/bench and
# measure peak RSS for a 1 KiB and a 50 MiB message (bench/rss.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/deps.sh
install_missing time python3 </dev/null
if [ -f "$top/config.status" ]; then
	(cd "$top" && make distclean >/dev/null)
fi
[ -f "$top/configure" ] || autoreconf -fi >/dev/null
build="$top/_build/bench"
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)" >/dev/null
exec /usr/bin/python3 "$top/bench/rss.py" "$build/src/safemail" "${1:-3}"
