# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What cloud-init does on a DigitalOcean droplet, done for a ``docker`` machine before its first boot.

The requested SSH keys go into root's ``authorized_keys``; the user data (a ``#!`` script, or the supported
part of ``#cloud-config``) is run once, on the first boot, by a oneshot unit that plays cloud-init's final
stage, and a ``cloud-init status [--wait]`` stand-in reports on it. ``first_boot_files`` lists the files,
``tar_of`` packs them for ``docker cp - CONTAINER:/``.
"""

from __future__ import annotations

import base64
import io
import logging
import shlex
import tarfile
import time

from . import MachineError

LOG = logging.getLogger(__name__)

# Paths inside the droplet; /var/lib/cloud is where cloud-init keeps its state on a real droplet.
USER_DATA_PATH = "/var/lib/cloud/user-data"
USER_DATA_SCRIPT_PATH = "/var/lib/cloud/user-data.sh"
USER_DATA_STATE = "/var/lib/cloud/ptd-user-data"  # .started and .exit mark the single run
USER_DATA_UNIT = "ptd-cloud-final.service"

USER_DATA_RUNNER = f"""#!/bin/sh
# Runs the droplet's user data once, as cloud-init's final stage does on a droplet's first boot.
# The start is recorded before the script runs, so a script that reboots the machine is not run again.
date -u +%Y-%m-%dT%H:%M:%SZ > {USER_DATA_STATE}.started
script={USER_DATA_SCRIPT_PATH}
[ -e "$script" ] || script={USER_DATA_PATH}
rc=0
"$script" >> /var/log/cloud-init-output.log 2>&1 || rc=$?
echo "$rc" > {USER_DATA_STATE}.exit
exit "$rc"
"""

# A oneshot unit in multi-user.target, like cloud-final.service: `systemctl is-system-running --wait`
# returns only after the user data has run.
USER_DATA_UNIT_TEXT = f"""[Unit]
Description=Emulated cloud-init final stage: run the droplet's user data once
After=network-online.target ssh.service
ConditionPathExists=!{USER_DATA_STATE}.started

[Service]
Type=oneshot
Environment=HOME=/root
ExecStart=/var/lib/cloud/ptd-run-user-data
TimeoutStartSec={{timeout}}

[Install]
WantedBy=multi-user.target
"""

CLOUD_INIT_STATUS = f"""#!/bin/sh
# Stand-in for `cloud-init status [--wait]` on an emulated droplet (the test images have no cloud-init).
state() {{
    if [ ! -e {USER_DATA_PATH} ] || [ ! -x /var/lib/cloud/ptd-run-user-data ]; then echo done
    elif [ ! -e {USER_DATA_STATE}.exit ]; then echo running
    elif [ "$(cat {USER_DATA_STATE}.exit)" = 0 ]; then echo done
    else echo error
    fi
}}
[ "${{1:-}}" = status ] || {{ echo "cloud-init (emulated droplet): only 'status [--wait]' is available" >&2; exit 2; }}
case " $* " in *" --wait "*|*" -w "*) while [ "$(state)" = running ]; do sleep 1; done ;; esac
echo "status: $(state)"
[ "$(state)" != error ]
"""


def first_boot_files(droplet_id, ssh_public_keys, user_data, user_data_timeout):
    """What cloud-init would put in place before the first login: root's keys, the user data and its runner."""
    keys = [k.strip() for k in ssh_public_keys or [] if k and k.strip()]
    files = [("/var/lib/cloud", None, 0o755)]
    script = None
    if user_data:
        head = user_data.lstrip()[:64]
        if head.startswith("#!"):
            files.append((USER_DATA_PATH, user_data.encode(), 0o700))
            script = USER_DATA_PATH
        elif head.startswith("#cloud-config"):
            converted, config_keys = cloud_config_to_script(user_data, droplet_id)
            keys += config_keys
            files.append((USER_DATA_PATH, user_data.encode(), 0o600))
            files.append((USER_DATA_SCRIPT_PATH, converted.encode(), 0o700))
            script = USER_DATA_SCRIPT_PATH
        else:
            files.append((USER_DATA_PATH, user_data.encode(), 0o600))
            LOG.warning("droplet %s: user_data is neither a #! script nor #cloud-config; stored in %s, not run",
                        droplet_id, USER_DATA_PATH)
    if keys:
        files += [("/root/.ssh", None, 0o700), ("/root/.ssh/authorized_keys", ("\n".join(keys) + "\n").encode(), 0o600)]
    files.append(("/usr/local/bin/cloud-init", CLOUD_INIT_STATUS.encode(), 0o755))
    if script:
        unit = f"/etc/systemd/system/{USER_DATA_UNIT}"
        files += [
            ("/var/lib/cloud/ptd-run-user-data", USER_DATA_RUNNER.encode(), 0o700),
            (unit, USER_DATA_UNIT_TEXT.format(timeout=user_data_timeout).encode(), 0o644),
            (f"/etc/systemd/system/multi-user.target.wants/{USER_DATA_UNIT}", None, 0o777, unit),
        ]
    return files, script is not None


