#!/usr/bin/env bash
# queue.sh - issue 4, point 8: build safemail plainly, fetch dma from
# Debian (extracted, not installed: it conflicts with postfix), and run
# bench/queue.py in a private mount namespace. Needs root.
set -euo pipefail
. "$(dirname "$0")/build.sh" postfix python3 util-linux
dma=$(mktemp -d)
trap 'rm -rf "$dma"' EXIT
(cd "$dma" && apt-get download -q dma >/dev/null 2>&1 &&
	dpkg -x dma_*.deb root)
exec unshare -m /usr/bin/python3 "$top/bench/queue.py" \
	"$build/src/safemail" "$dma/root" "${1:-21}"
