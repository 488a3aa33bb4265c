#!/bin/sh
# Assembles the qemu-virt boot files from the cross-built binaries and
# Debian's arm64 packages (fetched with apt-get download, cached):
#   OUT/Image           the kernel (Debian's arm64 vmlinuz is an uncompressed Image)
#   OUT/initramfs.cpio  busybox, init, modules, binaries, their shared libraries
#   OUT/data.img        an empty ext4 data disk (only made when missing)
# Usage: board/qemu-virt/mkimage.sh OUT BIN...
# BIN are aarch64 executables to put in /usr/bin (notewelld, notewellctl, ...).
set -eu

OUT=$1; shift
HERE=$(cd "$(dirname "$0")" && pwd)
READELF=${READELF:-aarch64-linux-gnu-readelf}
LIBDIRS="/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu"

mkdir -p "$OUT/debs"
OUT=$(cd "$OUT" && pwd)

# --- downloads (apt only), cached in OUT/debs --------------------------------
kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { sub(":arm64", "", $2); print $2; exit }')
[ -n "$kpkg" ] || { echo "mkimage: cannot resolve linux-image-arm64:arm64 (apt-get update? dpkg --add-architecture arm64?)" >&2; exit 1; }
KVER=${kpkg#linux-image-}

fetch() { # package: downloads its .deb into OUT/debs unless already there
	ls "$OUT/debs/$1"_*_arm64.deb >/dev/null 2>&1 && return 0
	echo "mkimage: apt-get download $1:arm64" >&2
	# apt's sandbox user may not write here; the warning about it is noise.
	(cd "$OUT/debs" && apt-get download -q "$1:arm64" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
	ls "$OUT/debs/$1"_*_arm64.deb >/dev/null 2>&1 || { echo "mkimage: download of $1 failed" >&2; exit 1; }
}
fetch "$kpkg"
fetch busybox-static
fetch alsa-utils
fetch udev

# --- kernel: unpack once per version, depmod, Image ------------------------
KROOT=$OUT/kernel-$KVER
if [ ! -f "$KROOT/.done" ]; then
	rm -rf "$KROOT"
	dpkg-deb -x "$OUT/debs/$kpkg"_*_arm64.deb "$KROOT"
	# The .deb ships no modules.dep (the postinst makes it on the target).
	depmod -b "$KROOT" "$KVER"
	touch "$KROOT/.done"
fi
cp "$KROOT/boot/vmlinuz-$KVER" "$OUT/Image.tmp" && mv "$OUT/Image.tmp" "$OUT/Image"
echo "$KVER" >"$OUT/kernel-version"

# --- staging tree ----------------------------------------------------------
R=$OUT/root
rm -rf "$R"
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/lib" \
	"$R/lib/aarch64-linux-gnu" "$R/proc" "$R/sys" "$R/dev" "$R/data" \
	"$R/tmp" "$R/run" "$R/etc/notewell" "$R/usr/share" "$R/root"

tmp=$OUT/tmp.$$
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$OUT/debs/"busybox-static_*_arm64.deb "$tmp/bb"
cp "$tmp/bb/bin/busybox" "$R/bin/busybox"
# Applet links are made by init (busybox --install -s) so this list never
# has to follow busybox's configuration; sh is needed before that.
ln -s busybox "$R/bin/sh"
dpkg-deb -x "$OUT/debs/"alsa-utils_*_arm64.deb "$tmp/alsa"
cp "$tmp/alsa/usr/bin/aplay" "$R/usr/bin/aplay"
ln -s aplay "$R/usr/bin/arecord"
cp "$tmp/alsa/usr/bin/amixer" "$R/usr/bin/amixer"

# udevd: Debian's libusb enumerates and gets hotplug events through libudev,
# which only hears from a running udevd (no udevd: a replugged scanner is
# never seen). libusb needs only the events; the one rules file (below)
# gives the daemon's user its device nodes.
dpkg-deb -x "$OUT/debs/"udev_*_arm64.deb "$tmp/udev"
cp "$tmp/udev/bin/udevadm" "$R/bin/udevadm"
mkdir -p "$R/lib/systemd" "$R/etc/udev"
ln -s /bin/udevadm "$R/lib/systemd/systemd-udevd"

cp "$HERE/init" "$R/init"
chmod 755 "$R/init"
cp "$HERE/board.conf" "$R/etc/notewell/board.conf"
# notewelld (config key user, default notewell) becomes this user once its
# devices are open; its groups open the nodes 70-notewell.rules hands them
# (Debian's standard gids). No password, no shell: nobody logs in as it.
printf 'root:x:0:0:root:/root:/bin/sh\nnotewell:x:101:101:notewell:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\naudio:x:29:notewell\nvideo:x:44:notewell\nplugdev:x:46:notewell\nnotewell:x:101:\n' >"$R/etc/group"
printf 'passwd: files\ngroup: files\n' >"$R/etc/nsswitch.conf"
mkdir -p "$R/etc/udev/rules.d"
cp "$HERE/70-notewell.rules" "$R/etc/udev/rules.d/"

for b in "$@"; do
	cp "$b" "$R/usr/bin/"
done

# alsa-lib reads its configuration (pcm.hw and friends) at run time.
cp -r /usr/share/alsa "$R/usr/share/alsa"
# The screen's fonts (firmware/roomscreen.c opens DejaVuSans.ttf and
# DejaVuSans-Bold.ttf from font_dir) and the consent notices with their
# statements (notice_dir); without them the daemon does not start.
FONTS=/usr/share/fonts/truetype/dejavu
mkdir -p "$R$FONTS"
for f in DejaVuSans.ttf DejaVuSans-Bold.ttf; do
	[ -f "$FONTS/$f" ] || { echo "mkimage: $FONTS/$f missing (fonts-dejavu-core)" >&2; exit 1; }
	cp "$FONTS/$f" "$R$FONTS/"
done
TOP=$(cd "$HERE/../.." && pwd)
mkdir -p "$R/usr/share/notewell/notices"
cp "$TOP"/board/notices/*.notice "$TOP"/board/notices/*.txt "$R/usr/share/notewell/notices/"

# --- modules: the listed ones and everything modules.dep says they need ------
MD=lib/modules/$KVER
mkdir -p "$R/$MD"
grep -v '^#' "$HERE/modules.list" | grep . | tr '-' '_' >"$tmp/want"
# modules.dep lines: "kernel/path/name.ko: dep.ko dep.ko"; names compare with
# '-' and '_' folded, as modprobe does.
awk -v want="$tmp/want" '
	BEGIN { while ((getline w < want) > 0) need[w] = 1 }
	{
		key = $1; sub(":$", "", key)
		n = key; sub(".*/", "", n); sub("\\.ko.*", "", n); gsub("-", "_", n)
		if (n in need) { found[n] = 1; print key; for (i = 2; i <= NF; i++) print $i }
	}
	END { for (w in need) if (!(w in found)) print "MISSING " w }
' "$KROOT/$MD/modules.dep" | sort -u >"$tmp/mods"
if grep '^MISSING' "$tmp/mods" >&2; then
	echo "mkimage: modules above are not in $kpkg" >&2; exit 1
fi
while read -r m; do
	mkdir -p "$R/$MD/$(dirname "$m")"
	cp "$KROOT/$MD/$m" "$R/$MD/$m"
done <"$tmp/mods"
cp "$KROOT/$MD/modules.order" "$KROOT/$MD/modules.builtin" "$R/$MD/"
[ -f "$KROOT/$MD/modules.builtin.modinfo" ] && cp "$KROOT/$MD/modules.builtin.modinfo" "$R/$MD/"
depmod -b "$R" "$KVER"
grep -v '^#' "$HERE/modules.list" | grep . >"$R/etc/notewell/modules"

# --- shared libraries: walk DT_NEEDED from every executable ------------------
find_lib() {
	for d in $LIBDIRS; do
		[ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
: >"$tmp/seen"
add_needed() { # elf
	for n in $("$READELF" -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		grep -qx "$n" "$tmp/seen" && continue
		echo "$n" >>"$tmp/seen"
		p=$(find_lib "$n") || { echo "mkimage: $1 needs $n, not found in $LIBDIRS" >&2; exit 1; }
		cp -L "$p" "$R/lib/aarch64-linux-gnu/$n"
		add_needed "$p"
	done
}
for e in "$R"/usr/bin/* "$R/bin/udevadm"; do
	[ -L "$e" ] && continue
	add_needed "$e"
done
# The dynamic loader at the path the binaries name (PT_INTERP).
cp -L /lib/ld-linux-aarch64.so.1 "$R/lib/ld-linux-aarch64.so.1"

# --- cpio: fixed times and order so the same inputs give the same bytes -----
find "$R" -exec touch -h -d @0 {} +
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet) >"$OUT/initramfs.cpio.tmp"
mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"

# --- data disk: only when missing (qemu-run keeps its data across boots) ----
if [ ! -f "$OUT/data.img" ]; then
	truncate -s 64M "$OUT/data.img.tmp"
	mkfs.ext4 -q -F -L nwdata -E root_owner=0:0 "$OUT/data.img.tmp"
	mv "$OUT/data.img.tmp" "$OUT/data.img"
fi
echo "mkimage: $OUT/Image ($KVER), $OUT/initramfs.cpio ($(du -k "$OUT/initramfs.cpio" | cut -f1) KiB), $OUT/data.img" >&2
