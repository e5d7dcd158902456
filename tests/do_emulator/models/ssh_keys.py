# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH keys (account/keys): found by id or by MD5 fingerprint."""

from __future__ import annotations

import base64
import binascii
import hashlib

from .base import not_found, unprocessable

SSH_KEY_TYPES = (
    "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)


def ssh_key_fingerprint(public_key):
    """Return the MD5 fingerprint DigitalOcean shows, or raise ApiError(422) for a malformed key."""
    parts = str(public_key or "").strip().split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise unprocessable("Key invalid type, we support 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', "
                            "'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', or 'ssh-ed25519'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise unprocessable("Key invalid, key should be of the format `type key [comment]`") from None
    # The blob starts with the key type as an SSH string (4-byte length, then the name).
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if length != len(parts[0]) or blob[4:4 + length].decode("ascii", "replace") != parts[0] or len(blob) < 4 + length + 16:
        raise unprocessable("Key invalid, key should be of the format `type key [comment]`")
    digest = hashlib.md5(blob).hexdigest()  # nosec - MD5 is what the API reports
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class SshKeyModel:
    """``self.ssh_keys``: id -> ssh_key."""

    def create_ssh_key(self, body):
        name = body.get("name")
        public_key = body.get("public_key")
        if not isinstance(name, str) or not name.strip():
            raise unprocessable("Name can't be blank")
        if not isinstance(public_key, str) or not public_key.strip():
            raise unprocessable("Public key can't be blank")
        fingerprint = ssh_key_fingerprint(public_key)
        if any(k["fingerprint"] == fingerprint for k in self.ssh_keys.values()):
            raise unprocessable("SSH Key is already in use on your account")
        key = {"id": self._next_id("ssh_key"), "fingerprint": fingerprint, "public_key": public_key.strip(),
               "name": name}
        self.ssh_keys[key["id"]] = key
        self.dirty = True
        return key

    def get_ssh_key(self, ident):
        ident = str(ident)
        if ident.isdigit() and int(ident) in self.ssh_keys:
            return self.ssh_keys[int(ident)]
        for key in self.ssh_keys.values():
            if key["fingerprint"] == ident:
                return key
        raise not_found()

    def update_ssh_key(self, ident, body):
        key = self.get_ssh_key(ident)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise unprocessable("Name can't be blank")
            key["name"] = body["name"]
            self.dirty = True
        return key

    def delete_ssh_key(self, ident):
        key = self.get_ssh_key(ident)
        del self.ssh_keys[key["id"]]
        self.dirty = True
