#!/usr/bin/env python
# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` / `make demo-destroy`: the whole deployment against a local DigitalOcean emulator.

    python -m tests.e2e.demo up [--design CSV]   # emulator + site.yml from a design CSV, prints the site's address
    python -m tests.e2e.demo down                # destroy.yml, then stop the emulator (its containers go with it)

The site is a real PyTrackDat site: the role runs PyTrackDat's own generator (pytrackdat 0.2.1) on the design CSV
(default: the sample design tests/fixtures/pytrackdat/design.csv, a table of field sites and a table of samples
collected at them) and deploys what it generates. State lives in .demo/ (emulator URL and pid, SSH key, admin password,
inventory, generated bundle, logs). Nothing but loopback, the project's own containers and, to install PyTrackDat's
generator and the site's Python packages on this machine, PyPI is contacted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e import harness

STATE = harness.REPO / ".demo"


def prerequisites_missing() -> int:
    """What `make demo` checks first: the Docker engine, and debootstrap and root if the test-host images are not built."""
    check = [harness.REPO / "molecule" / "resources" / "build-images.sh", "--check", "13", "12"]
    return subprocess.run(["bash", *map(str, check)], check=False).returncode


def up(design: Path):
    missing = prerequisites_missing()
    if missing:
        return missing
    design = design.resolve()
    if not design.is_file():
        print(f"design CSV not found: {design}", file=sys.stderr)
        return 2
    STATE.mkdir(exist_ok=True, mode=0o700)
    emulator = harness.EmulatorProcess.load(STATE / "emulator")
    if emulator is None:
        harness.log("Starting the DigitalOcean emulator (droplets are local containers) ...")
        emulator = harness.EmulatorProcess.start(STATE / "emulator")
    harness.log(f"Emulator at {emulator.url} (pid {emulator.pid}); its token stands in for your DigitalOcean token.")
    emulator.ensure_domain(harness.DNS_ZONE)
    key = harness.make_keypair(STATE)
    password = harness.admin_password(STATE)
    # Demo only: the site's Python packages as wheels (its containers cannot reach PyPI here) and Docker Hub's
    # debian:12-slim stood in by the local Debian 12 image.
    harness.log("Preparing the wheelhouse of the site's requirements and the runtime's base image ...")
    harness.ensure_runtime_base()
    wheels = harness.real_bundles(STATE / "wheelhouse")["wheels"]
    settings = harness.site_vars(STATE, key, password, wheels, design=design)
    inventory = harness.write_inventory(STATE / "inventory", settings)
    env = harness.playbook_env(emulator, STATE)
    harness.log(f"Design: {design} (PyTrackDat generates the site from it on this machine)")
    harness.log(f"Running: ansible-playbook -i {inventory} playbooks/site.yml  (a few minutes on the first run)")
    run = harness.run_playbook("site.yml", inventory, env, STATE / "logs" / "site.log")
    if run.rc:
        print(f"\nsite.yml failed (rc {run.rc}); full log: {run.log_path}", file=sys.stderr)
        return run.rc
    address = harness.droplet_address(emulator)
    parts = run.unavoidable()
    base = parts["apt"] + parts["image"]
    against = f" = {run.seconds / base:.2f}x its apt installs ({parts['apt']} s) and image ({parts['image']} s)" if base else ""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"""
================================================================================================
 The demo site is up: https://{harness.DOMAIN}/
 Its "droplet" is a container at {address}; {harness.DOMAIN} is not in DNS, so point it there:
   curl --resolve {harness.DOMAIN}:443:{address} -k https://{harness.DOMAIN}/login/
   or add this line to /etc/hosts:   {address} {harness.DOMAIN}
   or: chromium --host-resolver-rules="MAP {harness.DOMAIN} {address}" https://{harness.DOMAIN}/
 The certificate comes from a test ACME server (Pebble) inside the droplet, so browsers warn about it.
 Log in: https://{harness.DOMAIN}/login/   user {harness.ADMIN_USER}   password: in {STATE / 'admin-password'}
 The admin lists the design's tables ({design.name}); add records, take snapshots.
 SSH:    ssh -i {key} deploy@{address}   (root login is refused)
 This run: {run.seconds:.1f} s{against}; droplet boot {parts['droplet']} s, PyTrackDat's generator
   {parts['generate']} s; load average {load}. A second `make demo` is a no-change rerun.
 Timings per play: {', '.join(f'{name} {secs}s' for name, secs in run.phases())}
 Remove everything: make demo-destroy
================================================================================================""")
    return 0


def down():
    emulator = harness.EmulatorProcess.load(STATE / "emulator")
    if emulator is None:
        harness.log("No demo emulator is running: nothing to destroy.")
        return 0
    inventory = STATE / "inventory" / "droplets.yml"
    rc = 0
    if inventory.exists():
        env = harness.playbook_env(emulator, STATE)
        run = harness.run_playbook("destroy.yml", inventory, env, STATE / "logs" / "destroy.log",
                                   extra_args=["-e", f"confirm_destroy={harness.DROPLET_NAME}"])
        rc = run.rc
    harness.log("Stopping the emulator (it removes any container it made) ...")
    emulator.stop(STATE / "emulator")
    left = harness.emulator_containers_of(emulator)
    if left:
        print(f"left behind: {left}", file=sys.stderr)
        return 1
    harness.log("Done: no droplet, firewall, DNS record or container is left.")
    return rc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("--design", type=Path, default=harness.DESIGN,
                        help="design CSV (PyTrackDat 0.2.1's 7-column format); default: %(default)s")
    args = parser.parse_args(argv)
    return up(args.design) if args.action == "up" else down()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
