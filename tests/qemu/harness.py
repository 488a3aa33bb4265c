#!/usr/bin/env python3
"""Drives the qemu-virt box for the emulated-device tests (stdlib only).

One guest at a time: QEMU runs with stdin=/dev/null, its serial console on a
unix socket (logged to serial.log), QMP on another unix socket. The harness
waits for the NOTEWELL-* markers init prints, runs commands in the guest's
busybox shell through the console, types on the emulated usb-kbd over QMP,
unplugs/replugs it, and can kill -9 QEMU to cut the power.

  harness.py test --img build-image [--only NAME,...] [--keep]
  harness.py run  --img build-image --disk build-image/data.img [--sync-port N]
  harness.py type --qmp SOCKET TEXT      (types TEXT, "\\n" is Enter)

Every scenario prints TAP lines; the run ends with the plan line.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave
import math

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CMDLINE = open(os.path.join(TOP, "board/qemu-virt/cmdline")).read().strip()
KBD_ID = "0627:0001"
SYNC_GUEST = "10.0.2.100:8443"


class HarnessError(Exception):
    pass


# --------------------------------------------------------------- keyboard map
# QEMU qcodes for the characters a badge or setup code can contain (US layout).
_PLAIN = {c: c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
_PLAIN.update({"-": "minus", "=": "equal", "/": "slash", ".": "dot",
               ",": "comma", ";": "semicolon", "'": "apostrophe",
               "[": "bracket_left", "]": "bracket_right", "\\": "backslash",
               "`": "grave_accent", " ": "spc", "\n": "ret", "\t": "tab"})
_SHIFTED = {c.upper(): c for c in "abcdefghijklmnopqrstuvwxyz"}
_SHIFTED.update({"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6",
                 "&": "7", "*": "8", "(": "9", ")": "0", "_": "minus",
                 "+": "equal", "?": "slash", ":": "semicolon", '"': "apostrophe",
                 "<": "comma", ">": "dot", "{": "bracket_left",
                 "}": "bracket_right", "|": "backslash", "~": "grave_accent"})


def char_keys(ch):
    """(shift, qcode) for one character; ValueError for untypeable ones."""
    if ch in _PLAIN:
        return False, _PLAIN[ch]
    if ch in _SHIFTED:
        return True, _PLAIN.get(_SHIFTED[ch], _SHIFTED[ch])
    raise ValueError("cannot type %r on a US keyboard" % ch)


# HID usage IDs (boot keyboard) back to characters, to decode what the guest read.
_USAGE = {}
for i, c in enumerate("abcdefghijklmnopqrstuvwxyz"):
    _USAGE[0x04 + i] = (c, c.upper())
for i, c in enumerate("1234567890"):
    _USAGE[0x1E + i] = (c, "!@#$%^&*()"[i])
_USAGE.update({0x28: ("\n", "\n"), 0x2B: ("\t", "\t"), 0x2C: (" ", " "),
               0x2D: ("-", "_"), 0x2E: ("=", "+"), 0x2F: ("[", "{"),
               0x30: ("]", "}"), 0x31: ("\\", "|"), 0x33: (";", ":"),
               0x34: ("'", '"'), 0x35: ("`", "~"), 0x36: (",", "<"),
               0x37: (".", ">"), 0x38: ("/", "?")})


def decode_boot_reports(reports):
    """Text typed according to a list of 8-byte boot keyboard reports."""
    out, prev = [], set()
    for r in reports:
        if len(r) < 8:
            continue
        shift = bool(r[0] & 0x22)
        keys = [k for k in r[2:8] if k]
        for k in keys:
            if k not in prev and k in _USAGE:
                out.append(_USAGE[k][1 if shift else 0])
        prev = set(keys)
    return "".join(out)


# ----------------------------------------------------------------------- QMP
class Qmp:
    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.rf = self.sock.makefile("r")
        greeting = json.loads(self.rf.readline())
        if "QMP" not in greeting:
            raise HarnessError("no QMP greeting: %r" % greeting)
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall((json.dumps(msg) + "\n").encode())
        while True:
            line = self.rf.readline()
            if not line:
                raise HarnessError("QMP closed during %s" % name)
            r = json.loads(line)
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise HarnessError("QMP %s: %s" % (name, r["error"].get("desc")))
            # events ({"event": ...}) are not what we wait for here

    def key(self, qcode, down):
        self.cmd("input-send-event", events=[
            {"type": "key", "data": {"down": down,
                                     "key": {"type": "qcode", "data": qcode}}}])

    def type_text(self, text, delay=0.06):
        """Types text as key presses; Shift is held for capitals/symbols.
        The delay lets the guest poll each report: usb-kbd queues 16 key
        events and drops the rest, so at this pace the guest may stall for
        about a second (a screen redraw, a busy host) without losing keys."""
        held = False
        for ch in text:
            shift, q = char_keys(ch)
            if shift != held:
                # Shift stays down over a run of capitals/symbols, as a
                # scanner types them: fewer events in usb-kbd's queue.
                self.key("shift", shift)
                held = shift
                time.sleep(delay)
            self.key(q, True)
            time.sleep(delay)
            self.key(q, False)
            time.sleep(delay)
        if held:
            self.key("shift", False)
            time.sleep(delay)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------- guest
class Guest:
    """One QEMU run. Console output accumulates in self.out (and serial.log)."""

    def __init__(self, img, disk, workdir, name, append="", sync_port=None,
                 usb_kbd=True):
        self.img, self.disk, self.dir, self.name = img, disk, workdir, name
        self.append, self.sync_port, self.usb_kbd = append, sync_port, usb_kbd
        self.proc = None
        self.qmp = None
        self.out = ""
        self.cond = threading.Condition()
        self.seq = 0
        self.boot_time = None

    def argv(self, serial, qmp):
        net = "user,id=n0,restrict=on"
        if self.sync_port:
            # Each guest connection to 10.0.2.100:8443 gets its own socat to
            # the host's loopback; restrict=on refuses everything else.
            net += (",guestfwd=tcp:%s-cmd:socat STDIO TCP:127.0.0.1:%d"
                    % (SYNC_GUEST, self.sync_port))
        a = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72",
             "-m", "512", "-nodefaults", "-no-user-config", "-display", "none",
             # A kernel panic (panic=-1 reboots) ends QEMU instead of looping.
             "-no-reboot",
             "-kernel", os.path.join(self.img, "Image"),
             "-initrd", os.path.join(self.img, "initramfs.cpio"),
             "-append", (CMDLINE + " " + self.append).strip(),
             "-drive", "file=%s,format=raw,if=none,id=d0" % self.disk,
             "-device", "virtio-blk-pci,drive=d0",
             "-netdev", net, "-device", "virtio-net-pci,netdev=n0,romfile=",
             "-device", "qemu-xhci,id=xhci",
             # A framebuffer for the notice screen; QMP screendump reads it.
             "-device", "virtio-gpu-pci,xres=800,yres=480",
             "-qmp", "unix:%s,server=on,wait=off" % qmp,
             # Keys the guest did not fetch in time are dropped by usb-kbd
             # (16-event queue); this logs each drop to NAME.qemu.log.
             "-trace", "hid_kbd_queue_full"]
        if serial:
            a += ["-chardev", "socket,id=s0,path=%s,server=on,wait=on,logfile=%s"
                  % (serial, os.path.join(self.dir, self.name + ".serial.log")),
                  "-serial", "chardev:s0"]
        else:
            a += ["-serial", "mon:stdio"]
        if self.usb_kbd:
            a += ["-device", "usb-kbd,id=kbd0,bus=xhci.0"]
        return a

    def start(self, timeout=60):
        ser = os.path.join(self.dir, "serial.sock")
        qmp = os.path.join(self.dir, "qmp.sock")
        for p in (ser, qmp):
            if os.path.exists(p):
                os.unlink(p)
        self.out = ""
        self.t0 = time.monotonic()
        log = open(os.path.join(self.dir, self.name + ".qemu.log"), "ab")
        try:
            self.proc = subprocess.Popen(self.argv(ser, qmp), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
        except OSError as e:
            raise HarnessError("cannot run qemu-system-aarch64: %s" % e)
        finally:
            log.close()
        self.ser = self._connect(ser, timeout)
        threading.Thread(target=self._reader, daemon=True).start()
        self.qmp = Qmp(self._wait_path(qmp, timeout))

    def _wait_path(self, path, timeout):
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if self.proc.poll() is not None:
                raise HarnessError("qemu exited %d before %s appeared: %s"
                                   % (self.proc.returncode, os.path.basename(path),
                                      self.qemu_log_tail()))
            if time.monotonic() > end:
                raise HarnessError("qemu made no %s in %ds" % (path, timeout))
            time.sleep(0.02)
        return path

    def _connect(self, path, timeout):
        self._wait_path(path, timeout)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s

    def keys_dropped(self):
        """Key events usb-kbd dropped because the guest did not fetch them
        (the -trace hid_kbd_queue_full lines in NAME.qemu.log)."""
        try:
            with open(os.path.join(self.dir, self.name + ".qemu.log")) as f:
                return f.read().count("hid_kbd_queue_full")
        except OSError:
            return 0

    def qemu_log_tail(self):
        try:
            with open(os.path.join(self.dir, self.name + ".qemu.log")) as f:
                return f.read()[-500:].strip()
        except OSError:
            return ""

    def _reader(self):
        while True:
            try:
                b = self.ser.recv(4096)
            except OSError:
                b = b""
            with self.cond:
                if not b:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.out += b.decode("utf-8", "replace").replace("\r", "")
                self.cond.notify_all()

    def wait_for(self, pattern, timeout=30, start=0):
        """Waits until pattern matches console output after offset start.
        Fails early on NOTEWELL-FAIL or when QEMU ends."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.out, start)
                if m:
                    return m
                f = re.search(r"^NOTEWELL-FAIL.*$", self.out[start:], re.M)
                if f:
                    raise HarnessError("guest: " + f.group(0))
                left = end - time.monotonic()
                if left <= 0:
                    raise HarnessError("timeout (%ds) waiting for /%s/; console tail: %r"
                                       % (timeout, pattern, self.out[-300:]))
                if getattr(self, "eof", False) and self.proc.poll() is not None:
                    raise HarnessError("qemu ended (%s) waiting for /%s/"
                                       % (self.proc.returncode, pattern))
                self.cond.wait(min(left, 0.5))

    def boot(self, timeout=60):
        self.eof = False
        self.start(timeout)
        m = self.wait_for(r"^NOTEWELL-READY.*$", timeout)
        self.boot_time = time.monotonic() - self.t0
        # A shell prompt follows READY; give it a moment to come up.
        self.wait_for(r"# ", 20, m.end())
        return m.group(0)

    def send(self, line):
        self.ser.sendall((line + "\n").encode())

    def sh(self, cmd, timeout=30):
        """Runs cmd in the guest shell; returns (exit status, output).
        The markers are printed with printf so the echoed command line
        never matches them. The daemon logs to the same console, so the
        command's output is collected in a file and printed with a per-call
        line prefix: only those lines are the command's output."""
        self.seq += 1
        tag = "NW%d" % self.seq
        with self.cond:
            start = len(self.out)
        self.send("printf '<%%s>\\n' B%s; (%s) >/tmp/.out 2>&1; r=$?; "
                  "sed 's/^/%s| /' /tmp/.out; printf '<%%s:%%s>\\n' E%s $r"
                  % (tag, cmd, tag, tag))
        b = self.wait_for(r"^<B%s>$" % tag, timeout, start)
        e = self.wait_for(r"<E%s:(\d+)>$" % tag, timeout, b.end())
        lines = re.findall(r"^%s\| (.*)$" % tag, self.out[b.end():e.start()], re.M)
        return int(e.group(1)), "\n".join(lines)

    def check(self, cmd, timeout=30):
        rc, out = self.sh(cmd, timeout)
        if rc != 0:
            raise HarnessError("guest `%s` exited %d: %s" % (cmd, rc, out[-300:]))
        return out

    def kill9(self):
        """Power cut: no shutdown, no flush beyond what already reached the host."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            self._close()
            return
        try:
            # A clean stop: the daemon ends first, then /data is unmounted so
            # the host's fsck finds a clean journal.
            self.sh("kill $(pidof notewelld) 2>/dev/null; "
                    "for i in $(seq 50); do pidof notewelld >/dev/null || break; sleep 0.1; done; "
                    "sync; umount /data || mount -o remount,ro /data", 20)
            self.qmp.cmd("quit")
            self.proc.wait(20)
        except (HarnessError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        if self.qmp:
            self.qmp.close()
            self.qmp = None
        try:
            self.ser.close()
        except (OSError, AttributeError):
            pass


# ------------------------------------------------------------------- helpers
def make_disk(path, populate=None, size_mb=64):
    """A fresh ext4 data disk, optionally filled from a host directory."""
    with open(path, "wb") as f:
        f.truncate(size_mb << 20)
    cmd = ["mkfs.ext4", "-q", "-F", "-L", "nwdata", "-E", "root_owner=0:0"]
    if populate:
        cmd += ["-d", populate]
    subprocess.run(cmd + [path], check=True, stdout=subprocess.DEVNULL)


def fsck(path):
    """Host-side check as init expects it: replay the journal and repair
    (-p), then a read-only forced pass that must find nothing."""
    p = subprocess.run(["e2fsck", "-f", "-p", path], capture_output=True, text=True)
    n = subprocess.run(["e2fsck", "-f", "-n", path], capture_output=True, text=True)
    return p.returncode, n.returncode, (p.stdout + p.stderr + n.stdout + n.stderr)


def disk_read(path, guest_file, host_file):
    subprocess.run(["debugfs", "-R", "dump %s %s" % (guest_file, host_file), path],
                   check=True, capture_output=True)
    if not os.path.exists(host_file):
        raise HarnessError("no %s on the data disk" % guest_file)
    with open(host_file, "rb") as f:
        return f.read()


def write_tone(path, freq=1000, secs=2.0, rate=48000):
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(secs * rate)):
            v = int(12000 * math.sin(2 * math.pi * freq * i / rate))
            frames += struct.pack("<hh", v, v)
        w.writeframes(bytes(frames))


def tone_frequency(path):
    """Dominant frequency (zero crossings of the left channel) and peak."""
    with wave.open(path, "rb") as w:
        rate, ch, sw = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if sw != 2:
        raise HarnessError("capture is %d-byte samples" % sw)
    left = struct.unpack("<%dh" % (len(data) // 2), data)[::ch]
    loud = [i for i, v in enumerate(left) if abs(v) > 1000]
    if len(loud) < rate // 4:
        return 0.0, max((abs(v) for v in left), default=0), len(left) / rate
    seg = left[loud[0]:loud[-1]]
    zc = sum(1 for a, b in zip(seg, seg[1:]) if (a < 0) != (b < 0))
    return zc / 2 / (len(seg) / rate), max(abs(v) for v in seg), len(left) / rate


class EchoServer(socketserver.ThreadingTCPServer):
    """127.0.0.1-only line echo server standing in for the sync host."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.conns = 0

        class H(socketserver.StreamRequestHandler):
            def handle(h):
                self.conns += 1
                h.wfile.write(h.rfile.readline())

        super().__init__(("127.0.0.1", 0), H)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


