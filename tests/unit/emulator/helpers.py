# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers for the emulator tests."""

from __future__ import annotations

import base64
import hashlib
import random
import time


def public_key(seed=0, comment="test@example"):
    """A well-formed ssh-ed25519 public key line, different for each seed."""
    key_type = b"ssh-ed25519"
    material = random.Random(seed).randbytes(32)
    blob = len(key_type).to_bytes(4, "big") + key_type + (32).to_bytes(4, "big") + material
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def md5_fingerprint(line):
    digest = hashlib.md5(base64.b64decode(line.split()[1])).hexdigest()  # nosec - DO's fingerprint format
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def wait_for(predicate, timeout=10.0, interval=0.02):
    """Poll ``predicate`` until it is truthy (bounded); return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
