# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the ssh_key module: parse and fingerprint a public key locally, then register, rename or delete it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import struct

from ansible_collections.pytrackdat.deploy.plugins.module_utils.do_api import DOAPIError

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


class SSHKeyRunner(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.wanted_fingerprint = None

    def result(self, changed, key, before=None, after=None, **extra):
        result = dict(changed=changed, ssh_key=key or {}, fingerprint=(key or {}).get("fingerprint")
                      or self.wanted_fingerprint)
        if self.module._diff and before is not None:
            result["diff"] = dict(before=before, after=after)
        result.update(extra)
        return result

    def list_keys(self):
        return self.client.list_all("account/keys", "ssh_keys")

    def find_by_fingerprint(self, keys=None):
        for key in keys if keys is not None else self.list_keys():
            if (key.get("fingerprint") or "").lower() == self.wanted_fingerprint:
                return key
        return None

    def validate(self):
        p = self.params
        self.wanted_fingerprint = None
        if p["public_key"] is not None:
            try:
                self.wanted_fingerprint = fingerprint(p["public_key"])
            except MalformedKeyError as exc:
                self.module.fail_json(msg="Malformed public_key: %s" % exc, changed=False, ssh_key={}, fingerprint=None)
        elif p["fingerprint"]:
            self.wanted_fingerprint = p["fingerprint"].strip().lower()
        if p["state"] == "present":
            if p["public_key"] is None:
                self.module.fail_json(msg="state=present needs public_key", changed=False, ssh_key={}, fingerprint=None)
            if not p["name"] or not p["name"].strip():
                self.module.fail_json(msg="state=present needs a non-empty name", changed=False, ssh_key={},
                                      fingerprint=self.wanted_fingerprint)
        elif not self.wanted_fingerprint and not p["name"]:
            self.module.fail_json(msg="state=absent needs public_key, fingerprint or name", changed=False, ssh_key={},
                                  fingerprint=None)

    def present(self):
        name = self.params["name"].strip()
        keys = self.list_keys()
        key = self.find_by_fingerprint(keys)
        after = {"name": name, "fingerprint": self.wanted_fingerprint, "state": "present"}
        if key is None:
            before = {"state": "absent"}
            if self.module.check_mode:
                return self.result(True, None, before, after)
            body = {"name": name, "public_key": self.params["public_key"].strip()}
            answer, fresh = self.client.create("account/keys", body, self.find_by_fingerprint, "SSH key %r" % name)
            return self.result(True, answer["ssh_key"] if fresh else answer, before, after)
        before = {"name": key.get("name"), "fingerprint": key.get("fingerprint"), "state": "present"}
        if key.get("name") == name:
            return self.result(False, key, before, after)
        if self.module.check_mode:
            return self.result(True, dict(key, name=name), before, after)
        updated = self.client.request("PUT", "account/keys/%s" % key["id"], {"name": name})["ssh_key"]
        return self.result(True, updated, before, after)

    def absent(self):
        keys = self.list_keys()
        if self.wanted_fingerprint:
            matches = [k for k in keys if (k.get("fingerprint") or "").lower() == self.wanted_fingerprint]
        else:
            matches = [k for k in keys if k.get("name") == self.params["name"]]
            if len(matches) > 1:
                self.module.fail_json(msg="%d SSH keys are named %r (ids %s); give public_key or fingerprint to say "
                                      "which one to delete" % (len(matches), self.params["name"],
                                                               ", ".join(str(k["id"]) for k in matches)),
                                      changed=False, ssh_key={}, fingerprint=None)
        if not matches:
            return self.result(False, None, {"state": "absent"}, {"state": "absent"})
        key = matches[0]
        before = {"name": key.get("name"), "fingerprint": key.get("fingerprint"), "state": "present"}
        if not self.module.check_mode:
            self.client.delete("account/keys/%s" % key["id"])
        return self.result(True, key, before, {"state": "absent"})

    def run(self):
        self.validate()
        try:
            return self.present() if self.params["state"] == "present" else self.absent()
        except DOAPIError as exc:
            self.module.fail_json(changed=False, ssh_key={}, fingerprint=self.wanted_fingerprint, **exc.fail_kwargs())
