# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest configuration: the DigitalOcean API emulator fixtures (do_emulator, do_env), and the line between
the test tiers: tests/unit runs without a Docker engine (make unit), tests/integration has what needs one."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.do_emulator.pytest_plugin"]

UNIT = Path(__file__).resolve().parent / "unit"
# Where a unit test's docker client looks for an engine: nothing listens there, so a unit test that reaches for
# Docker fails at once on every machine, not only on one without an engine.
NO_ENGINE = "unix:///nonexistent/unit-tests-have-no-docker-engine.sock"


def in_unit_tier(item):
    return Path(str(item.path)).resolve().is_relative_to(UNIT)


def pytest_collection_modifyitems(items):
    misplaced = [item.nodeid for item in items if in_unit_tier(item) and item.get_closest_marker("docker")]
    if misplaced:
        raise pytest.UsageError("tests marked docker belong in tests/integration (make unit runs without Docker): "
                                + ", ".join(misplaced))


@pytest.fixture(autouse=True)
def _unit_tests_have_no_docker_engine(request, monkeypatch):
    if in_unit_tier(request.node):
        monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)