# ---------------------------------------------------------------------- TAP
class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=""):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, what), flush=True)
        if diag and not cond:
            for line in str(diag).splitlines()[-15:]:
                print("# " + line, flush=True)
        return cond

    def note(self, s):
        print("# " + s, flush=True)


# ----------------------------------------------------------------- scenarios
class Ctx:
    def __init__(self, args, tap, work):
        self.args, self.tap, self.work = args, tap, work

    def guest(self, name, disk, **kw):
        return Guest(self.args.img, disk, self.work, name, **kw)


def sc_boot(c):
    """Boot to ready, every module loaded, data disk mounted read-write."""
    t = c.tap
    disk = os.path.join(c.work, "boot.img")
    make_disk(disk)
    g = c.guest("boot", disk, append="notewell.daemon=0")
    try:
        g.boot()
        t.note("boot to NOTEWELL-READY: %.1f s (host wall clock)" % g.boot_time)
        t.ok(g.boot_time < 30, "boot: ready in %.1f s" % g.boot_time)
        want = g.check("cat /etc/notewell/modules").split()
        loaded = g.check("cut -d' ' -f1 /proc/modules").split()
        missing = [m for m in want if m.replace("-", "_") not in loaded]
        t.ok(not missing, "boot: all %d listed modules loaded" % len(want),
             "missing: %s" % missing)
        conf = g.check("notewelld -n --config /etc/notewell/board.conf")
        t.ok(conf == "configuration OK", "boot: the image's board.conf passes notewelld -n", conf)
        rc, out = g.sh("libcheck")
        t.ok(rc == 0 and "LIBCHECK-OK" in out,
             "boot: every firmware library loads and answers in the guest", out)
        mnt = g.check("grep ' /data ' /proc/mounts")
        t.ok(" ext4 rw" in mnt, "boot: /data is ext4 read-write", mnt)
        g.check("echo hello > /data/probe && sync")
        t.ok(g.check("cat /data/probe") == "hello", "boot: /data is writable")
    finally:
        g.stop()
    pr, nr, log = fsck(disk)
    t.ok(pr == 0 and nr == 0, "boot: fsck clean after a clean stop", log)


