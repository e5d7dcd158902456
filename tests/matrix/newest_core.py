"""The newest ansible-core as the control node, and the collection run the way AWX runs a job (make matrix).

A Debian 13 container (python3.13; PyPI is unreachable from containers, so everything comes from wheels downloaded on
the host) installs ansible-core NEWEST_CORE and ansible-runner, runs ansible-test sanity and the plugins' unit tests on
a clean copy of the collection, then runs `ansible-runner run` on a private data folder laid out as AWX lays it out:

    project/pytrackdat.yml     the job template's playbook: imports pytrackdat.deploy.provision and .setup
    inventory/droplets.yml     the collection's inventory plugin (an AWX inventory source)
    env/extravars              the job template's variables
    env/envvars                what a custom credential type injects: the DigitalOcean token and end point
    env/ssh_key                the machine credential (runner loads it into an ssh-agent)

against the DigitalOcean emulator on the host (its droplets are systemd containers on 127.0.0.N, reached through the
host network). Then, on the host: the job succeeded, the droplet exists and was set up, and the token appears nowhere in
what AWX keeps of a job (stdout, job events); only runner's record of the environment (artifacts/<ident>/command,
mode 0600, like env/envvars itself) holds it. Everything made here is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# pylint: disable=wrong-import-position
from tests.e2e import harness  # noqa: E402

SITE = "matrix"
DROPLET = f"pytrackdat-{SITE}"
IMAGE = "local/debian-systemd:13"
CONTAINER = "ptd-matrix-newest-core"
JOB_PLAYBOOK = """---
# The job template's playbook in an AWX project: the collection's playbooks by their FQCN. A full site is
# pytrackdat.deploy.site; this test stops after setup (the deploy step is covered by make e2e).
- name: Provision the droplet
  ansible.builtin.import_playbook: pytrackdat.deploy.provision

- name: Set up the server
  ansible.builtin.import_playbook: pytrackdat.deploy.setup
"""


def private_data_dir(root: Path, emulator, key: Path) -> Path:
    """ansible-runner's input folder, as AWX writes it for a job (paths as the container sees them, under /runner)."""
    shutil.rmtree(root, ignore_errors=True)
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True)
    (root / "project" / "pytrackdat.yml").write_text(JOB_PLAYBOOK)
    shutil.copy(REPO / "inventory" / "droplets.yml", root / "inventory" / "droplets.yml")
    shutil.copy(key.with_suffix(".pub"), root / "env" / "id_ed25519.pub")
    extravars = {
        "pytrackdat_site": SITE,
        "pytrackdat_app_domain": "ptd-matrix.example.test",
        "pytrackdat_ssh_public_key_file": "/runner/env/id_ed25519.pub",
        "pytrackdat_droplet_region": "nyc3",
        "pytrackdat_droplet_size": "s-1vcpu-1gb",
        "pytrackdat_droplet_image": "debian-13-x64",
        "docker_install_source": "distro",      # download.docker.com is unreachable here
        "server_setup_swap_enabled": False,     # a container cannot turn on swap
    }
    envvars = {
        "DIGITALOCEAN_ACCESS_TOKEN": emulator.token,
        "DIGITALOCEAN_END_POINT": emulator.api_url,
        "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC": "30",
        # AWX runs jobs with host key checking off; emulated droplets also reuse 127.0.0.N with new host keys.
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null",
    }
    for name, data in (("extravars", extravars), ("envvars", envvars)):
        path = root / "env" / name
        path.write_text(json.dumps(data, indent=2) + "\n")
        path.chmod(0o600)
    shutil.copy(key, root / "env" / "ssh_key")
    (root / "env" / "ssh_key").chmod(0o600)
    return root


def run_container(args, runner_dir: Path) -> int:
    """in-container.sh in a throw-away Debian 13 container on the host network (the emulator and droplets are on lo)."""
    community = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "ansible_collections"
    cmd = ["docker", "run", "--rm", "--name", CONTAINER, "--network", "host",
           "-e", f"NEWEST_CORE={args.core}", "-e", f"AWX_JOB={0 if runner_dir is None else 1}",
           "-e", f"UNIT_WORKERS={args.workers}", "-e", "SANITY", "-e", "UNIT", "-e", "LIBRARY_RANGE_TEST",
           "-v", f"{args.wheels}:/wheels:ro", "-v", f"{community}:/community/ansible_collections:ro",
           "-v", f"{args.src}:/src"]
    if runner_dir is not None:
        cmd += ["-v", f"{runner_dir}:/runner"]
    cmd += [IMAGE, "bash", "/src/ansible_collections/pytrackdat/deploy/tests/matrix/in-container.sh"]
    subprocess.run(["docker", "rm", "-f", CONTAINER], capture_output=True, check=False)
    return subprocess.run(cmd, check=False, timeout=3600).returncode


def check_job(runner_dir: Path, emulator) -> list[str]:
    """What AWX would show for the job, and the secret that must not be in it. Returns the problems found."""
    problems = []
    artifacts = runner_dir / "artifacts" / "matrix"
    status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
    if status != "successful":
        problems.append(f"runner status {status!r} (see {artifacts / 'stdout'})")
    # What AWX keeps and shows (stdout, job events) must not hold the token. Runner's own record of the job's
    # environment, artifacts/<ident>/command, does (like env/envvars, the input): it must stay readable by its owner only.
    holders = sorted(str(p.relative_to(artifacts)) for p in artifacts.rglob("*")
                     if p.is_file() and emulator.token.encode() in p.read_bytes())
    if holders != ["command"]:
        problems.append(f"the DigitalOcean token is in these artifacts (only 'command' may hold it): {holders}")
    if (artifacts / "command").exists() and (artifacts / "command").stat().st_mode & 0o077:
        problems.append("artifacts/matrix/command (it holds the job's environment) is readable by others")
    if not list((artifacts / "job_events").glob("*.json")):
        problems.append("no job events were written")
    stats = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")]
    stats = [e["event_data"] for e in stats if e.get("event") == "playbook_on_stats"]
    if not stats or stats[0].get("failures") or stats[0].get("dark") or DROPLET not in stats[0].get("ok", {}):
        problems.append(f"job stats: {stats[:1]}")
    droplets = emulator.api("GET", "droplets").get("droplets", [])
    if [d["name"] for d in droplets] != [DROPLET]:
        problems.append(f"droplets at the emulator: {[d['name'] for d in droplets]}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--core", required=True)
    parser.add_argument("--wheels", type=Path, required=True)
    parser.add_argument("--src", type=Path, required=True, help="folder holding ansible_collections/pytrackdat/deploy")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--workers", default="2")
    parser.add_argument("--no-awx-job", action="store_true")
    args = parser.parse_args(argv)
    args.state.mkdir(parents=True, exist_ok=True)
    if args.no_awx_job:
        return run_container(args, None)
    emulator = harness.EmulatorProcess.start(args.state / "emulator")
    try:
        key = harness.make_keypair(args.state)
        runner_dir = private_data_dir(args.state / "runner", emulator, key)
        start = time.monotonic()
        rc = run_container(args, runner_dir)
        print(f"matrix: container (sanity, unit, ansible-runner job) rc {rc} in {time.monotonic() - start:.0f} s", flush=True)
        problems = check_job(runner_dir, emulator)
    finally:
        emulator.stop(args.state / "emulator")
    for problem in problems:
        print("matrix: " + problem, file=sys.stderr)
    return 1 if rc or problems else 0


if __name__ == "__main__":
    sys.exit(main())
