#!/bin/sh
# Installs the Debian packages that building, testing and running tern need.
# Only missing packages are installed; when nothing is missing it prints nothing.
# Runs as root, or through sudo otherwise. Usage: scripts/deps.sh [extra-package ...]
set -eu

# Build: compilers, libraries (see DESIGN.md "Dependencies").
BUILD="gcc make clang pkg-config libc6-dev libclang-rt-14-dev
libssl-dev libsqlite3-dev libunbound-dev libcurl4-openssl-dev libjansson-dev
libexpat1-dev zlib1g-dev libsodium-dev libutf8proc-dev libidn2-dev"

# Tests: unit test framework, integration test runner, real clients, lint/format,
# Dovecot as the reference IMAP server (tests compare its BODYSTRUCTURE/ENVELOPE),
# the Perl modules swaks needs for STARTTLS and AUTH, Postfix as the peer MTA (tests run
# private instances on loopback; the system instance is left unconfigured, see below),
# isync (mbsync) and mutt as IMAP clients.
TEST="libcriterion-dev python3 python3-pytest openssl curl swaks cppcheck clang-format
dovecot-imapd libnet-ssleay-perl libauthen-sasl-perl libdigest-hmac-perl postfix
isync mutt"

# Runtime of tern itself (localserve) needs nothing beyond the shared libraries above.

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
# Refresh the package lists once if they are missing or stale (a fresh machine has none).
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/tmp/tern-deps.log 2>&1; then
	$SUDO apt-get update -q >>/tmp/tern-deps.log 2>&1 || true
	if ! $SUDO apt-get install -y -q --no-install-recommends $missing >>/tmp/tern-deps.log 2>&1; then
		cat /tmp/tern-deps.log >&2
		echo "scripts/deps.sh: installing packages failed" >&2
		exit 1
	fi
fi
