#!/usr/bin/env bash
# ab.sh - a/b: this tree and a build of REV (a commit before a change)
# side by side in the same interleaved rounds of sync.sh and queue.sh,
# with the peers, so that a change's cost is a ratio of one run.
# Then the paths a change touches, the two builds alternated call by call
# (pair.py, PAIR_ROUNDS rounds).
# Usage: bench/ab.sh REV [ROUNDS [PAIR_ROUNDS]]   (needs root, as queue.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rev=$(git -C "$top" rev-parse --short "${1:?usage: bench/ab.sh REV [ROUNDS]}")
rounds=${2:-11}
tree="$top/_build/ab-$rev"
if [ ! -x "$tree/_b/src/safemail" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	git -C "$top" archive "$rev" | tar -x -C "$tree"
	(cd "$tree" && autoreconf -fi >/dev/null 2>&1 && mkdir -p _b &&
		cd _b && ../configure -q && make -j"$(nproc)" >/dev/null)
fi
export SAFEMAIL_BEFORE="$tree/_b/src/safemail"
export SAFEMAIL_BEFORE_LABEL="at $rev"
bash "$here/sync.sh" "$rounds"
bash "$here/queue.sh" "$rounds"
exec /usr/bin/python3 "$here/pair.py" "$top/_build/bench/src/safemail" "${3:-301}"
