#!/usr/bin/env python3
"""Verify offer-v1.tlog-proof against keys-v1.txt without Segel's code.

An independent check of the v1 formats (doc/spec/receipt.md, auditlog.md):
RFC 9162 §2.1.3.2 inclusion verification and signed-note Ed25519 signatures,
using only hashlib and the `cryptography` package. Run: python3 verify.py
"""
import base64
import hashlib
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def load_keys(path):
    keys = {}
    for line in open(path):
        name, key_id, key = line.strip().split("+", 2)
        raw = base64.b64decode(key)
        want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()
        assert raw[0] == 1 and key_id == want, "bad key " + name
        keys[name] = (bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:]))
    return keys


def check_note(note, keys, want_name):
    split = note.rindex(b"\n\n")
    text, sigs = note[: split + 1], note[split + 2 :]
    for line in sigs.decode().splitlines():
        dash, name, sig = line.split(" ")
        sig = base64.b64decode(sig, validate=True)
        key_id, pub = keys[name]
        assert dash == "\u2014" and name == want_name and sig[:4] == key_id
        pub.verify(sig[4:], text)  # raises on failure
    return text


def cut_block(b, label):
    line, rest = b.split(b"\n", 1)
    tag, n = line.split(b" ")
    assert tag == label
    return rest[: int(n)], rest[int(n) :]


def main():
    keys = load_keys("keys-v1.txt")
    b = open("offer-v1.tlog-proof", "rb").read()
    header, b = b.split(b"\n", 1)
    assert header == b"segel-proof/v1"
    receipt, b = cut_block(b, b"receipt")
    entry, b = cut_block(b, b"entry")
    proof, checkpoint = b.split(b"\n\n", 1)
    lines = proof.split(b"\n")
    assert lines[0] == b"c2sp.org/tlog-proof@v1" and lines[1].startswith(b"index ")
    index = int(lines[1][6:])
    hashes = [base64.b64decode(h, validate=True) for h in lines[2:]]
    origin, size, root = check_note(checkpoint, keys, "fuzz.example/log").split(b"\n")[:3]
    size, root = int(size), base64.b64decode(root)
    check_note(receipt, keys, "fuzz.example/receipt")

    # RFC 9162 §2.1.3.2.
    fn, sn = index, size - 1
    r = hashlib.sha256(b"\x00" + entry).digest()
    for p in hashes:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while True:
                    fn, sn = fn >> 1, sn >> 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0 and r == root, "inclusion proof failed"
    print("ok: entry %d of %s (size %d), receipt and checkpoint signatures valid" % (index, origin.decode(), size))


if __name__ == "__main__":
    sys.exit(main())
