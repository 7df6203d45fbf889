#!/usr/bin/env python3
"""Writes vector.json: a checkpoint signed by a log key (signed-note Ed25519,
type 0x01) and cosigned by a witness key (tlog-cosignature cosignature/v1,
type 0x04), computed independently of the Rust crate with Python's hashlib
and the `cryptography` package's Ed25519.

Run from this directory: python3 generate.py > vector.json
The seeds are fixed test values; Ed25519 signing is deterministic, so the
output is the same on every run.
"""

import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

LOG_NAME = "example.gov.vn/congso/log"
LOG_SEED = bytes(range(32))
WITNESS_NAME = "witness.example.gov.vn/w1"
WITNESS_SEED = bytes(range(100, 132))
TIMESTAMP = 1_700_000_000

# The checkpoint: origin, size, base64 root, one extension line.
ROOT = hashlib.sha256(b"congso cosignature vector root").digest()
BODY = f"{LOG_NAME}\n12345\n{base64.b64encode(ROOT).decode()}\nextension line\n"


def public_key(seed):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name, signature_type, public):
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public).digest()
    return struct.unpack(">I", digest[:4])[0]


def line(name, identifier, signature):
    encoded = base64.b64encode(struct.pack(">I", identifier) + signature).decode()
    return f"\u2014 {name} {encoded}\n"


log_key, log_public = public_key(LOG_SEED)
log_id = key_id(LOG_NAME, 0x01, log_public)
log_line = line(LOG_NAME, log_id, log_key.sign(BODY.encode()))

witness_key, witness_public = public_key(WITNESS_SEED)
witness_id = key_id(WITNESS_NAME, 0x04, witness_public)
message = f"cosignature/v1\ntime {TIMESTAMP}\n{BODY}".encode()
witness_line = line(
    WITNESS_NAME, witness_id, struct.pack(">Q", TIMESTAMP) + witness_key.sign(message)
)


def vkey(name, identifier, signature_type, public):
    return f"{name}+{identifier:08x}+{base64.b64encode(bytes([signature_type]) + public).decode()}"


json.dump(
    {
        "source": "generate.py in this directory (Python hashlib and cryptography Ed25519)",
        "log_seed_hex": LOG_SEED.hex(),
        "log_vkey": vkey(LOG_NAME, log_id, 0x01, log_public),
        "log_skey": "PRIVATE+KEY+" + vkey(LOG_NAME, log_id, 0x01, LOG_SEED),
        "witness_seed_hex": WITNESS_SEED.hex(),
        "witness_vkey": vkey(WITNESS_NAME, witness_id, 0x04, witness_public),
        "witness_skey": "PRIVATE+KEY+" + vkey(WITNESS_NAME, witness_id, 0x04, WITNESS_SEED),
        "timestamp": TIMESTAMP,
        "body": BODY,
        "log_line": log_line,
        "witness_line": witness_line,
        "note": BODY + "\n" + log_line + witness_line,
    },
    __import__("sys").stdout,
    indent=2,
    ensure_ascii=False,
)
print()
