# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task costs against the demo droplet (`make demo` first), by kind: a raw command (SSH only, no Python), a
Python module (ping, command), the same with become, a task that runs on the control node, a skipped task. Then, on
the droplet, one module's own run split into Python's start and the import of ansible's module_utils from the module's
zip (which Python cannot cache: it compiles them from source on every run).

    .venv/bin/python benchmarks/module_cost.py     # prints the table, writes results/module-cost.md and .json

Each kind is TASKS tasks (a loop) after one warm-up task, timed by profile_tasks; the table gives seconds per task.
This is why the first run's ~250 tasks cost about a minute beyond its apt installs, image, boot and generator."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.rerun_ab import STATE, tree_env  # noqa: E402  pylint: disable=wrong-import-position
from tests.e2e import harness  # noqa: E402  pylint: disable=wrong-import-position

TASKS = 20
KINDS = {
    "raw (SSH, no Python on the server)": "ansible.builtin.raw: 'true'\n      changed_when: false",
    "Python module (ping)": "ansible.builtin.ping:",
    "Python module (command)": "ansible.builtin.command: 'true'\n      changed_when: false",
    "Python module with become (command)": "ansible.builtin.command: 'true'\n      changed_when: false\n      become: true",
    "module on the control node (delegate_to)": (
        "ansible.builtin.command: 'true'\n      changed_when: false\n      delegate_to: localhost"),
    "skipped task": "ansible.builtin.command: 'true'\n      when: false",
    "set_fact (no connection)": "ansible.builtin.set_fact:\n        _x: 1",
}
# On the droplet: Python's start alone, then with the modules every AnsiballZ wrapper imports from its zip (the
# payload of a ping, kept with ANSIBLE_KEEP_REMOTE_FILES).
REMOTE = textwrap.dedent("""
    set -eu
    f=$(ls -t ~/.ansible/tmp/*/AnsiballZ_ping.py | head -n 1)
    start=$(date +%s%N); for _ in 1 2 3 4 5 6 7 8 9 10; do python3 -c pass; done; end=$(date +%s%N)
    echo "python3 start $(( (end - start) / 10 / 1000 ))"
    start=$(date +%s%N); for _ in 1 2 3 4 5 6 7 8 9 10; do python3 "$f" > /dev/null; done; end=$(date +%s%N)
    echo "ping payload $(( (end - start) / 10 / 1000 ))"
    rm -rf ~/.ansible/tmp/ansible-tmp-*
""")


def playbook() -> str:
    tasks = []
    for name, body in KINDS.items():
        tasks.append("    - name: warm-up %s\n      %s" % (name, body))
        tasks.append("    - name: %s\n      %s\n      loop: %s" % (name, body, list(range(TASKS))))
    return "- name: Task costs\n  hosts: pytrackdat\n  gather_facts: false\n  tasks:\n" + "\n".join(tasks) + "\n"


def run(env, path: Path, *extra: str) -> str:
    command = [str(harness.venv_bin() / "ansible-playbook"), "-i", str(STATE / "inventory" / "droplets.yml"),
               str(path), "-e", "ansible_user=deploy", *extra]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("the playbook failed:\n" + (proc.stdout + proc.stderr)[-3000:])
    return proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "module-cost",
                        help="write OUT.md and OUT.json (default: benchmarks/results/module-cost)")
    args = parser.parse_args()
    emulator = harness.EmulatorProcess.load(STATE / "emulator")
    if emulator is None:
        sys.exit("no demo emulator: run `make demo` first")
    env = dict(tree_env(REPO, emulator), ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "costs.yml"
        book.write_text(playbook())
        out = run(env, book)
        ping = Path(tmp) / "ping.yml"
        ping.write_text("- name: Keep one module payload\n  hosts: pytrackdat\n  gather_facts: false\n  tasks:\n"
                        "    - name: Ping\n      ansible.builtin.ping:\n    - name: Time Python on the server\n"
                        "      ansible.builtin.raw: %s\n      register: _times\n"
                        "    - name: Show them\n      ansible.builtin.debug:\n        var: _times.stdout_lines\n"
                        % json.dumps(REMOTE))
        remote = run(dict(env, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_PIPELINING="0"), ping)
    seconds = {}
    for name in KINDS:
        found = re.search(r"^%s -+ (\d+\.\d+)s$" % re.escape(name), out, flags=re.M)
        seconds[name] = round(float(found.group(1)) / TASKS, 3) if found else None
    # microseconds per run on the droplet
    server = {key: int(us) for key, us in re.findall(r"(python3 start|ping payload) (\d+)", remote)}
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = ["# What one task costs against the demo droplet", "",
             "Measured %s on %s (%d cores shared), the demo droplet on loopback, by `benchmarks/module_cost.py`: %d tasks "
             "of each kind after one warm-up, timed by profile_tasks."
             % (when, platform.node() or "this machine", os.cpu_count() or 1, TASKS), "",
             "| task kind | seconds per task |", "| --- | ---: |"]
    lines += ["| %s | %s |" % (name, "-" if value is None else "%.3f" % value) for name, value in seconds.items()]
    lines += ["", "On the droplet, one run of each: `python3 -c pass` %.3f s; a ping module's payload (its AnsiballZ "
              "file) %.3f s. The difference is ansible's module_utils, imported from the payload's zip and compiled "
              "from source on every run (Python caches no bytecode for a zip it does not own). A first `site.yml` "
              "runs about 250 tasks: each task that runs a module on the server costs this, which is why fewer, "
              "larger tasks (one command that reads several things, one probe instead of eleven steps) are the way "
              "to a faster first run." % (server.get("python3 start", 0) / 1e6, server.get("ping payload", 0) / 1e6)]
    print("\n".join(lines))
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"per_task_s": seconds, "server_us": server, "tasks": TASKS},
                                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
