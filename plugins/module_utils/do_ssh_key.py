# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the ssh_key module: parse and fingerprint a public key locally, then register, rename or delete it."""

import base64
import binascii
import hashlib
import struct

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_runner import ResourceRunner

KEY_TYPES = (
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)


class MalformedKeyError(ValueError):
    pass


def parse_public_key(text):
    """Return (type, blob bytes, comment) of an OpenSSH public key line, or raise MalformedKeyError."""
    if not text or not text.strip():
        raise MalformedKeyError("public_key is empty")
    fields = text.strip().split(None, 2)
    if len(fields) < 2:
        raise MalformedKeyError("public_key must look like '<type> <base64> [comment]', e.g. the contents of "
                                "~/.ssh/id_ed25519.pub")
    key_type, encoded = fields[0], fields[1]
    if key_type not in KEY_TYPES:
        raise MalformedKeyError("public_key type %r is not one of %s (is this a private key?)"
                                % (key_type, ", ".join(KEY_TYPES)))
    try:
        blob = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise MalformedKeyError("public_key's key data is not valid base64")
    if len(blob) < 4:
        raise MalformedKeyError("public_key's key data is truncated")
    (length,) = struct.unpack(">I", blob[:4])
    if blob[4:4 + length] != key_type.encode("ascii"):
        raise MalformedKeyError("public_key's key data does not hold a %s key (truncated or mixed-up key?)" % key_type)
    return key_type, blob, fields[2] if len(fields) > 2 else ""


def fingerprint(text):
    """DigitalOcean's fingerprint: the MD5 of the decoded key blob as colon-separated hex."""
    dummy, blob, dummy2 = parse_public_key(text)
    digest = hashlib.md5(blob).hexdigest()  # nosec - this is the fingerprint format DigitalOcean uses
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def ssh_key_argument_spec():
    return dict(
        name=dict(type="str"),
        public_key=dict(type="str"),
        fingerprint=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def _comparable(key):
    return {"name": key.get("name"), "fingerprint": (key.get("fingerprint") or "").lower()}


class SSHKeyRunner(ResourceRunner):
    """Keys are found by fingerprint; ``state=absent`` with only a name deletes the one key of that name."""

    resource_key = "ssh_key"
    what = "SSH key"
    collection = "account/keys"
    comparable = staticmethod(_comparable)

    def __init__(self, module, client, **kwargs):
        super().__init__(module, client, **kwargs)
        self.wanted_fingerprint = None

    def result_fields(self, resource):
        return {"fingerprint": (resource or {}).get("fingerprint") or self.wanted_fingerprint}

    def validate(self):
        p = self.params
        if p["public_key"] is not None:
            try:
                self.wanted_fingerprint = fingerprint(p["public_key"])
            except MalformedKeyError as exc:
                self.fail("Malformed public_key: %s" % exc)
        elif p["fingerprint"]:
            self.wanted_fingerprint = p["fingerprint"].strip().lower()
        if p["state"] == "present":
            if p["public_key"] is None:
                return ["state=present needs public_key"]
            if not p["name"] or not p["name"].strip():
                return ["state=present needs a non-empty name"]
        elif not self.wanted_fingerprint and not p["name"]:
            return ["state=absent needs public_key, fingerprint or name"]
        return []

    def find(self):
        keys = self.client.list_all(self.collection, "ssh_keys")
        if self.wanted_fingerprint:
            matches = [k for k in keys if (k.get("fingerprint") or "").lower() == self.wanted_fingerprint]
        else:
            matches = [k for k in keys if k.get("name") == self.params["name"]]
            if len(matches) > 1:
                self.fail("%d SSH keys are named %r (ids %s); give public_key or fingerprint to say which one to "
                          "delete" % (len(matches), self.params["name"], ", ".join(str(k["id"]) for k in matches)))
        return matches[0] if matches else None

    def present(self, current):
        name = self.params["name"].strip()
        if not self.plan(current, self.describe({"name": name, "fingerprint": self.wanted_fingerprint})):
            return self.result(current)
        if self.check_mode:
            return self.result(dict(current, name=name) if current else None)
        if current is None:
            body = {"name": name, "public_key": self.params["public_key"].strip()}
            key, dummy = self.create(body, "SSH key %r" % name)
            return self.result(key)
        return self.result(self.client.request("PUT", self.path(current), {"name": name})["ssh_key"])
