# deps.sh - install the Debian 12 packages safemail needs that are missing.
# Sourced by scripts/check and scripts/demo; needs root when something is
# missing.
SAFEMAIL_PACKAGES="gcc make autoconf automake pkg-config libcurl4-openssl-dev
libssl-dev libinih-dev mandoc python3 util-linux"

install_missing() {
	local missing="" p
	for p in $SAFEMAIL_PACKAGES "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	echo "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "run as root to install:$missing" >&2
		return 1
	fi
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
}