def sc_powercut_disk(c):
    """kill -9 of QEMU during fsync'd appends: fsck clean, acked data there."""
    t = c.tap
    disk = os.path.join(c.work, "cut.img")
    make_disk(disk)
    g = c.guest("cut", disk, append="notewell.daemon=0")
    try:
        g.boot()
        start = len(g.out)
        # Each ACK is printed only after the record reached the disk (sync),
        # so every ACK seen on the console must survive the cut.
        g.send("i=0; while :; do echo rec$i >> /data/burst.log; sync /data/burst.log; "
               "echo ACK $i; i=$((i+1)); done")
        g.wait_for(r"^ACK 15$", 60, start)
        g.kill9()
    except BaseException:
        g.stop()
        raise
    acked = [int(x) for x in re.findall(r"^ACK (\d+)$", g.out[start:], re.M)]
    t.note("power cut after %d acknowledged records" % len(acked))
    pr, nr, log = fsck(disk)
    t.ok(pr in (0, 1) and nr == 0,
         "powercut: host fsck clean after kill -9 (replay rc %d, check rc %d)" % (pr, nr), log)
    g2 = c.guest("cut2", disk, append="notewell.daemon=0")
    try:
        g2.boot()
        got = g2.check("cat /data/burst.log").split()
        lost = ["rec%d" % i for i in acked if "rec%d" % i not in got]
        t.ok(not lost, "powercut: all %d acknowledged records present after reboot" % len(acked),
             "lost: %s" % lost[:10])
    finally:
        g2.stop()


def sc_usb(c):
    """usb-kbd through real libusb: detach usbhid, read reports typed over
    QMP; then unplug and replug it."""
    t = c.tap
    disk = os.path.join(c.work, "usb.img")
    make_disk(disk)
    g = c.guest("usb", disk, append="notewell.daemon=0")
    text = "nw-Badge:42\n"
    try:
        g.boot()
        # xHCI enumerates after init's READY; poll instead of racing it.
        ids = g.check("for i in $(seq 100); do grep -qs 0627 /sys/bus/usb/devices/*/idVendor && break; sleep 0.1; done; "
                      "cat /sys/bus/usb/devices/*/idVendor /sys/bus/usb/devices/*/idProduct 2>/dev/null | tr '\\n' ' '")
        t.ok("0627" in ids and "0001" in ids, "usb: usb-kbd enumerated in the guest", ids)
        start = len(g.out)
        # In the background so the shell can look at the driver binding
        # while the probe holds the interface.
        g.send("(usbprobe %s 200 3000; echo USBPROBE-RC $?) &" % KBD_ID)
        g.wait_for(r"USBPROBE-CLAIMED", 30, start)
        drv = g.check("ls /sys/bus/usb/drivers/usbhid/ | grep -c ':' || true")
        g.qmp.type_text(text)
        g.wait_for(r"USBPROBE-RC \d+$", 60, start)
        reports = [bytes.fromhex(r) for r in
                   re.findall(r"USBPROBE-REPORT ((?:[0-9a-f]{2} ?)+)$", g.out[start:], re.M)]
        got = decode_boot_reports(reports)
        t.ok(got == text, "usb: libusb read the typed text from boot reports",
             "typed %r, decoded %r from %d reports" % (text, got, len(reports)))
        t.ok(drv.strip() == "0", "usb: usbhid was detached while claimed", drv)
        back = g.check("sleep 0.5; ls /sys/bus/usb/drivers/usbhid/ | grep -c ':' || true")
        t.ok(back.strip() != "0", "usb: usbhid re-attached after release", back)
        start = len(g.out)
        g.send("(usbprobe --hotplug %s 15000; echo USBPROBE-RC $?) &" % KBD_ID)
        g.wait_for(r"USBPROBE-HOTPLUG-ARMED", 30, start)
        g.qmp.cmd("device_del", id="kbd0")
        gone = g.check("for i in $(seq 50); do grep -qs 0627 /sys/bus/usb/devices/*/idVendor || { echo gone; break; }; sleep 0.1; done")
        t.ok("gone" in gone.split(), "usb: device_del removes the keyboard from the guest", gone)
        g.qmp.cmd("device_add", driver="usb-kbd", id="kbd0", bus="xhci.0")
        back = g.check("for i in $(seq 50); do grep -qs 0627 /sys/bus/usb/devices/*/idVendor && { echo back; break; }; sleep 0.1; done")
        t.ok("back" in back.split(), "usb: device_add brings it back", back)
        rc = g.wait_for(r"USBPROBE-RC (\d+)$", 30, start)
        t.ok(rc.group(1) == "0" and "USBPROBE-LEFT" in g.out[start:]
             and "USBPROBE-ARRIVED" in g.out[start:],
             "usb: libusb hotplug callbacks saw the unplug and the replug",
             g.out[start:][-400:])
        start = len(g.out)
        g.send("usbprobe %s 200 2000; echo USBPROBE-RC $?" % KBD_ID)
        g.wait_for(r"USBPROBE-CLAIMED", 30, start)
        g.qmp.type_text("x1\n")
        g.wait_for(r"USBPROBE-RC \d+$", 60, start)
        reports = [bytes.fromhex(r) for r in
                   re.findall(r"USBPROBE-REPORT ((?:[0-9a-f]{2} ?)+)$", g.out[start:], re.M)]
        got = decode_boot_reports(reports)
        t.ok(got == "x1\n", "usb: replugged keyboard readable through libusb", repr(got))
    finally:
        g.stop()


