#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Independent generator of the sealed-key test vector in docs/keystore.md
# and tests/unit/test_keystore_file.c: XChaCha20-Poly1305 built from a
# from-scratch HChaCha20 (draft-irtf-cfrg-xchacha-03 2.2) and the
# ChaCha20-Poly1305 of python3-cryptography (OpenSSL underneath), not
# libsodium. Run: python3 tests/vectors/keystore_sealed.py
import struct

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def rotl(v, n):
    return ((v << n) & 0xFFFFFFFF) | (v >> (32 - n))


def qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13)
        qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12)
        qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha20poly1305_encrypt(key, nonce24, msg, aad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0" * 4 + nonce24[16:], msg, aad)


# The draft's own HChaCha20 test vector (2.2.1) checks the code above.
k = bytes(range(32))
n = bytes.fromhex("000000090000004a0000000031415927")
assert hchacha20(k, n).hex() == (
    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")

kek = bytes(range(0x00, 0x20))                 # 000102..1f
nonce = bytes(range(0x40, 0x58))               # 404142..57
scalar = bytes(range(0x80, 0xA0))              # 808182..9f (< P-256 n)
header = b"RPKS" + bytes([1, 1, 1, 0]) + struct.pack("<I", 48)
sealed = header + nonce + xchacha20poly1305_encrypt(kek, nonce, scalar, header)
assert len(sealed) == 84
print(sealed.hex())
