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
libcsv-dev nettle-dev"
TEST="opus-tools minisign zbar-tools sqlite3 espeak-ng sox socat python3
clang valgrind procps psmisc chromium nodejs curl openssl strace"
IMAGE="gcc-aarch64-linux-gnu qemu-system-arm qemu-user-static kmod cpio
e2fsprogs ipxe-qemu binutils-aarch64-linux-gnu
libsqlite3-dev:arm64 libopusenc-dev:arm64 libopus-dev:arm64 libogg-dev:arm64
libusb-1.0-0-dev:arm64 libqrencode-dev:arm64 libsodium-dev:arm64
libcurl4-gnutls-dev:arm64 libjansson-dev:arm64 libsndfile1-dev:arm64
libpng-dev:arm64 libfreetype-dev:arm64 libasound2-dev:arm64
libcmocka-dev:arm64 nettle-dev:arm64
libacl1:arm64 libblkid1:arm64 libcap2:arm64 libkmod2:arm64 libselinux1:arm64"
# (the last line: libraries the guest's udevd needs, copied into the image)
# Not installed but fetched with `apt-get download` by board/qemu-virt/image.mk
# into build-image/ (they are guest-only: arm64 binaries for the initramfs):
# linux-image-6.1.0-*-arm64:arm64, busybox-static:arm64, alsa-utils:arm64,
# udev:arm64.

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

# The cross -dev packages come from the arm64 half of the archive.
newarch=""
case " $want " in
*:arm64*)
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		newarch=1
	fi ;;
esac

missing=""
for p in $want; do
	present "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
[ -n "$newarch" ] && $SUDO dpkg --add-architecture arm64
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
