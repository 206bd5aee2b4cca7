#!/bin/sh
# Installs the Debian packages that building, testing and running tern need.
# Only missing packages are installed; when nothing is missing it prints nothing.
# Runs as root, or through sudo otherwise. Usage: scripts/deps.sh [extra-package ...]
set -eu

# Build: compilers, libraries (see DESIGN.md "Dependencies").
BUILD="gcc make clang pkg-config libc6-dev libclang-rt-14-dev
libssl-dev libsqlite3-dev libunbound-dev libcurl4-openssl-dev libjansson-dev
libexpat1-dev zlib1g-dev libsodium-dev libutf8proc-dev libidn2-dev dns-root-data"

# Tests: unit test framework, integration test runner, real clients, lint/format,
# Dovecot as the reference IMAP server (tests compare its BODYSTRUCTURE/ENVELOPE),
# the Perl modules swaks needs for STARTTLS and AUTH, Postfix as the peer MTA (tests run
# private instances on loopback; the system instance is left unconfigured, see below),
# isync (mbsync) and mutt as IMAP clients, NSD (authoritative DNS for the test zones, run
# privately in the tests' network namespace; its system instance is kept from starting,
# see below) and ldnsutils (ldns-keygen/ldns-signzone sign the test zones).
TEST="libcriterion-dev python3 python3-pytest openssl curl swaks cppcheck clang-format
dovecot-imapd libnet-ssleay-perl libauthen-sasl-perl libdigest-hmac-perl postfix
isync mutt nsd ldnsutils"

# Runtime of tern itself: the shared libraries above, and dns-root-data (the DNS root's
# trust anchor, /usr/share/dns/root.key, from which tern validates DNSSEC).

missing=""
for pkg in $BUILD $TEST "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $pkg" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
else
	SUDO="sudo"
fi
echo "scripts/deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix without a configuration: its system instance must not start or listen.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# NSD's package would start a system instance listening on port 53 of every address:
# a policy-rc.d (invoke-rc.d's hook) forbids starting services while we install, unless
# the machine has its own (as containers do), which is left alone.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# tern scripts/deps.sh: no services started while installing\nexit 101\n' |
		$SUDO tee "$POLICY" >/dev/null
	$SUDO chmod 755 "$POLICY"
	OWN_POLICY=1
fi
install_missing() {
	# Refresh the package lists once if they are missing or stale (a fresh machine has none).
	$SUDO apt-get install -y -q --no-install-recommends $missing >/tmp/tern-deps.log 2>&1 && return 0
	$SUDO apt-get update -q >>/tmp/tern-deps.log 2>&1 || true
	$SUDO apt-get install -y -q --no-install-recommends $missing >>/tmp/tern-deps.log 2>&1
}
if install_missing; then rc=0; else rc=1; fi
if [ -n "$OWN_POLICY" ]; then $SUDO rm -f "$POLICY"; fi
if [ "$rc" -ne 0 ]; then
	cat /tmp/tern-deps.log >&2
	echo "scripts/deps.sh: installing packages failed" >&2
	exit 1
fi
# On a machine with systemd, keep the system NSD from starting at boot too.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now nsd >/dev/null 2>&1 || true
fi
