#!/usr/bin/env python3
"""A hand-driven sync client for the refusal tests: sends requests to
`notewell serve` the way a box does (docs/sync.md), or deliberately not
quite: tampered bodies, other keys, replayed sequence numbers.

Ed25519 comes from libsodium through ctypes (the same library the box uses),
keys from minisign secret key files made with `minisign -G -W`.

usage: sync_client.py URL KEYFILE BOX SEQ METHOD PATH [BODYFILE]
         [--tamper] [--pubkey-line] [--content-length N] [--trickle]
prints "STATUS BODY" on one line ("000 ERROR" when the connection ends).
--trickle sends the signed headers at once and then the body a byte every
half second (a slow client), and adds the seconds it lasted.
"""
import base64
import ctypes
import ctypes.util
import hashlib
import http.client
import ssl
import sys
import time
import uuid

sodium = ctypes.CDLL(ctypes.util.find_library("sodium"))
sodium.sodium_init()


def load_secret(path):
    """minisign secret key (unencrypted): returns (key id, 64-byte sk)."""
    lines = open(path).read().splitlines()
    blob = base64.b64decode(lines[1])
    if blob[:2] != b"Ed" or blob[2:4] != b"\0\0":
        sys.exit("not an unencrypted minisign secret key")
    keyid = blob[54:62]
    sk = blob[62:126]
    return keyid, sk


def pubkey_line(keyid, sk):
    return base64.b64encode(b"Ed" + keyid + sk[32:]).decode()


def sign(sk, msg):
    sig = ctypes.create_string_buffer(64)
    sodium.crypto_sign_detached(sig, None, msg, ctypes.c_ulonglong(len(msg)), sk)
    return base64.b64encode(sig.raw).decode()


def main(argv):
    flags = [a for a in argv if a.startswith("--")]
    args = [a for a in argv if not a.startswith("--")]
    if "--pubkey-line" in flags:
        keyid, sk = load_secret(args[0])
        print(pubkey_line(keyid, sk))
        return 0
    url, keyfile, box, seq, method, path = args[:6]
    body = open(args[6], "rb").read() if len(args) > 6 else b""
    keyid, sk = load_secret(keyfile)
    boot = str(uuid.UUID(int=0x1234))
    clock = "%s %d %d 1" % (boot, time.monotonic_ns(), time.time_ns())
    msg = ("notewell-sync-1\n%s\n%s\n%s\n%s\n%s\n%s\n" % (
        method, path, box, seq, clock, hashlib.sha256(body).hexdigest())).encode()
    sig = sign(sk, msg)
    if "--tamper" in flags and body:
        # Signed, then changed in transit: one byte in the middle.
        b = bytearray(body)
        b[len(b) // 2] ^= 0x01
        body = bytes(b)
    host = url.split("://", 1)[1]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection(host, context=ctx, timeout=20)
    headers = {"X-NW-Box": box, "X-NW-Seq": str(seq), "X-NW-Clock": clock,
               "X-NW-Signature": sig, "Content-Type": "application/json"}
    t0 = time.monotonic()
    try:
        if "--trickle" in flags:
            c.putrequest(method, path)
            for k, v in headers.items():
                c.putheader(k, v)
            c.putheader("Content-Length", str(len(body)))
            c.endheaders()
            for i in range(len(body)):
                c.send(body[i:i + 1])
                time.sleep(0.5)
        else:
            c.request(method, path, body=body if method != "GET" else None, headers=headers)
        r = c.getresponse()
        print(r.status, r.read().decode(errors="replace"))
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        print("000", type(e).__name__, "%.1f" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
