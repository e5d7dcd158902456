# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection builds into a Galaxy tarball that installs offline and works from where it was installed."""
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(args, cwd=ROOT, env=None):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    source = out / "source"
    run(["bash", ROOT / "scripts" / "clean-copy.sh", source])
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, "--force"], cwd=source)
    (built,) = out.glob("pytrackdat-deploy-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    dest = tmp_path_factory.mktemp("collections")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest))
    out = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", dest, tarball], cwd=dest, env=env)
    assert "pytrackdat.deploy:0.1.0 was installed successfully" in out, out
    return dest


# What a user of the collection runs or reads; anything else at the top of the tarball is a development file.
SHIPPED_TOP_LEVEL = {"MANIFEST.json", "FILES.json", "COPYING", "README.md", "requirements.txt", "meta", "plugins",
                     "roles", "playbooks", "inventory", "changelogs", "docs", "execution-environment.yml"}
DEV_ONLY = (".venv", ".collections", ".ci", ".config", ".ansible-lint", ".yamllint", ".gitignore", "pytest.ini",
            "Makefile", "ansible.cfg", "requirements-dev.txt", "scripts", "molecule", "tests", "benchmarks", "build",
            "docs/DEVELOPING.md", "changelogs/fragments", "changelogs/config.yaml", "galaxy.yml")
LICENCE_HEADER = "# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)"


@pytest.fixture(scope="module")
def tarball_names(tarball):
    with tarfile.open(tarball) as tar:
        return tar.getnames()


def test_tarball_leaves_development_files_out(tarball_names):
    names = tarball_names
    assert "MANIFEST.json" in names
    for dev_only in DEV_ONLY:
        assert not any(n == dev_only or n.startswith(dev_only + "/") for n in names), f"{dev_only} is shipped"
    unexpected = sorted({n.split("/")[0] for n in names} - SHIPPED_TOP_LEVEL)
    assert not unexpected, f"galaxy.yml build_ignore lets development files into the tarball: {unexpected}"
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_tarball_ships_what_users_run_and_the_licence(tarball, tarball_names):
    names = tarball_names
    for shipped in ("COPYING", "README.md", "meta/runtime.yml", "roles", "plugins/modules", "plugins/inventory",
                    "playbooks/site.yml"):
        assert any(n == shipped or n.startswith(shipped + "/") for n in names), f"{shipped} is missing"
    with tarfile.open(tarball) as tar:
        licence = tar.extractfile("COPYING").read().decode()
        assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence
        assert licence == (ROOT / "COPYING").read_text()
        unlicensed = [n for n in names if n.endswith(".py")
                      and LICENCE_HEADER not in tar.extractfile(n).read().decode().splitlines()[:5]]
    assert not unlicensed, f"Python files shipped without the licence header: {unlicensed}"
    manifest = json.loads(tarfile.open(tarball).extractfile("MANIFEST.json").read())
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]


def test_installed_collection_is_listed_with_its_version(installed):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))
    out = run([BIN / "ansible-galaxy", "collection", "list", "pytrackdat.deploy", "--format", "json", "-p", installed],
              cwd=installed, env=env)
    found = {name: meta["version"] for path in json.loads(out).values() for name, meta in path.items()}
    assert found.get("pytrackdat.deploy") == "0.1.0", found


def test_installed_playbooks_parse_by_their_fqcn(installed, tmp_path):
    playbooks = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))
    assert playbooks, "the collection ships no playbooks"
    empty_config = tmp_path / "ansible.cfg"
    empty_config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_CONFIG=str(empty_config))
    inventory = "localhost,"
    for name in playbooks:
        run([BIN / "ansible-playbook", "-i", inventory, "--syntax-check", f"pytrackdat.deploy.{name}"], cwd=installed, env=env)


def test_readme_ansible_doc_commands_work_from_the_install(installed, tmp_path):
    """Every `ansible-doc ...` the README gives renders from an installed collection (ansible-doc exits 0 with only a
    warning when a plugin is not found, so the output is checked, not the exit status)."""
    commands = re.findall(r"`(ansible-doc [^`]+)`", (ROOT / "README.md").read_text())
    assert any("-t inventory" in c for c in commands), commands
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
    empty_config = tmp_path / "ansible.cfg"
    empty_config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_CONFIG=str(empty_config))
    for command in commands:
        for name in modules if "<name>" in command else [None]:
            args = shlex.split(command.replace("<name>", name or ""))
            proc = subprocess.run([BIN / args[0], *args[1:]], cwd=installed, env=env, capture_output=True, text=True,
                                  timeout=120, check=False)
            assert proc.returncode == 0 and "not found" not in proc.stderr, (args, proc.stderr)
            assert args[-1] in proc.stdout, (args, proc.stdout[:300])
