# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift repair: change the server behind the collection's back, rerun site.yml, and check that each change is
found, repaired and reported as changed by the task that owns it.

    python -m tests.e2e.drift        # against the demo droplet (make demo first): drift, site.yml, checks

For the e2e suite: ``break_server(...)`` before a site.yml run, ``repaired(...)`` on that run afterwards (returns the
problems, an empty list when every drift was repaired).
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from tests.e2e import harness

TIMER = f"pytrackdat-backup-{harness.SITE_NAME}.timer"
OVERRIDE = f"{harness.SITE_DIR}/compose.override.yml"
DROPIN = "/etc/ssh/sshd_config.d/00-server-setup.conf"
DATABASE = f"{harness.SITE_DIR}/data/db.sqlite3"
TAMPERED_HASH = "pbkdf2_sha256$1000$ptd-drift$not-the-inventory-password"


def _admin_hash_sql(statement: str) -> str:
    """python3 on the server running one SQL statement on the site's live database (as root), exit 1 on no match."""
    code = ("import sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1])\n"
            "cur = db.execute(sys.argv[2], (sys.argv[3], sys.argv[4]))\n"
            "found = len(cur.fetchall()) if cur.description else cur.rowcount\n"
            "db.commit()\n"
            "sys.exit(0 if found > 0 else 1)\n")
    return " ".join(shlex.quote(part) for part in ["python3", "-c", code, DATABASE, statement, TAMPERED_HASH,
                                                   harness.ADMIN_USER])


# (what drifts, the command that makes it drift, the task that must report changed, a command that succeeds once
# it is repaired). The commands run as root on the server.
DRIFTS = [
    ("sshd allows root login again",
     f"sed -i -E 's/^PermitRootLogin .*/PermitRootLogin yes/' {DROPIN} && systemctl restart ssh",
     "server_setup : Install the hardened sshd drop-in",
     "sshd -T | grep -qx 'permitrootlogin no' && grep -qx 'PermitRootLogin no' " + DROPIN),
    ("ufw lets every incoming connection in",
     "ufw default allow incoming",
     "server_setup : Bring ufw to the wanted rules, default policies and state",
     "ufw status verbose | grep -q 'deny (incoming)'"),
    ("ufw no longer lets HTTPS in (the rule deleted by hand)",
     "ufw delete allow 443/tcp",
     "server_setup : Bring ufw to the wanted rules, default policies and state",
     "ufw show added | grep -qx \"ufw allow 443/tcp comment 'PyTrackDat HTTPS'\""),
    ("the compose override publishes the proxy on every address and no longer restarts the site",
     f"sed -i -e 's/127.0.0.1:8080:80/8080:80/' -e 's/restart: unless-stopped/restart: \"no\"/' {OVERRIDE}",
     "pytrackdat_app : Write the compose override",
     f"grep -q '\"127.0.0.1:8080:80\"' {OVERRIDE} && ! grep -q 'restart: \"no\"' {OVERRIDE}"),
    ("the admin password was changed in the site (its stored hash replaced)",
     _admin_hash_sql("UPDATE auth_user SET password = ? WHERE username = ?"),
     "pytrackdat_app : Set or rotate the admin password",
     _admin_hash_sql("SELECT 1 FROM auth_user WHERE password != ? AND username = ?")),
    # The docker role's stamp reads these rules with `ptd-docker-firewall show`: a flushed chain must still be found.
    ("the container firewall chain is flushed (Docker's bypass open again)",
     "iptables -w 10 -F PTD-DOCKER-USER",
     "docker : Put the container firewall rules in place",
     "/usr/local/sbin/ptd-docker-firewall check"),
    ("the backup timer is stopped and disabled",
     f"systemctl disable --now {TIMER}",
     "pytrackdat_backup : Enable and start the backup timer",
     f"systemctl is-enabled --quiet {TIMER} && systemctl is-active --quiet {TIMER}"),
]


def changed_tasks(output: str) -> list:
    """Names of the tasks that reported changed for any host in a playbook's output."""
    changed, current = [], None
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+", line)
        if header:
            current = header.group(1)
        elif current and line.startswith("changed: "):
            changed.append(current)
    return changed


def _as_root(address, key: Path, state_dir: Path, command: str):
    return harness.ssh_shared(address, "deploy", key, "sudo sh -c " + shlex.quote(command), state_dir)


def break_server(address, key: Path, state_dir: Path) -> list:
    """Make every drift; returns the ones that could not be made (each with the server's answer)."""
    failed = []
    for what, command, _task, _check in DRIFTS:
        result = _as_root(address, key, state_dir, command)
        if result.returncode != 0:
            failed.append(f"could not make the drift '{what}': {result.stderr.strip() or result.stdout.strip()}")
    return failed


def repaired(run, address, key: Path, state_dir: Path) -> list:
    """What the rerun did not repair or did not report: an empty list when every drift was put right."""
    problems = [] if run.rc == 0 else [f"the rerun failed (rc {run.rc}); log: {run.log_path}"]
    changed = changed_tasks(run.output)
    for what, _command, task, check in DRIFTS:
        if not any(task in name for name in changed):
            problems.append(f"'{what}': the task '{task}' did not report changed")
        if _as_root(address, key, state_dir, check).returncode != 0:
            problems.append(f"'{what}': still there after the rerun ({check})")
    return problems


def main():
    state = harness.REPO / ".demo"
    emulator = harness.EmulatorProcess.load(state / "emulator")
    if emulator is None:
        print("no demo is running: make demo first", file=sys.stderr)
        return 2
    address, key = harness.droplet_address(emulator), state / "id_ed25519"
    problems = break_server(address, key, state)
    if not problems:
        run = harness.run_playbook("site.yml", state / "inventory" / "droplets.yml", harness.playbook_env(emulator, state),
                                   state / "logs" / "drift.log", echo=False)
        problems = repaired(run, address, key, state)
        print(f"site.yml after {len(DRIFTS)} drifts: {run.seconds:.1f} s, recap {run.recap}")
    harness.close_shared_ssh(state)
    for problem in problems:
        print("NOT REPAIRED: " + problem, file=sys.stderr)
    if not problems:
        print("every drift was repaired and reported changed: " + "; ".join(d[0] for d in DRIFTS))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
