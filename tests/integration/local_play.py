# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a role's own tasks, taken from its files, in a play on this machine (localhost, this Python, JSON output)."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.unit.plugins.conftest import ansible_env


def run_local_play(tmp_path, plays, timeout=300):
    """ansible-playbook of `plays` (a list of plays) against localhost; the CompletedProcess, stdout in JSON."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(plays))
    env = dict(ansible_env(), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    return subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
                           "ansible_python_interpreter=" + sys.executable, str(playbook)], capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)
