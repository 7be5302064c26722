#!/usr/bin/env bash
# run.sh - issue 7: every benchmark in one go, side by side with the
# peers from Debian (sync.sh: msmtp and the floors; queue.sh: dma and
# Postfix; rss.sh: the 50 MiB message), their tables, then one table of
# the targets (bench/summary.py). Needs root (queue.sh).
# Usage: bench/run.sh [ROUNDS]   (default 21; rss.sh runs at most 9)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-21}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bash "$here/sync.sh" "$rounds" | tee -a "$out"
bash "$here/queue.sh" "$rounds" | tee -a "$out"
bash "$here/rss.sh" "$(( rounds < 9 ? rounds : 9 ))" | tee -a "$out"
/usr/bin/python3 "$here/summary.py" "$out"
