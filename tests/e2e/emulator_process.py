# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DigitalOcean emulator as `make demo`, `make e2e` and the e2e benchmark run it: a background process
(`python -m tests.do_emulator --machine-backend docker`) whose droplets are systemd containers, and the containers
and volumes it leaves behind. harness.py re-exports these names."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EMULATOR_LABEL = "pytrackdat.emulator"

# The emulator with one change to its droplet containers: CAP_AUDIT_CONTROL, which root has on a real droplet (a VM).
# Without it, pam_loginuid in a container refuses a login started from inside another SSH session (the loginuid
# is already set), so server_setup's lockout probe (an sshd started over Ansible's SSH connection) fails with 254.
EMULATOR_LAUNCHER = """
import sys
import tests.do_emulator.machines.docker as machines
machines.SYSTEMD_RUN_FLAGS = tuple(machines.SYSTEMD_RUN_FLAGS) + ("--cap-add", "AUDIT_CONTROL")
from tests.do_emulator.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


class EmulatorProcess:
    """`python -m tests.do_emulator` with container-backed droplets, running in the background."""

    def __init__(self, url, token, pid):
        self.url = re.sub(r"/v2/?$", "", url.rstrip("/"))
        self.token = token
        self.pid = pid

    @property
    def api_url(self):
        return self.url + "/v2/"

    @classmethod
    def start(cls, state_dir: Path, timeout=60):
        state_dir.mkdir(parents=True, exist_ok=True)
        out = state_dir / "emulator.out"
        err = open(state_dir / "emulator.log", "ab")  # pylint: disable=consider-using-with
        with open(out, "wb") as stdout:
            subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, "-c", EMULATOR_LAUNCHER, "--port", "0", "--machine-backend", "docker",
                 "--state-file", str(state_dir / "emulator-state.json")],
                cwd=REPO, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        err.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = out.read_text() if out.exists() else ""
            if text.strip():
                info = json.loads(text.splitlines()[0])
                emu = cls(info["url"], info["token"], info["pid"])
                (state_dir / "emulator.json").write_text(json.dumps(info))
                return emu
            time.sleep(0.2)
        raise RuntimeError(f"the emulator did not start within {timeout} s; see {state_dir / 'emulator.log'}")

    @classmethod
    def load(cls, state_dir: Path):
        path = state_dir / "emulator.json"
        if not path.exists():
            return None
        info = json.loads(path.read_text())
        emu = cls(info["url"], info["token"], info["pid"])
        return emu if emu.running() else None

    def running(self):
        """True while the emulator process lives (a zombie child of ours is reaped and counts as gone)."""
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii", errors="replace") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state in ("Z", "X"):
            try:
                os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return False
        return True

    def stop(self, state_dir: Path | None = None, timeout=120):
        """SIGTERM; the emulator removes the containers it made before it exits."""
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.2)
            if self.running():
                os.kill(self.pid, signal.SIGKILL)
        if state_dir is not None:
            (state_dir / "emulator.json").unlink(missing_ok=True)

    def api(self, method, path, body=None):
        """One request to the emulator's API (loopback only)."""
        import requests  # pylint: disable=import-outside-toplevel
        assert self.url.startswith(("http://127.", "http://localhost")), self.url
        response = requests.request(method, self.api_url + path.lstrip("/"), json=body, timeout=30,
                                    headers={"Authorization": f"Bearer {self.token}"})
        if response.status_code >= 400 and not (method == "POST" and response.status_code == 422):
            response.raise_for_status()
        return response.json() if response.content else {}

    def ensure_domain(self, name):
        """What a user does once in DigitalOcean's control panel: add the DNS zone the site's record goes into."""
        self.api("POST", "domains", {"name": name})


def emulator_containers_of(emulator: EmulatorProcess):
    """Containers and volumes made by this emulator process (its owner label starts with host:pid:)."""
    prefix = f"{socket.gethostname()}:{emulator.pid}:"
    found = []
    for kind, listing, label_path in (("container", ["ps", "-a", "-q"], ".Config.Labels"), ("volume", ["volume", "ls", "-q"], ".Labels")):
        idents = subprocess.run(["docker", *listing, "--filter", f"label={EMULATOR_LABEL}.owner"],
                                capture_output=True, text=True, check=True).stdout.split()
        for ident in idents:
            owner = subprocess.run(["docker", kind, "inspect", "--format", '{{ index %s "%s.owner" }}' % (label_path, EMULATOR_LABEL), ident],
                                   capture_output=True, text=True, check=False).stdout.strip()
            if owner.startswith(prefix):
                found.append(f"{kind} {ident}")
    return found
