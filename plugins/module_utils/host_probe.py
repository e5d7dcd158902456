# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host probe's one shell program, and how its answer is read: one home for the host_probe action (which sends
it over the task's connection, no Python on the host) and the module (which runs it with run_command).

The program optionally waits for a new machine's first-boot cloud-init, then prints ``key=value`` lines: the
os-release fields, ``uname -m`` and ``-n``, what systemd-detect-virt (or a container's marker file) says, and the
address this connection comes from as the server sees it (the first field of SSH_CONNECTION). ``facts`` turns them into
the facts the collection's roles read, named and valued as Ansible's setup module names them.
"""

from __future__ import annotations

import re

WAIT_FOR_CLOUD_INIT = """if command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null 2>&1 || { rc=$?; [ "$rc" -eq 2 ] || echo "cloud_init_error=cloud-init: exit code $rc"; }
fi
"""

PROBE = """if [ -r /etc/os-release ]; then
  ( . /etc/os-release; printf 'id=%s\\nid_like=%s\\nname=%s\\nversion_id=%s\\ncodename=%s\\n' \
    "${ID:-}" "${ID_LIKE:-}" "${NAME:-}" "${VERSION_ID:-}" "${VERSION_CODENAME:-${UBUNTU_CODENAME:-}}" )
fi
[ ! -r /etc/debian_version ] || printf 'debian_version=%s\\n' "$(head -n 1 /etc/debian_version)"
printf 'machine=%s\\nnode=%s\\n' "$(uname -m)" "$(uname -n)"
if command -v systemd-detect-virt >/dev/null 2>&1; then printf 'virt=%s\\n' "$(systemd-detect-virt 2>/dev/null)"
elif [ -e /.dockerenv ]; then echo virt=docker
elif [ -e /run/.containerenv ]; then echo virt=podman
fi
printf 'address=%s\\n' "${SSH_CONNECTION%% *}"
"""

# systemd-detect-virt's names where Ansible's setup module says otherwise
_VIRT_NAMES = {"lxc-libvirt": "lxc", "oracle": "virtualbox", "microsoft": "hyperv", "qemu": "kvm"}
_DISTRIBUTION_NAMES = {"debian": "Debian", "ubuntu": "Ubuntu", "raspbian": "Debian", "linuxmint": "Linux Mint"}


ARGUMENT_SPEC = {"wait_for_cloud_init": {"type": "bool", "default": False}}


def program(wait_for_cloud_init):
    """The shell program (run with /bin/sh)."""
    return "{\n" + (WAIT_FOR_CLOUD_INIT if wait_for_cloud_init else "") + PROBE + "}\n"


def answer(stdout):
    """The program's key=value lines as a dict (the last value of a key wins)."""
    fields = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def facts(fields):
    """The facts the roles read, from the program's answer: the distribution (its name, release, major version and
    family), the architecture, the host name and the virtualization, as the setup module names them."""
    ident = fields.get("id", "").lower()
    family_ids = [ident] + fields.get("id_like", "").lower().split()
    version = fields.get("version_id", "")
    # Debian's point release is in /etc/debian_version (13.1), as the setup module reports it; os-release has 13.
    if ident == "debian" and re.match(r"^[0-9]+(\.[0-9]+)*$", fields.get("debian_version", "")):
        version = fields["debian_version"]
    virt = fields.get("virt", "") or "none"
    found = {
        "distribution": _DISTRIBUTION_NAMES.get(ident, ident.capitalize() if ident else "NA"),
        "distribution_release": fields.get("codename", "") or "NA",
        "distribution_version": version or "NA",
        "distribution_major_version": version.split(".")[0] if version else "NA",
        "os_family": "Debian" if "debian" in family_ids or "ubuntu" in family_ids else
                     (fields.get("name", "").split() or ["NA"])[0],
        "architecture": fields.get("machine", ""),
        "nodename": fields.get("node", ""),
        "hostname": fields.get("node", "").split(".")[0],
        "virtualization_type": "NA" if virt == "none" else _VIRT_NAMES.get(virt, virt),
        "virtualization_role": "NA" if virt == "none" else "guest",
    }
    return found


def outcome(rc, stdout, stderr):
    """The result (ansible_facts, control_address, cloud_init_error) from the program's answer, or (None, message)
    when it failed."""
    if rc != 0:
        return None, "host_probe: the probe failed on the host (rc %s): %s" % (rc, (stderr or stdout or "").strip()[-2000:])
    fields = answer(stdout)
    return {"ansible_facts": facts(fields), "control_address": fields.get("address", ""),
            "cloud_init_error": fields.get("cloud_init_error", "")}, None