def sc_audio(c):
    """snd-aloop: aplay a tone into the loopback, arecord it from the other
    side, analyse the capture on the host."""
    t = c.tap
    pop = os.path.join(c.work, "audio-pop")
    os.makedirs(pop, exist_ok=True)
    write_tone(os.path.join(pop, "tone.wav"), 1000, 2.0)
    disk = os.path.join(c.work, "audio.img")
    make_disk(disk, pop)
    g = c.guest("audio", disk, append="notewell.daemon=0")
    try:
        g.boot()
        cards = g.check("cat /proc/asound/cards")
        t.ok("Loopback" in cards, "audio: snd-aloop card present", cards)
        rc, out = g.sh("arecord -q -D hw:Loopback,1,0 -f S16_LE -r 48000 -c 2 -d 3 /data/cap.wav & "
                       "sleep 0.3; aplay -q -D hw:Loopback,0,0 /data/tone.wav; wait; sync", 60)
        t.ok(rc == 0, "audio: aplay and arecord ran", out)
    finally:
        g.stop()
    cap = os.path.join(c.work, "cap.wav")
    try:
        disk_read(disk, "/cap.wav", cap)
        f, peak, dur = tone_frequency(cap)
    except (HarnessError, subprocess.CalledProcessError, wave.Error, EOFError) as e:
        t.ok(False, "audio: capture analysed", e)
        return
    t.note("captured %.2f s, tone %.0f Hz, peak %d" % (dur, f, peak))
    t.ok(abs(f - 1000) < 20 and peak > 6000,
         "audio: the 1000 Hz tone came out of the loopback (%.0f Hz)" % f)


def sc_net(c):
    """guestfwd reaches only the host's 127.0.0.1 server; nothing else."""
    t = c.tap
    srv = EchoServer()
    disk = os.path.join(c.work, "net.img")
    make_disk(disk)
    g = c.guest("net", disk, append="notewell.daemon=0", sync_port=srv.port)
    try:
        g.boot()
        rc, out = g.sh("echo hello-notewell | nc -w 5 %s" % SYNC_GUEST.replace(":", " "), 30)
        t.ok("hello-notewell" in out, "net: guest reaches the host server through guestfwd",
             "rc %d: %s" % (rc, out))
        before = srv.conns
        # Without restrict=on, 10.0.2.2:PORT would be the host's loopback.
        rc, out = g.sh("echo leak | nc -w 3 10.0.2.2 %d" % srv.port, 30)
        t.ok("leak" not in out and srv.conns == before,
             "net: host loopback via the gateway 10.0.2.2 is refused", out)
        rc, out = g.sh("echo leak | nc -w 3 192.0.2.1 80", 30)
        t.ok("leak" not in out, "net: outside addresses are unreachable", out)
        rc, out = g.sh("echo leak | nc -w 3 10.0.2.100 80", 30)
        t.ok("leak" not in out and srv.conns == before,
             "net: other ports on the forward address are refused", out)
    finally:
        g.stop()
        srv.shutdown()
        srv.server_close()


