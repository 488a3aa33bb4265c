#!/bin/sh
# Installs the Debian packages notewell needs, and only those that are missing.
# Usage: board/deps.sh build|test|image   (each group includes the ones before it)
# Idempotent and silent when everything is already there, so every make target
# can call it without cost.
set -eu

BUILD="build-essential pkg-config libsqlite3-dev libopusenc-dev libopus-dev
libogg-dev libusb-1.0-0-dev libqrencode-dev libsodium-dev libmicrohttpd-dev
libcurl4-gnutls-dev libgnutls28-dev libjansson-dev libical-dev libsndfile1-dev
libpng-dev libfreetype-dev fonts-dejavu-core libasound2-dev libcmocka-dev
libcsv-dev"
TEST="opus-tools minisign zbar-tools sqlite3 espeak-ng sox socat python3
clang valgrind procps psmisc chromium nodejs curl openssl"
IMAGE="gcc-aarch64-linux-gnu qemu-system-arm qemu-user-static kmod cpio
e2fsprogs ipxe-qemu"

want=$BUILD
case "${1:-build}" in
build) ;;
test) want="$BUILD $TEST" ;;
image) want="$BUILD $TEST $IMAGE" ;;
*) echo "usage: $0 build|test|image" >&2; exit 2 ;;
esac

# A package counts as present when it is fully installed for the native
# architecture (or "all"); NAME:arm64 asks for that architecture exactly.
native=$(dpkg --print-architecture)
present() {
	case "$1" in
	*:*) dpkg-query -W -f='${db:Status-Abbrev}\n' "$1" 2>/dev/null | grep -q '^ii' ;;
	*) dpkg-query -W -f='${Architecture} ${db:Status-Abbrev}\n' "$1" 2>/dev/null |
		grep -Eq "^($native|all) ii" ;;
	esac
}
missing=""
for p in $want; do
	present "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