def tar_of(files):
    """A tar stream for `docker cp - CONTAINER:/`: (path, data or None for a directory, mode[, link target])."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for entry in files:
            path, data, mode = entry[:3]
            info = tarfile.TarInfo(path.lstrip("/"))
            info.mode, info.uid, info.gid, info.mtime = mode, 0, 0, int(time.time())
            if len(entry) > 3:
                info.type, info.linkname = tarfile.SYMTYPE, entry[3]
                archive.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cloud_config_to_script(text, droplet):
    """Turn the supported part of a #cloud-config document into a shell script; log what is not supported.

    Supported, in cloud-init's order: write_files (content, path, permissions, owner, encoding text/b64),
    package_update, packages, runcmd. ssh_authorized_keys is handled by the caller. Returns (script, extra keys).
    """
    import yaml  # pylint: disable=import-outside-toplevel  # only #cloud-config user data needs it

    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise MachineError(f"droplet {droplet}: user_data starts with #cloud-config but is not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise MachineError(f"droplet {droplet}: #cloud-config user_data must be a mapping")
    supported = {"write_files", "package_update", "packages", "runcmd", "ssh_authorized_keys"}
    unsupported = sorted(set(config) - supported)
    if unsupported:
        LOG.warning("droplet %s: cloud-config keys not supported by the emulator, ignored: %s", droplet, ", ".join(unsupported))
    lines = ["#!/bin/sh", "# Made by the DigitalOcean emulator from the droplet's #cloud-config user data."]
    for item in config.get("write_files") or []:
        encoding = str(item.get("encoding", "text")).lower()
        content = item.get("content", "")
        if encoding in ("b64", "base64"):
            content = base64.b64decode(content).decode()
        elif encoding not in ("text", "text/plain"):
            LOG.warning("droplet %s: write_files encoding %r is not supported, %s is skipped", droplet, encoding, item.get("path"))
            continue
        path = shlex.quote(str(item["path"]))
        lines.append(f"mkdir -p \"$(dirname {path})\"")
        lines.append(f"printf '%s' {shlex.quote(content)} > {path}")
        lines.append(f"chmod {shlex.quote(str(item.get('permissions', '0644')))} {path}")
        lines.append(f"chown {shlex.quote(str(item.get('owner', 'root:root')))} {path}")
    if config.get("package_update") or config.get("packages"):
        lines.append("apt-get update -q")
    if config.get("packages"):
        packages = " ".join(shlex.quote(str(p)) for p in config["packages"])
        lines.append(f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q {packages}")
    for command in config.get("runcmd") or []:
        lines.append(" ".join(shlex.quote(str(a)) for a in command) if isinstance(command, list) else str(command))
    return "\n".join(lines) + "\n", [str(k) for k in config.get("ssh_authorized_keys") or []]
