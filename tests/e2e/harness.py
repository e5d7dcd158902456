# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared machinery of `make demo`, `make e2e` and the e2e benchmark: emulator, keys, design, playbook runs.

Everything stays on this machine: the emulator listens on 127.0.0.1, its droplets are containers on their own
127.0.0.N, the test ACME server (Pebble) runs inside the droplet, and the browser maps the site's domain to the
droplet's address. Nothing here needs or contacts DigitalOcean or Let's Encrypt. The site is generated from a design
CSV by PyTrackDat's own generator (pytrackdat 0.2.1 from PyPI, installed by the role on this control node).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e import emulator_process

EmulatorProcess = emulator_process.EmulatorProcess  # the e2e tests and the demo reach the emulator through harness
emulator_containers_of = emulator_process.emulator_containers_of

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "ptd-demo.example.test"
DNS_ZONE = "example.test"
SITE = "demo"
DROPLET_NAME = f"pytrackdat-{SITE}"
# The sample design (PyTrackDat 0.2.1's 7-column format: a site table and a sample table pointing at it) and the same
# design with one more field, for the design-change path.
DESIGN = REPO / "tests" / "fixtures" / "pytrackdat" / "design.csv"
DESIGN_CHANGED = REPO / "tests" / "fixtures" / "pytrackdat" / "design-changed.csv"
# Site name given to PyTrackDat's generator (pytrackdat_app_site_name): the admin's title reads "PyTrackDat: fieldwork".
SITE_NAME = "fieldwork"
SITE_DIR = f"/opt/pytrackdat/{SITE_NAME}"
ADMIN_USER = "admin"
BASE_IMAGE = "local/debian-systemd:13"
# The debian runtime builds FROM Docker Hub's debian:12-slim, unreachable here: the Debian 12 image of `make images`
# stands in under that name on this machine's engine (the images build here: pytrackdat_app_build_mode control).
RUNTIME_BASE = "debian:12-slim"
RUNTIME_BASE_SOURCE = "local/debian-systemd:12"
PEBBLE_DIR = "/etc/pebble"
# Pebble answers ACME on 14000 and hands out its (per start) issuing root on 15000, both on the droplet's loopback.
PEBBLE_ACME_DIR = "https://localhost:14000/dir"
PEBBLE_ROOT_URL = "https://localhost:15000/roots/0"

# Test-only first-boot script for the droplet (given as its user data): Debian's pebble as the ACME CA, the site's
# domain pointing at the droplet itself so Pebble's HTTP-01 validation reaches Caddy on port 80, and a Docker
# setting that nested engines need in these containers.
PEBBLE_SETUP_SCRIPT = f"""#!/bin/sh
# Test only: a local ACME CA (Pebble) so Caddy gets a real ACME certificate without the internet.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends pebble openssl
mkdir -p {PEBBLE_DIR}
cd {PEBBLE_DIR}
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=pebble listener CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout localhost.key -out localhost.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext
openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile san.ext -out localhost.pem 2>/dev/null
chmod 0644 ca.pem localhost.pem
cat > pebble-config.json <<'JSON'
{{"pebble": {{"listenAddress": "127.0.0.1:14000", "managementListenAddress": "127.0.0.1:15000",
  "certificate": "{PEBBLE_DIR}/localhost.pem", "privateKey": "{PEBBLE_DIR}/localhost.key",
  "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": false}}}}
JSON
cat > /etc/systemd/system/ptd-test-pebble.service <<'UNIT'
[Unit]
Description=Pebble test ACME server (pytrackdat.deploy e2e only)
After=network.target
[Service]
Environment=PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=100
ExecStart=/usr/bin/pebble -config {PEBBLE_DIR}/pebble-config.json
Restart=on-failure
[Install]
WantedBy=multi-user.target
UNIT
# Test only, like molecule/pytrackdat_app/prepare.yml: this container's /proc/sys is read-only, so the nested
# Docker engine (installed later by the docker role) must not try to set its containers' IPv6 sysctls.
mkdir -p /etc/systemd/system/docker.service.d
printf '[Service]\nEnvironment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1\n' > /etc/systemd/system/docker.service.d/nested-ipv6.conf
grep -q ' www.{DOMAIN}$' /etc/hosts || echo "127.0.0.1 {DOMAIN} www.{DOMAIN}" >> /etc/hosts
systemctl daemon-reload
systemctl enable --now ptd-test-pebble.service
for _ in $(seq 1 60); do
  curl -fsS --cacert {PEBBLE_DIR}/ca.pem {PEBBLE_ACME_DIR} >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "pebble did not answer on {PEBBLE_ACME_DIR}" >&2
exit 1
"""


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def venv_bin():
    return REPO / ".venv" / "bin"


