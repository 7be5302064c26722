# deps.sh - install the Debian 12 packages safemail needs that are missing.
# Sourced by scripts/check and scripts/demo; needs root when something is
# missing.
SAFEMAIL_PACKAGES="gcc make autoconf automake pkg-config libcurl4-openssl-dev
libssl-dev libinih-dev libjson-c-dev libseccomp-dev mandoc python3 util-linux"
# What the tests run against (the scripted relay on aiosmtpd, a test CA
# made with openssl, a real MTA, real callers): each test file names its
# packages on a line "# debian: PKG ..." and this is their union
# (tests/integ/deps.py checks that a test uses nothing else).
SAFEMAIL_TEST_PACKAGES=$(sed -n 's/^# debian: //p' \
	"$(dirname "${BASH_SOURCE[0]}")"/../tests/integ/*.py | tr ' ' '\n' |
	sort -u | tr '\n' ' ')

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
	# Postfix is only a test relay that the suite starts on a loopback
	# port with its own configuration: its package must not configure or
	# start the system instance.
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections 2>/dev/null || true
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $missing >/dev/null
}
