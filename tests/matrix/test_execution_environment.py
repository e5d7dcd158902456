"""The supported ansible-core range is one statement, and execution-environment.yml builds from it (make matrix).

`ansible-builder create` runs offline: it turns execution-environment.yml into the build context AWX's image is built
from. The checks: every file the Containerfile copies is in the context, the context installs the collection, the
collections galaxy.yml depends on and the collection's Python requirements, and the ansible-core it installs is the
range requirements.txt, meta/runtime.yml, README and the core matrix agree on.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def core_range():
    """requirements.txt's ansible-core specifier, e.g. '>=2.17.0,<2.22'."""
    for line in (REPO / "requirements.txt").read_text().splitlines():
        match = re.match(r"^ansible-core\s*([^#\s]+)", line)
        if match:
            return match.group(1)
    raise AssertionError("requirements.txt names no ansible-core")


def matrix_cores():
    """OLDEST_CORE and NEWEST_CORE of tests/matrix/run.sh."""
    text = (REPO / "tests" / "matrix" / "run.sh").read_text()
    return {name: re.search(rf"^{name}=([0-9.]+)$", text, re.M).group(1) for name in ("OLDEST_CORE", "NEWEST_CORE")}


def version(text):
    return tuple(int(part) for part in text.split("."))


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run(["ansible-builder", "create", "-f", str(REPO / "execution-environment.yml"), "-c", str(out),
                           "--output-filename", "Containerfile"], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_supported_range_is_stated_the_same_everywhere_and_the_matrix_tests_its_ends():
    spec = core_range()
    lower, upper = re.fullmatch(r">=([0-9.]+),<([0-9.]+)", spec).groups()
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=" + lower
    cores = matrix_cores()
    assert version(cores["OLDEST_CORE"])[:2] == version(lower)[:2], (cores, spec)
    assert version(lower) <= version(cores["NEWEST_CORE"]) < version(upper)
    assert version(cores["NEWEST_CORE"])[:2] == (version(upper)[0], version(upper)[1] - 1), (cores, spec)
    readme = (REPO / "README.md").read_text()
    tested = readme.split("## Tested with", 1)[1].split("\n## ", 1)[0]
    assert f"`{spec}`" in tested
    for core in cores.values():
        assert f"| {'.'.join(core.split('.')[:2])} ({core}) |" in tested, core


def test_ansible_builder_makes_a_complete_build_context(context):
    containerfile = (context / "Containerfile").read_text()
    copied = re.findall(r"^COPY (?!--from)(\S+) ", containerfile, re.M)
    assert copied and all((context / source).exists() for source in copied), copied
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core{core_range()} ' in containerfile
    assert re.search(r"^ENTRYPOINT .*entrypoint", containerfile, re.M)


def test_the_context_installs_the_collection_its_dependencies_and_its_python_requirements(context):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    wanted = {f"{galaxy['namespace']}.{galaxy['name']}"} | set(galaxy["dependencies"])
    collections = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    assert {c["name"] for c in collections} == wanted
    python = set((context / "_build" / "requirements.txt").read_text().split())
    ours = {line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()}
    assert python == {line for line in ours if line and not line.startswith("ansible-core")}
