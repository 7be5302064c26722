# build.sh - sourced by the bench scripts: install what is missing (the
# packages given as arguments too) and build safemail plainly (-O2, no
# sanitizers) in _build/bench; sets $top and $build.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
. scripts/deps.sh
install_missing "$@" </dev/null
if [ -f "$top/config.status" ]; then
	(cd "$top" && make distclean >/dev/null)
fi
[ -f "$top/configure" ] || autoreconf -fi >/dev/null
build="$top/_build/bench"
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } &&
	make -j"$(nproc)" >/dev/null)
