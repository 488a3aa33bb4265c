#!/usr/bin/env python3
"""Writes boot-keyboard HID reports that type the given strings on a US
layout, each followed by Enter, as a keyboard-wedge scanner would. Used by
the integration tests to feed the sim board's scanner FIFO."""
import sys

def key(ch):
    if 'a' <= ch <= 'z':
        return 0, 0x04 + ord(ch) - ord('a')
    if 'A' <= ch <= 'Z':
        return 0x02, 0x04 + ord(ch) - ord('A')
    if '1' <= ch <= '9':
        return 0, 0x1e + ord(ch) - ord('1')
    table = {'0': (0, 0x27), '\n': (0, 0x28), '-': (0, 0x2d), '_': (0x02, 0x2d),
             ':': (0x02, 0x33), '/': (0, 0x38), '.': (0, 0x37), '=': (0, 0x2e),
             '?': (0x02, 0x38), '&': (0x02, 0x24), '+': (0x02, 0x2e), ' ': (0, 0x2c)}
    return table[ch]

def reports(text):
    out = bytearray()
    for ch in text:
        mod, code = key(ch)
        out += bytes([mod, 0, code, 0, 0, 0, 0, 0])
        out += bytes(8)  # release, so a repeated character types again
    return bytes(out)

if __name__ == "__main__":
    data = b"".join(reports(s + "\n") for s in sys.argv[1:])
    sys.stdout.buffer.write(data)