# ----------------------------------------------------------------------------------------------- inputs
def make_keypair(state_dir: Path) -> Path:
    key = state_dir / "id_ed25519"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ptd-e2e", "-f", str(key)], check=True)
    return key


class Secret(str):
    """A string whose repr hides it: pytest prints fixture values and arguments in failure reports."""

    def __repr__(self):
        return "'********'"


def admin_password(state_dir: Path) -> Secret:
    """The site's admin password: random per state folder, kept in <state>/admin-password (0600), never printed."""
    path = state_dir / "admin-password"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write("ptd-" + secrets.token_urlsafe(18))
    return Secret(path.read_text(encoding="ascii").strip())


def real_bundles(out_dir: Path, variants=("v1",)) -> dict:
    """tests/fixtures/pytrackdat/make_real_bundles.py for the demo's domain and site name: bundles generated by
    PyTrackDat 0.2.1 ({variant: zip}) and the wheelhouse of their requirements ({"wheels": dir}; containers here
    cannot reach PyPI). Cached in ~/.cache/pytrackdat-deploy-tests by their inputs."""
    proc = subprocess.run([sys.executable, str(REPO / "tests/fixtures/pytrackdat/make_real_bundles.py"), "--out", str(out_dir),
                           "--domain", DOMAIN, "--site", SITE_NAME, "--variants", ",".join(variants)],
                          cwd=REPO, capture_output=True, text=True, check=False, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"make_real_bundles.py failed (rc {proc.returncode}): {proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ensure_runtime_base():
    """Test only: Docker Hub's debian:12-slim (FROM of the debian runtime) is the local Debian 12 image here."""
    have = subprocess.run(["docker", "image", "inspect", RUNTIME_BASE], capture_output=True, check=False).returncode == 0
    if have:
        return
    if subprocess.run(["docker", "image", "inspect", RUNTIME_BASE_SOURCE], capture_output=True, check=False).returncode:
        raise RuntimeError(f"{RUNTIME_BASE_SOURCE} is missing: run `make images` first")
    subprocess.run(["docker", "tag", RUNTIME_BASE_SOURCE, RUNTIME_BASE], check=True, capture_output=True)


def site_vars(state_dir: Path, key: Path, password: str, wheelhouse, design: Path | None = None,
              bundle: Path | None = None, with_droplet=True) -> dict:
    """The settings a user writes in inventory/group_vars/all.yml (the password from ansible-vault), for the
    emulated setup: a design CSV that the role generates the site from, or a bundle ptd-generate made."""
    settings = {
        "pytrackdat_site": SITE,
        "pytrackdat_app_domain": DOMAIN,
        "pytrackdat_app_admin_password": password,
        "ansible_ssh_private_key_file": str(key),
        # Test hosts run Debian 13 and reach only Debian's archive, not download.docker.com.
        "docker_install_source": "distro",
        # The debian runtime's base image (debian:12-slim) exists only in this machine's Docker: build here, ship it.
        "pytrackdat_app_build_mode": "control",
        "pytrackdat_app_control_workdir": str(state_dir / "build"),
        # Containers here cannot reach PyPI: the site's requirements come as wheels from the control node.
        "pytrackdat_app_wheelhouse": str(wheelhouse),
        # Pebble, set up inside the host by PEBBLE_SETUP_SCRIPT, is the ACME CA; Caddy trusts its listener CA.
        "pytrackdat_app_acme_ca": PEBBLE_ACME_DIR,
        "pytrackdat_app_acme_ca_root": f"{PEBBLE_DIR}/ca.pem",
        # A container cannot turn on swap.
        "server_setup_swap_enabled": False,
    }
    if design is not None:
        settings.update({"pytrackdat_app_design": str(design), "pytrackdat_app_site_name": SITE_NAME})
    else:
        settings["pytrackdat_app_bundle"] = str(bundle)
    if with_droplet:
        settings.update({
            "pytrackdat_ssh_public_key_file": str(key) + ".pub",
            "pytrackdat_droplet_region": "nyc3",
            "pytrackdat_droplet_size": "s-1vcpu-1gb",
            "pytrackdat_droplet_image": "debian-13-x64",
            "pytrackdat_dns_zone": DNS_ZONE,
            # www.<domain>: a CNAME, and Caddy's certificate and redirect for it (Pebble resolves it via /etc/hosts).
            "pytrackdat_dns_www": True,
            "pytrackdat_app_www_redirect": True,
            "pytrackdat_droplet_user_data": PEBBLE_SETUP_SCRIPT,
        })
    return settings


def write_inventory(inv_dir: Path, settings: dict, static_hosts: dict | None = None) -> Path:
    """An inventory folder as a user keeps it: the droplets plugin config (or a static file) plus group_vars."""
    (inv_dir / "group_vars").mkdir(parents=True, exist_ok=True, mode=0o700)
    all_yml = inv_dir / "group_vars" / "all.yml"
    all_yml.touch(mode=0o600)
    all_yml.chmod(0o600)  # holds the admin password (a user keeps it in ansible-vault)
    all_yml.write_text("---\n" + json.dumps(settings, indent=2) + "\n")
    if static_hosts is None:
        source = inv_dir / "droplets.yml"
        shutil.copy(REPO / "inventory" / "droplets.yml", source)
    else:
        source = inv_dir / "existing-server.yml"
        source.write_text("---\n" + json.dumps({"pytrackdat": {"hosts": static_hosts}}, indent=2) + "\n")
    return source


# ----------------------------------------------------------------------------------------------- playbooks
GENERATE_TASK = "Generate the bundle with PyTrackDat's generator"
# What a first run cannot do without (issue 14 sets the first run against it): the package installs (apt downloads
# and unpacks them), the runtime image's build and its way to the server; and, reported beside them, what DigitalOcean
# and PyTrackDat take (the droplet's boot, the generator).
UNAVOIDABLE = {
    "apt": ["Install sudo, OpenSSH, ufw, fail2ban", "Install Docker and Compose v2 from", "Install Docker Engine, CLI",
            "Install Caddy and curl from the distribution", "Refresh apt's package lists and install"],
    "image": ["Build each image", "Build the runtime image", "Save the changed images on the control node",
              "Copy the image archive to the server", "Load the images on the server"],
    "droplet": ["Create the droplet and wait until it is active"],
    "generate": [GENERATE_TASK],
}


class PlaybookRun:
    def __init__(self, rc, output, seconds, log_path):
        self.rc = rc
        self.output = output
        self.seconds = seconds
        self.log_path = log_path

    @property
    def recap(self) -> dict:
        """PLAY RECAP as {host: {"ok": n, "changed": n, ...}}."""
        hosts = {}
        part = self.output.rsplit("PLAY RECAP", 1)[-1] if "PLAY RECAP" in self.output else ""
        for line in part.splitlines():
            match = re.match(r"^(\S+)\s+:\s+(ok=\d+.*)$", line.strip())
            if match:
                hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
        return hosts

    def phases(self) -> list:
        """(play name, seconds) from the timestamps the run printed (see run_playbook)."""
        marks = re.findall(r"^@@(\d+\.\d+) PLAY \[(.*?)\]", self.output, flags=re.M)
        end = re.findall(r"^@@(\d+\.\d+) PLAY RECAP", self.output, flags=re.M)
        times = [(float(t), name) for t, name in marks] + ([(float(end[-1]), None)] if end else [])
        return [(name, round(times[i + 1][0] - t, 1)) for i, (t, name) in enumerate(times[:-1])]

    def unavoidable(self) -> dict:
        """Seconds of each part in UNAVOIDABLE this run spent."""
        parts = {part: sum(s for fragment in fragments for s in self.task_seconds(fragment))
                 for part, fragments in UNAVOIDABLE.items()}
        # In site.yml's control build mode, the image builds in the background while the server is set up: its task
        # only starts it, and the role reports the build's own duration (docker build's, "<image> built in h:mm:ss").
        # Likewise the server loads the image in the background ("<image> loaded on the server in h:mm:ss").
        parts["image"] += self.background_build_seconds() + self.background_load_seconds()
        return {part: round(seconds, 1) for part, seconds in parts.items()}

    def _reported_seconds(self, words) -> float:
        return round(sum(int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in re.findall(
            r"\s" + r"\s+".join(words.split()) + r"\s+(\d+):(\d+):(\d+(?:\.\d+)?)", self.output)), 1)

    def background_build_seconds(self) -> float:
        """The image build that ran in the background while the server was set up (0 when there was none)."""
        return self._reported_seconds("built in")

    def background_load_seconds(self) -> float:
        """The image load that ran on the server in the background while the deploy went on (0 when none)."""
        return self._reported_seconds("loaded on the server in")

    def overlapped_seconds(self) -> float:
        """Of the background build and load, the seconds other work ran beside them: their durations less the time
        the run waited for them."""
        waited = sum(self.task_seconds("Wait for the image build that started while the server was set up")
                     + self.task_seconds("Wait until the images are loaded on the server"))
        return round(max(0.0, self.background_build_seconds() + self.background_load_seconds() - waited), 1)

    def tail(self, lines=60):
        return "\n".join(self.output.splitlines()[-lines:])

    def task_seconds(self, fragment) -> list:
        """Durations of every run of the tasks whose name contains `fragment`, from profile_tasks' timestamp lines
        (each task header is followed by "(h:mm:ss.s)", the time the previous task took)."""
        stamps, current = [], None
        for line in self.output.splitlines():
            header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+", line)
            if header:
                current = header.group(1)
                continue
            stamp = re.search(r"\((\d+):(\d+):(\d+(?:\.\d+)?)\)\s+\d+:\d+:\d+(?:\.\d+)?\s+\*+\s*$", line)
            if stamp:
                hours, minutes, seconds = stamp.groups()
                stamps.append((current, int(hours) * 3600 + int(minutes) * 60 + float(seconds)))
                current = None
        return [round(stamps[i + 1][1], 1) for i, (name, _stamp) in enumerate(stamps[:-1]) if name and fragment in name]


def playbook_env(emulator: EmulatorProcess | None, state_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("DIGITALOCEAN_ACCESS_TOKEN", None)
    env.pop("DIGITALOCEAN_END_POINT", None)
    env.update({
        "PATH": f"{venv_bin()}:{env.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_HOME": str(REPO / ".ansible"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "PY_COLORS": "0",
        # Emulated droplets reuse 127.0.0.N addresses with new host keys: keep their keys out of ~/.ssh/known_hosts.
        "ANSIBLE_SSH_ARGS": ("-o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=no "
                             "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes"),
        "ANSIBLE_CONTROL_PATH_DIR": str(state_dir / "cp"),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "15",
        "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "30",
    })
    if emulator is not None:
        env["DIGITALOCEAN_ACCESS_TOKEN"] = emulator.token
        env["DIGITALOCEAN_END_POINT"] = emulator.api_url
    return env


def run_playbook(playbook: str, inventory: Path, env: dict, log_path: Path, extra_args=(), echo=True) -> PlaybookRun:
    """ansible-playbook playbooks/<playbook>, output to the terminal (when echo) and log_path, with a
    wall-clock mark before every play so the run can be split into phases."""
    args = [str(venv_bin() / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / playbook), *extra_args]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    lines = []
    with open(log_path, "w", encoding="utf-8") as logfile, subprocess.Popen(
            args, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1) as proc:
        logfile.write("$ " + " ".join(shlex.quote(a) for a in args) + "\n")
        for line in proc.stdout:
            if line.startswith(("PLAY [", "PLAY RECAP")):
                lines.append(f"@@{time.monotonic() - start:.2f} {line}")
            lines.append(line)
            logfile.write(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        rc = proc.wait()
    return PlaybookRun(rc, "".join(lines), time.monotonic() - start, log_path)


# ----------------------------------------------------------------------------------------------- hosts
def ssh(address, user, key: Path, command, state_dir: Path, timeout=30, retries=2):
    """A fresh SSH login (no connection sharing), as a person would make it.

    server_setup rate-limits SSH with ufw (6 new connections in 30 s per source); a connection dropped by that
    limit is retried after the 30 s window (each refused attempt renews it), any other answer is returned as it is."""
    del state_dir  # host keys are not kept: emulated droplets reuse addresses
    args = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
            "-o", "ConnectTimeout=10", "-i", str(key), f"{user}@{address}", command]
    for attempt in range(retries + 1):
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
        dropped = result.returncode == 255 and any(
            text in result.stderr for text in ("kex_exchange_identification", "Connection closed by remote", "Connection reset"))
        if not dropped or attempt == retries:
            return result
        time.sleep(31)
    return result


def ssh_shared(address, user, key: Path, command, state_dir: Path, timeout=60):
    """A command over one shared SSH connection per host and user (OpenSSH multiplexing), for the tests' reads.

    Every new TCP connection counts against ufw's SSH limit (6 in 30 s per source; a refused attempt renews the
    window, and the playbooks' own wait for SSH polls every second), so reads that are not about logging in reuse
    one connection instead of opening their own. Logins that are themselves checked use ssh() above."""
    args = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-o", "ControlMaster=auto",
            "-o", f"ControlPath={state_dir}/ssh-%C", "-o", "ControlPersist=600", "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3", "-o", "ConnectTimeout=10", "-i", str(key), f"{user}@{address}", command]
    # stdin from /dev/null: the master stays in the background and would otherwise set the caller's stdin
    # non-blocking, which every later ansible-playbook refuses ("Ansible requires blocking IO").
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def close_shared_ssh(state_dir: Path):
    """End the multiplexing masters ssh_shared() left running."""
    for socket_path in state_dir.glob("ssh-*"):
        subprocess.run(["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "unused"], capture_output=True,
                       check=False, timeout=30, stdin=subprocess.DEVNULL)


def ufw_ssh_connections(container) -> int:
    """New TCP connections to SSH that the droplet's ufw LIMIT rule has counted (its `recent --set` rule's packets),
    read in the droplet's container (a read over SSH would be one). ufw counts every connection, a login or a probe
    that only reads the banner, and refuses a 6th within 30 s from one address."""
    rules = subprocess.run(["docker", "exec", container, "iptables-save", "-c", "-t", "filter"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    counted = [int(line[1:].split(":", 1)[0]) for line in rules.splitlines()
               if line.startswith("[") and "ufw-user-input" in line and "-m recent --set" in line]
    if not counted:
        raise RuntimeError("no ufw LIMIT rule on SSH in %s:\n%s" % (container, rules))
    return sum(counted)


def ssh_logins(container, since):
    """The SSH logins sshd accepted in the droplet since `since` (epoch seconds), as their times, and the commands run
    over its connections (server_setup sets sshd's LogLevel VERBOSE, which logs each: a module run, a file transfer).
    Read from the journal in the droplet's container (a read over SSH would be a login of its own)."""
    journal = subprocess.run(["docker", "exec", container, "journalctl", "-o", "short-unix", "--no-pager", "-q",
                              "--since", "@%d" % since], capture_output=True, text=True, check=True, timeout=60).stdout
    lines = journal.splitlines()
    return ([float(line.split()[0]) for line in lines if "Accepted publickey" in line],
            sum(1 for line in lines if "Starting session: command" in line))


def droplet_address(emulator: EmulatorProcess, name=DROPLET_NAME):
    droplets = [d for d in emulator.api("GET", "droplets?per_page=200")["droplets"] if d["name"] == name]
    if len(droplets) != 1:
        return None
    return next((n["ip_address"] for n in droplets[0]["networks"]["v4"] if n["type"] == "public"), None)


def free_loopback_address(first=200, last=250):
    """A 127.0.0.N where nothing listens on 22, 80 or 443 and no container publishes (for the plain test host)."""
    used = subprocess.run(["docker", "ps", "--format", "{{.Ports}}"], capture_output=True, text=True, check=True).stdout
    for n in range(first, last + 1):
        address = f"127.0.0.{n}"
        if address + ":" in used:
            continue
        busy = False
        for port in (22, 80, 443):
            with socket.socket() as sock:
                sock.settimeout(0.2)
                busy = busy or sock.connect_ex((address, port)) == 0
        if not busy:
            return address
    raise RuntimeError("no free 127.0.0.N address for the test host")


def fetch_pebble_root(address, key: Path, state_dir: Path, user="deploy") -> str:
    """Pebble's current issuing root, read on the host itself (Pebble listens on the host's loopback only)."""
    result = ssh_shared(address, user, key, f"sudo -n curl -fsS --cacert {PEBBLE_DIR}/ca.pem {PEBBLE_ROOT_URL}", state_dir)
    if result.returncode != 0 or "BEGIN CERTIFICATE" not in result.stdout:
        raise RuntimeError(f"could not read Pebble's root from {address}: {result.stderr.strip()}")
    return result.stdout


def verified_certificate(address, cafile: Path, domain=DOMAIN, port=443) -> dict:
    """Open TLS to address:port for `domain`, verifying the chain against cafile; return the peer certificate."""
    context = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection((address, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=domain) as tls:
            return tls.getpeercert()


def pack_release(bundle: Path, out_dir: Path) -> dict:
    """The role's own bundle check with a release folder: the release the server receives (deterministic, so the same
    bundle gives the same sha256 as the role's copy) as {"path", "sha256", "bytes", "entries", "dropped", ...}."""
    proc = subprocess.run([sys.executable, str(REPO / "roles/pytrackdat_app/files/check_bundle.py"), str(bundle), DOMAIN,
                           str(1 << 30), "50000", str(out_dir)], capture_output=True, text=True, check=True, timeout=300)
    return json.loads(proc.stdout)["release"]


def wait_for(predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