def read_ppm(path):
    """(width, height, rgb bytes) of a binary PPM as QMP screendump writes."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise HarnessError("%s is not a binary PPM" % path)
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():m.end() + w * h * 3]


def screendump(g, path, timeout, ok):
    """Screendumps until ok(w, h, rgb) holds (the fbdev emulation flushes
    damage lazily) or timeout; returns the last (w, h, rgb)."""
    end = time.monotonic() + timeout
    while True:
        g.qmp.cmd("screendump", filename=path)
        shot = read_ppm(path)
        if ok(*shot) or time.monotonic() > end:
            return shot
        time.sleep(0.3)


def sc_screen(c):
    """/dev/fb0 (virtio-gpu, fbdev emulation) reaches QMP screendump."""
    t = c.tap
    disk = os.path.join(c.work, "screen.img")
    make_disk(disk)
    g = c.guest("screen", disk, append="notewell.daemon=0")

    def px(w, rgb, x, y):
        return rgb[(y * w + x) * 3:(y * w + x) * 3 + 3]

    def half_white(w, h, rgb):
        return (px(w, rgb, 10, 10) == b"\xff\xff\xff"
                and px(w, rgb, w - 10, h // 2 - 10) == b"\xff\xff\xff"
                and px(w, rgb, 10, h - 10) == b"\x00\x00\x00")
    try:
        g.boot()
        geo = g.check("cat /sys/class/graphics/fb0/virtual_size /sys/class/graphics/fb0/bits_per_pixel /sys/class/graphics/fb0/stride")
        t.ok(len(geo.split()) == 3, "screen: /dev/fb0 present (%s)" % " ".join(geo.split()), geo)
        size, bpp, stride = geo.split()
        rows = int(size.split(",")[1])
        # Top half white, bottom half black.
        g.check("dd if=/dev/zero bs=%s count=%d 2>/dev/null | tr '\\000' '\\377' > /dev/fb0 && "
                "dd if=/dev/zero bs=%s count=%d seek=%d of=/dev/fb0 2>/dev/null"
                % (stride, rows // 2, stride, rows - rows // 2, rows // 2))
        w, h, rgb = screendump(g, os.path.join(c.work, "screen.ppm"), 10, half_white)
        t.ok(half_white(w, h, rgb), "screen: what the guest drew is in the QMP screendump (%dx%d)" % (w, h))
    finally:
        g.stop()


# --- daemon scenarios: the real notewelld/notewellctl in the guest ----------
# init starts `notewelld --board qemu-virt --data /data --config
# /etc/notewell/board.conf` (board/qemu-virt/board.conf: ALSA capture from
# hw:Loopback,1,0 at 48 kHz mono, the usb-kbd as scanner, display on
# /dev/fb0) with its stderr on the console, and prints NOTEWELL-READY once
# `notewellctl --data /data status` answers. What the scenarios rely on:
#  - `notewellctl --data /data status --json`, `session start [--uid U]`,
#    `session stop`, `bluesheet` (a header line, then "badge<TAB>count"),
#    `events`, `pause`, `resume`, `notice --json`;
#  - the daemon logs "notewelld: ack ok: ..." only after a scan is committed
#    (synchronous=FULL): that console line is the acknowledgement;
#  - the journal is /data/journal.db (WAL); recordings are
#    /data/recordings/<uid>.partN.opus with state and sha256 in its
#    recordings table.
JOURNAL = "/journal.db"
ACK = re.compile(r"notewelld: ack ok: ")
CTL = "notewellctl --data /data "
# The image's capture format (board.conf): what the test WAVs are made in.
REC_RATE = 48000


def daemon_guest(c, name, disk, **kw):
    g = c.guest(name, disk, **kw)
    g.boot()
    c.tap.note("%s: boot with daemon to ready %.1f s" % (name, g.boot_time))
    return g


def ctl_json(g, args, timeout=30):
    return json.loads(g.check(CTL + args + " --json", timeout))


def bluesheet(g):
    """{badge: count} of the current session from `notewellctl bluesheet`."""
    out = g.check(CTL + "bluesheet").splitlines()
    if not out or not re.match(r"session \d+: \d+ badges$", out[0]):
        raise HarnessError("bluesheet header: %r" % out[:1])
    sheet = {}
    for line in out[1:]:
        badge, count = line.split("\t")
        sheet[badge] = int(count)
    return sheet


def wait_acks(g, start, n, timeout=30):
    """Waits until n scan acknowledgements are on the console after start."""
    end = time.monotonic() + timeout
    with g.cond:
        while len(ACK.findall(g.out, start)) < n:
            if time.monotonic() > end:
                raise HarnessError("%d of %d scans acknowledged after %ds; console tail: %r"
                                   % (len(ACK.findall(g.out, start)), n, timeout, g.out[-300:]))
            g.cond.wait(0.5)
    return len(ACK.findall(g.out, start))


def scan(g, code):
    """Types one code on the scanner and waits for the daemon's answer (ack
    ok or reject) and then for its loop to be free again (a control-socket
    round trip: the screen redraw after the scan is done). People scan one
    after another; under TCG a full redraw of the room screen takes about
    0.5 s, during which the daemon does not poll the keyboard and QEMU's
    usb-kbd drops what does not fit its 16-event queue (docs/qemu.md)."""
    start = len(g.out)
    g.qmp.type_text(code + "\n")
    m = g.wait_for(r"notewelld: ack (ok|reject): ", 30, start)
    g.check(CTL + "status")
    return m.group(1) == "ok"


def write_mono_tone(path, freq, secs, rate=REC_RATE):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
                               for i in range(int(secs * rate))))


def journal_copy(c, disk, tag):
    """Copies the journal (and its WAL, if any) out of the ext4 image
    without mounting it; returns the host path."""
    d = os.path.join(c.work, tag + "-journal")
    os.makedirs(d, exist_ok=True)
    host = os.path.join(d, "journal.db")
    disk_read(disk, JOURNAL, host)
    try:
        disk_read(disk, JOURNAL + "-wal", host + "-wal")
    except (HarnessError, subprocess.CalledProcessError):
        pass  # checkpointed: no WAL left
    return host


def sql(db, query):
    """Rows of a query against a host copy of the journal (sqlite3 CLI)."""
    r = subprocess.run(["sqlite3", "-separator", "\t", db, query],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise HarnessError("sqlite3 %s: %s" % (query, r.stderr.strip()))
    return [line.split("\t") for line in r.stdout.splitlines()]


def opus_check(path):
    """(opusinfo passes, playback seconds, opusinfo output)."""
    r = subprocess.run(["opusinfo", path], capture_output=True, text=True)
    out = r.stdout + r.stderr
    m = re.search(r"Playback length:\s*(?:(\d+)m:)?([\d.]+)s", out)
    secs = (int(m.group(1) or 0) * 60 + float(m.group(2))) if m else 0.0
    ok = r.returncode == 0 and m is not None and "WARNING" not in out
    return ok, secs, out


def sha256_file(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sc_scan(c):
    """Badges typed on the usb-kbd reach notewelld through libusb, are
    committed and listed by notewellctl bluesheet; unplug and replug the
    scanner mid-session."""
    t = c.tap
    disk = os.path.join(c.work, "scan.img")
    make_disk(disk)
    g = daemon_guest(c, "scan", disk)
    try:
        st = ctl_json(g, "status")
        t.ok(st["scanners"] == 1, "scan: the daemon holds the usb-kbd as a scanner", st)
        drv = g.check("ls /sys/bus/usb/drivers/usbhid/ | grep -c ':' || true")
        t.ok(drv.strip() == "0", "scan: usbhid detached from the scanner", drv)
        g.check(CTL + "session start --uid qemu-scan --title 'QEMU scan'")
        first = ["NW0001", "NW0002", "NW0003", "NW0001"]
        acks = [scan(g, b) for b in first]
        t.ok(all(acks), "scan: %d typed badges acknowledged" % len(first),
             "acks %s; key events usb-kbd dropped: %d" % (acks, g.keys_dropped()))
        at = len(g.out)
        g.qmp.cmd("device_del", id="kbd0")
        g.wait_for(r"notewelld: scanner \S+ detached", 30, at)
        st = ctl_json(g, "status")
        t.ok(st["scanners"] == 0, "scan: unplug seen by the daemon (0 scanners)", st)
        at = len(g.out)
        g.qmp.cmd("device_add", driver="usb-kbd", id="kbd0", bus="xhci.0")
        g.wait_for(r"notewelld: scanner \S+ attached", 30, at)
        second = ["NW0004", "NW0005"]
        acks = [scan(g, b) for b in second]
        t.ok(all(acks), "scan: badges typed on the replugged scanner acknowledged",
             "acks %s; key events usb-kbd dropped: %d" % (acks, g.keys_dropped()))
        # Two badges back to back at a scanner's speed (10 ms a key event,
        # no pause for the screen): the daemon keeps reads queued on the
        # endpoint, so keys arriving during a redraw are not lost.
        burst = ["NW0006", "NW0007", "NW0008", "NW0009"]
        at = len(g.out)
        g.qmp.type_text("".join(b + "\n" for b in burst), delay=0.012)
        acks = 0
        try:
            m = g.wait_for(r"notewelld: ack (ok|reject): ", 30, at)
            acks = 1
            g.wait_for(r"notewelld: ack (ok|reject): ", 30, m.end())
            acks = 2
        except HarnessError:
            pass  # a lost Enter merges the two: judged on the bluesheet
        g.check(CTL + "status")
        bs = bluesheet(g)
        t.ok(all(bs.get(b) == 1 for b in burst),
             "scan: two badges typed back to back at scanner speed both arrive",
             "bluesheet %s; %d acks; key events usb-kbd dropped: %d"
             % (bs, acks, g.keys_dropped()))
        second = second + burst
        # Junk is refused, not stored (shorter than badge_min_len 4).
        t.ok(not scan(g, "ab"), "scan: a too-short code is rejected")
        sheet = bluesheet(g)
        t.ok({b: sheet.get(b) for b in first[:3]} == {"NW0001": 2, "NW0002": 1, "NW0003": 1},
             "scan: badges typed before the replug are on the bluesheet (NW0001 twice)", sheet)
        t.ok(all(sheet.get(b) == 1 for b in second),
             "scan: badges typed after the replug are on the bluesheet", sheet)
        t.ok(set(sheet) == set(first + second), "scan: nothing else on the bluesheet", sheet)
        ev = g.check(CTL + "events --limit 100")
        t.ok("scanner-detached" in ev and "scanner-attached" in ev and "scan-rejected" in ev,
             "scan: unplug, replug and the rejected code are in the audit log", ev[-600:])
        g.check(CTL + "session stop")
    finally:
        g.stop()
    db = journal_copy(c, disk, "scan")
    rows = sql(db, "SELECT badge, source, notice_id IS NOT NULL FROM scans ORDER BY id")
    t.ok([r[0] for r in rows] == first + second and all(r[1].startswith("usb:0627:0001") and r[2] == "1"
                                                       for r in rows),
         "scan: the journal holds the scans in order, from the USB scanner, under a notice", rows)


def sc_record(c):
    """The daemon captures a WAV played into snd-aloop, through ALSA, into
    Ogg Opus during a manual session; the host checks the file."""
    t = c.tap
    pop = os.path.join(c.work, "rec-pop")
    os.makedirs(pop, exist_ok=True)
    played = 4.0
    write_mono_tone(os.path.join(pop, "tone.wav"), 440, played)
    disk = os.path.join(c.work, "rec.img")
    make_disk(disk, pop)
    g = daemon_guest(c, "record", disk)
    try:
        s = ctl_json(g, "session start --uid qemu-rec --title 'QEMU record'")
        t.ok(s["session"]["uid"] == "qemu-rec", "record: manual session started", s)
        st = ctl_json(g, "status")
        t.ok(st["state"] == "recording" and st["audio_source"] == "alsa:hw:Loopback,1,0",
             "record: recording from alsa:hw:Loopback,1,0", st)
        g.check("aplay -q -D hw:Loopback,0,0 /data/tone.wav", 60)
        level = ctl_json(g, "status")["level"]
        g.check(CTL + "pause")
        t.ok(ctl_json(g, "status")["state"] == "paused", "record: pause")
        g.check(CTL + "resume")
        t.ok(ctl_json(g, "status")["state"] == "recording", "record: resume")
        g.check(CTL + "session stop")
        t.note("record: level right after the tone: %s" % level)
    finally:
        g.stop()
    db = journal_copy(c, disk, "rec")
    rows = sql(db, "SELECT id, path, state, sha256, duration_ns FROM recordings")
    t.ok(len(rows) == 1 and rows[0][1] == "recordings/qemu-rec.part1.opus" and rows[0][2] == "finished",
         "record: the journal has one finished recording, recordings/qemu-rec.part1.opus", rows)
    if len(rows) != 1:
        return
    rid, rel, _, sha, dur_ns = rows[0]
    marks = sql(db, "SELECT kind FROM recording_marks WHERE recording_id = %s ORDER BY id" % rid)
    t.ok([m[0] for m in marks if m[0] in ("pause", "resume")] == ["pause", "resume"],
         "record: pause and resume are marked in the recording", marks)
    host = os.path.join(c.work, "rec.opus")
    disk_read(disk, "/" + rel, host)
    t.ok(sha256_file(host) == sha, "record: the file's SHA-256 is the journal's", sha)
    ok, secs, info = opus_check(host)
    t.ok(ok, "record: opusinfo accepts the recording", info)
    # The session ran from before the tone to after it: at least the tone,
    # and not much more (start, pause/resume and stop take a few seconds).
    t.ok(played <= secs <= played + 8, "record: duration %.1f s covers the %.0f s played" % (secs, played), info)
    t.ok(abs(secs - int(dur_ns) / 1e9) < 0.5, "record: journal duration %.2f s matches the file" % (int(dur_ns) / 1e9))
    wav = os.path.join(c.work, "rec.wav")
    subprocess.run(["opusdec", "--quiet", "--rate", str(REC_RATE), host, wav], check=True,
                   capture_output=True)
    f, peak, _ = tone_frequency(wav)
    t.ok(abs(f - 440) < 10 and peak > 4000,
         "record: the 440 Hz tone played in the guest is in the recording (%.0f Hz, peak %d)" % (f, peak))


class SyncHost:
    """The host tool on 127.0.0.1: a fresh store whose setup codes send
    boxes to https://10.0.2.100:8443 (the guestfwd address), served on a
    free loopback port."""

    def __init__(self, c):
        self.bin = os.path.join(TOP, c.args.host_bin, "notewell")
        if not os.access(self.bin, os.X_OK):
            raise HarnessError("host tool %s not built (make O=%s all)" % (self.bin, c.args.host_bin))
        self.store = os.path.join(c.work, "host-store")
        self.url = "https://%s" % SYNC_GUEST
        self.run("init", "--url", self.url)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log_path = os.path.join(c.work, "serve.log")
        self.log = open(self.log_path, "w")
        # serve refuses to run as root: as root it becomes nobody once
        # listening, and nobody must reach the store under the work dir.
        serve_as = []
        if os.geteuid() == 0:
            os.chmod(c.work, 0o755)
            serve_as = ["--user", "nobody"]
        self.proc = subprocess.Popen([self.bin, "--store", self.store, "-v", "serve", "--listen",
                                      "127.0.0.1:%d" % self.port] + serve_as, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 20
        while "listening on https://127.0.0.1:%d" % self.port not in self.log_text():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.close()
                raise HarnessError("notewell serve did not come up: %s" % self.log_text()[-500:])
            time.sleep(0.1)

    def run(self, *args):
        r = subprocess.run([self.bin, "--store", self.store] + list(args),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("notewell %s: %s" % (" ".join(args), (r.stdout + r.stderr)[-500:]))
        return r.stdout

    def enroll(self, room):
        out = self.run("enroll", "--room", room, "--url", self.url)
        m = re.search(r"^setup code  (NWSETUP:\S+)$", out, re.M)
        if not m:
            raise HarnessError("no setup code in: %s" % out[-300:])
        return m.group(1)

    def sql(self, query):
        return sql(os.path.join(self.store, "host.db"), query)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        self.log.close()


def wait_synced(g, timeout=60):
    """Kicks the box's sync and waits until its backlog is empty; returns
    the last status["sync"]."""
    g.check(CTL + "sync")
    end = time.monotonic() + timeout
    while True:
        sy = ctl_json(g, "status")["sync"]
        if sy["backlog"]["records"] == 0 and sy["backlog"]["bytes"] == 0 and sy.get("last_ok"):
            return sy
        if time.monotonic() > end:
            return sy
        time.sleep(0.5)


def sc_sync(c):
    """Enrol by typing the setup code on the scanner; sessions with scans and
    recordings (one cut by kill -9) reach the host's `notewell serve` only
    through the guestfwd to 127.0.0.1; the host store holds exactly what the
    box journalled, byte for byte."""
    t = c.tap
    host = SyncHost(c)
    pop = os.path.join(c.work, "sync-pop")
    os.makedirs(pop, exist_ok=True)
    write_mono_tone(os.path.join(pop, "tone.wav"), 440, 2.0)
    write_mono_tone(os.path.join(pop, "long.wav"), 440, 30.0)
    disk = os.path.join(c.work, "sync.img")
    make_disk(disk, pop)
    g = g2 = None
    try:
        code = host.enroll("qemu-room")
        token = re.search(r";t=([0-9a-f]+);", code).group(1)
        g = daemon_guest(c, "sync", disk, sync_port=host.port)
        t.ok(ctl_json(g, "status")["sync"]["enrolled"] is False, "sync: box not enrolled before the setup code")
        t0 = time.monotonic()
        g.qmp.type_text(code + "\n")
        t.note("sync: setup code (%d characters) typed in %.1f s" % (len(code), time.monotonic() - t0))
        end = time.monotonic() + 60
        while True:
            sy = ctl_json(g, "status")["sync"]
            if sy["enrolled"] or sy.get("enroll_error") or time.monotonic() > end:
                break
            time.sleep(0.5)
        t.ok(sy["enrolled"] and sy["room"] == "qemu-room" and sy["host"] == host.url,
             "sync: the box enrolled from the setup code typed on the scanner",
             "%s; key events usb-kbd dropped: %d" % (sy, g.keys_dropped()))
        box = ctl_json(g, "status")["device_id"]
        t.ok(host.sql("SELECT id, room FROM devices") == [[box, "qemu-room"]],
             "sync: the host bound the box to its room", host.sql("SELECT id, room FROM devices"))
        g.check(CTL + "session start --uid qemu-sync-1 --title 'QEMU sync'")
        for b in ["SY0001", "SY0002"]:
            scan(g, b)
        g.check("aplay -q -D hw:Loopback,0,0 /data/tone.wav", 60)
        g.check(CTL + "session stop")
        sy = wait_synced(g)
        t.ok(sy["backlog"] == {"records": 0, "bytes": 0, "oldest_age_s": 0} and not sy["last_error"],
             "sync: backlog empty after a sync through the forward", sy)
        # A second session cut by the power: it continues after the reboot
        # and syncs with the recovered part.
        g.check(CTL + "session start --uid qemu-sync-2")
        scan(g, "SY0003")
        g.send("aplay -q -D hw:Loopback,0,0 /data/long.wav &")
        for _ in range(100):
            if ctl_json(g, "status")["recording_seconds"] >= 2.0:
                break
            time.sleep(0.2)
        scan(g, "SY0004")
        g.kill9()
        g2 = daemon_guest(c, "sync2", disk, sync_port=host.port)
        scan(g2, "SY0005")
        g2.check(CTL + "session stop")
        sy = wait_synced(g2)
        t.ok(sy["backlog"]["records"] == 0 and sy["backlog"]["bytes"] == 0 and not sy["last_error"],
             "sync: after a power cut and reboot, syncing completes", sy)
        pub = ctl_json(g2, "status")["sync"]["public_key"]
        console = g.out + g2.out
    finally:
        for x in (g, g2):
            if x:
                x.stop()
        host.close()
    db = journal_copy(c, disk, "sync")
    box_scans = sql(db, "SELECT nonce, badge FROM scans ORDER BY nonce")
    host_scans = host.sql("SELECT nonce, badge_id FROM scans WHERE device_id = '%s' ORDER BY nonce" % box)
    t.ok(box_scans == host_scans and [b for _, b in sorted(box_scans, key=lambda r: r[1])]
         == ["SY0001", "SY0002", "SY0003", "SY0004", "SY0005"],
         "sync: the host has every scan of the box (nonce and badge), and the setup code is no scan",
         "box %s\nhost %s" % (box_scans, host_scans))
    recs = sql(db, "SELECT path, state, sha256 FROM recordings ORDER BY id")
    t.ok([r[1] for r in recs] == ["finished", "recovered", "finished"],
         "sync: three recordings on the box (session 2's first part recovered)", recs)
    hrecs = {r[0]: r[1] for r in host.sql("SELECT sha256, path FROM recordings WHERE device_id = '%s'" % box)}
    same = []
    for path, _, sha in recs:
        local = os.path.join(c.work, "sync-" + os.path.basename(path))
        disk_read(disk, "/" + path, local)
        hpath = os.path.join(host.store, hrecs.get(sha, "missing"))
        same.append(sha256_file(local) == sha and os.path.exists(hpath) and sha256_file(hpath) == sha)
    t.ok(recs and all(same) and len(hrecs) == len(recs),
         "sync: every recording is on the host byte for byte (SHA-256 of box file, journal and host file)",
         "%s\n%s" % (same, hrecs))
    acked = sql(db, "SELECT kind, acked_sha256 FROM sync_state")
    t.ok(acked and all(a[1] and re.fullmatch(r"[0-9a-f]{64}", a[1]) for a in acked),
         "sync: every record the box marks synced carries the host's SHA-256 (%d)" % len(acked), acked[:5])
    mans = host.sql("SELECT session_uid, path FROM box_manifests WHERE device_id = '%s' ORDER BY session_uid" % box)
    ok = [m[0] for m in mans] == ["qemu-sync-1", "qemu-sync-2"]
    for _, path in mans:
        r = subprocess.run(["minisign", "-V", "-P", pub, "-m", os.path.join(host.store, path)],
                           capture_output=True, text=True)
        ok = ok and r.returncode == 0
    t.ok(ok, "sync: both sessions' manifests on the host verify with the box's minisign key", mans)
    t.ok(token not in console and token not in host.log_text(),
         "sync: the setup code's token is in neither the box's console nor the host's log")
    # How each went up (docs/sync.md): the finished ones signed with the
    # digests their recorder kept, the recovered part hashed by the box.
    how = dict(re.findall(r"recording (\S+) \(\d+ bytes\) confirmed by the host \(([^)]*)\)",
                          console))
    want = {os.path.basename(p): ("hashed to send" if st == "recovered" else
                                  "signed with the recorder's digests") for p, st, _ in recs}
    t.ok(how == want, "sync: recorded files are signed with the recorder's digests, the recovered one hashed",
         "%s\n%s" % (how, want))


def sc_powercut_daemon(c):
    """kill -9 of QEMU mid-recording and mid-scan-burst; boot again on the
    same disk: journal intact, acknowledged scans there, recording recovered."""
    t = c.tap
    pop = os.path.join(c.work, "pc-pop")
    os.makedirs(pop, exist_ok=True)
    write_mono_tone(os.path.join(pop, "tone.wav"), 440, 30.0)
    disk = os.path.join(c.work, "pc.img")
    make_disk(disk, pop)
    g = daemon_guest(c, "pcut", disk)
    badges = ["PC%04d" % i for i in range(10)]
    try:
        g.check(CTL + "session start --uid qemu-pcut")
        g.send("aplay -q -D hw:Loopback,0,0 /data/tone.wav &")
        # Let the recorder get some audio durably on disk (it fsyncs every
        # 500 ms of audio) before the cut.
        for _ in range(100):
            rec_s = ctl_json(g, "status")["recording_seconds"]
            if rec_s >= 2.0:
                break
            time.sleep(0.2)
        start = len(g.out)
        # A queue of people scanning; the cut lands right after the last
        # full badge is typed (its commit may or may not be done) while the
        # next one is half typed.
        for b in badges[:-2]:
            scan(g, b)
        # Audio the recorder had been given just before the cut.
        rec_cut = ctl_json(g, "status")["recording_seconds"]
        g.qmp.type_text(badges[-2] + "\n")
        g.qmp.type_text(badges[-1][:3])
        g.kill9()
    except BaseException:
        g.stop()
        raise
    n_acked = len(ACK.findall(g.out, start))
    acked = badges[:n_acked]
    t.note("pcut: %d of %d typed scans acknowledged before the cut (recording %.1f s)"
           % (n_acked, len(badges) - 1, rec_s))
    pr, nr, log = fsck(disk)
    t.ok(pr in (0, 1) and nr == 0, "pcut: fsck clean after kill -9", log)
    db = journal_copy(c, disk, "pc-cut")
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check;"], capture_output=True, text=True)
    t.ok(r.stdout.strip() == "ok", "pcut: journal passes PRAGMA integrity_check", r.stdout + r.stderr)
    stored = [x[0] for x in sql(db, "SELECT badge FROM scans ORDER BY id")]
    t.ok(stored[:n_acked] == acked,
         "pcut: all %d acknowledged scans are in the journal after the cut" % n_acked, stored)
    t.ok(all(b in badges[:-1] for b in stored), "pcut: the half-typed badge was not stored",
         "%s; key events usb-kbd dropped: %d" % (stored, g.keys_dropped()))
    rows = sql(db, "SELECT state FROM recordings")
    t.ok(rows == [["recording"]], "pcut: the journal says a recording was running at the cut", rows)
    g2 = daemon_guest(c, "pcut2", disk)
    try:
        sheet = bluesheet(g2)
        t.ok(all(b in sheet for b in acked), "pcut: after reboot the bluesheet lists every acknowledged scan", sheet)
        st = ctl_json(g2, "status")
        t.ok(st["session"] and st["session"]["uid"] == "qemu-pcut" and st["state"] == "recording",
             "pcut: the session goes on after the reboot, recording a new part", st)
        g2.check(CTL + "session stop")
    finally:
        g2.stop()
    db = journal_copy(c, disk, "pc-after")
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check;"], capture_output=True, text=True)
    t.ok(r.stdout.strip() == "ok", "pcut: journal still passes integrity_check after recovery", r.stdout + r.stderr)
    rows = sql(db, "SELECT path, state, sha256 FROM recordings ORDER BY part")
    t.ok([x[1] for x in rows] == ["recovered", "finished"],
         "pcut: part 1 recovered, part 2 finished", rows)
    if not rows:
        return
    host = os.path.join(c.work, "pc.opus")
    disk_read(disk, "/" + rows[0][0], host)
    ok, secs, info = opus_check(host)
    t.ok(ok, "pcut: recovered recording passes opusinfo (%.1f s kept)" % secs, info)
    # recorder.h's crash contract: the file on disk is at most ~0.7 s of
    # audio behind what the recorder was given.
    t.ok(secs >= rec_cut - 1.0, "pcut: the recovered part keeps the audio recorded before the cut "
         "(%.1f s of %.1f s)" % (secs, rec_cut))
    t.ok(sha256_file(host) == rows[0][2], "pcut: recovered file's SHA-256 is the journal's", rows[0])
    wav = os.path.join(c.work, "pc.wav")
    subprocess.run(["opusdec", "--quiet", "--rate", str(REC_RATE), host, wav], check=True,
                   capture_output=True)
    f, peak, _ = tone_frequency(wav)
    t.ok(abs(f - 440) < 10, "pcut: the recovered part holds the tone played (%.0f Hz)" % f)


def sc_screen_qr(c):
    """The room screen on the framebuffer: the notice QR code in a QMP
    screendump decodes to the notice URL the daemon reports."""
    t = c.tap
    disk = os.path.join(c.work, "qr.img")
    make_disk(disk)
    g = daemon_guest(c, "screenqr", disk)
    shot = os.path.join(c.work, "qr.ppm")
    try:
        want = ctl_json(g, "notice")["qr_url"]
        t.ok(want.startswith("https://") and "#v=" in want, "screenqr: notice in force, QR URL %s" % want)
        found = ""
        for _ in range(40):
            g.qmp.cmd("screendump", filename=shot)
            r = subprocess.run(["zbarimg", "-q", "--raw", shot], capture_output=True, text=True)
            found = r.stdout.strip()
            if found:
                break
            time.sleep(0.25)
        t.ok(found == want, "screenqr: the QR on the framebuffer decodes to the notice URL", found)
    finally:
        g.stop()


INFRA = [("boot", sc_boot), ("powercut-disk", sc_powercut_disk), ("usb", sc_usb),
         ("audio", sc_audio), ("net", sc_net), ("screen", sc_screen)]
DAEMON = [("scan", sc_scan), ("record", sc_record), ("sync", sc_sync),
          ("powercut", sc_powercut_daemon), ("screenqr", sc_screen_qr)]


def preflight():
    """QEMU must be able to run here; a missing piece is a failure, not a skip."""
    missing = [b for b in ("qemu-system-aarch64", "mkfs.ext4", "e2fsck", "debugfs",
                           "socat", "sqlite3", "opusinfo", "opusdec", "zbarimg", "minisign")
               if shutil.which(b) is None]
    return missing


def cmd_test(a):
    tap = Tap()
    for f in ("Image", "initramfs.cpio"):
        if not os.path.exists(os.path.join(a.img, f)):
            tap.ok(False, "image: %s/%s exists (run make image)" % (a.img, f))
            print("1..%d" % tap.n)
            return 1
    missing = preflight()
    if missing:
        tap.ok(False, "qemu: tools present", "missing: %s" % missing)
        print("1..%d" % tap.n)
        return 1
    work = tempfile.mkdtemp(prefix="nwqemu.")
    tap.note("work dir (serial/qemu logs, disks): %s" % work)
    c = Ctx(a, tap, work)
    scen = INFRA + DAEMON
    if a.only:
        want = a.only.split(",")
        unknown = [w for w in want if w not in [s[0] for s in scen]]
        if unknown:
            tap.ok(False, "--only names known scenarios", "unknown: %s" % unknown)
        scen = [s for s in scen if s[0] in want]
    for name, fn in scen:
        t0 = time.monotonic()
        try:
            fn(c)
        except (HarnessError, subprocess.CalledProcessError, OSError) as e:
            tap.ok(False, "%s: scenario ran to the end" % name, e)
        tap.note("%s: %.1f s" % (name, time.monotonic() - t0))
    print("1..%d" % tap.n)
    if tap.failed == 0 and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        tap.note("kept %s" % work)
    return 1 if tap.failed else 0


def cmd_run(a):
    g = Guest(a.img, a.disk, a.img, "run", append=a.append, sync_port=a.sync_port)
    qmp = os.path.join(a.img, "qmp.sock")
    argv = g.argv(None, qmp)
    print("qemu-run: serial console here (Ctrl-A X quits); QMP at %s;\n"
          "  type on the usb-kbd: tests/qemu/harness.py type --qmp %s 'NW0001\\n'"
          % (qmp, qmp), file=sys.stderr)
    r = subprocess.run(["e2fsck", "-p", a.disk])
    if r.returncode > 1:
        print("qemu-run: e2fsck %s exited %d" % (a.disk, r.returncode), file=sys.stderr)
    os.execvp(argv[0], argv)


def cmd_type(a):
    q = Qmp(a.qmp)
    q.type_text(a.text.encode().decode("unicode_escape"))
    q.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("test")
    t.add_argument("--img", default="build-image")
    t.add_argument("--only", help="comma-separated scenario names")
    t.add_argument("--keep", action="store_true", help="keep the work dir")
    t.add_argument("--host-bin", default=os.environ.get("O", "build"),
                   help="build dir holding the host tool notewell")
    r = sub.add_parser("run")
    r.add_argument("--img", default="build-image")
    r.add_argument("--disk", default="build-image/data.img")
    r.add_argument("--sync-port", type=int, default=8443,
                   help="host 127.0.0.1 port the guest's 10.0.2.100:8443 reaches")
    r.add_argument("--append", default="", help="extra kernel command line")
    y = sub.add_parser("type")
    y.add_argument("--qmp", required=True)
    y.add_argument("text")
    a = ap.parse_args()
    return {"test": cmd_test, "run": cmd_run, "type": cmd_type}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
