#!/usr/bin/env bash
# rss.sh - peak RSS for a 1 KiB and a 50 MiB message (bench/rss.py).
set -euo pipefail
. "$(dirname "$0")/build.sh" time python3
exec /usr/bin/python3 "$top/bench/rss.py" "$build/src/safemail" "${1:-3}"
