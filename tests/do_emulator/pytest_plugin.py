# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pytest fixtures for the DigitalOcean API emulator.

Register with ``pytest_plugins = ["tests.do_emulator.pytest_plugin"]`` (tests/conftest.py does).

- ``do_emulator``: one server per test session, ``reset()`` before each test; traffic is checked
  against DigitalOcean's OpenAPI spec (vendored in ``openapi/``), and a test whose traffic drew a
  response that breaks the spec fails (at teardown) with the violations listed. Without the spec
  (or openapi-core) the run stops before the first test: nothing runs unvalidated or skips quietly.
- ``do_env``: ``do_emulator`` plus the environment python-digitalocean reads
  (``DIGITALOCEAN_END_POINT``, ``DIGITALOCEAN_ACCESS_TOKEN``, a request timeout); refuses to run
  unless the end point is loopback, so a test can never reach the real API.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

import pytest

from .app import Emulator
from .validation import require_spec, spec_missing_reason


def assert_loopback(url):
    """Fail closed: raise unless ``url`` points at 127.0.0.0/8 or ::1."""
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise RuntimeError(f"refusing to run DigitalOcean client tests against {url!r}: not a loopback address")
    return url


def pytest_configure(config):
    """A missing spec is an error for the whole run, before any test: tests that check traffic against it
    must neither skip nor run unvalidated in a clone that lacks it (xdist workers leave it to the controller)."""
    reason = spec_missing_reason()
    if reason and not hasattr(config, "workerinput"):
        raise pytest.UsageError(f"the DigitalOcean emulator's tests need the OpenAPI spec: {reason}")


@pytest.fixture(scope="session")
def do_emulator_session():
    """The session's emulator, validating every exchange against the spec."""
    require_spec()
    emulator = Emulator(machine_backend="none", validate=True, action_delay=0.2)
    emulator.start()
    yield emulator
    emulator.stop()


def _broken(emulator):
    """Response violations and emulator crashes, as a failure message (empty when there are none)."""
    broken = emulator.response_violations() + [v for v in emulator.violations if v["kind"] == "emulator"]
    if not broken:
        return ""
    return ("the emulator answered outside DigitalOcean's OpenAPI spec (or crashed):\n"
            + "\n".join(json.dumps(v)[:1500] for v in broken))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn a passing test whose traffic broke the spec into a failed test (not a teardown error)."""
    outcome = yield
    report = outcome.get_result()
    emulator = getattr(item, "_do_emulator", None)
    if call.when == "call" and emulator is not None and report.passed:
        message = _broken(emulator)
        if message:
            report.outcome = "failed"
            report.longrepr = message
            item._do_emulator_reported = True  # pylint: disable=protected-access


@pytest.fixture
def do_emulator(do_emulator_session, request):  # pylint: disable=redefined-outer-name
    """A clean emulator for this test; fails the test if any response broke the spec."""
    emulator = do_emulator_session
    emulator.reset()  # also restores action_delay (0.2 s) and droplet_limit a previous test changed
    request.node._do_emulator = emulator  # pylint: disable=protected-access
    yield emulator
    message = _broken(emulator)
    if message and not getattr(request.node, "_do_emulator_reported", False):
        pytest.fail(message, pytrace=False)  # the test failed anyway: say it here as well


@pytest.fixture
def do_env(do_emulator, monkeypatch):  # pylint: disable=redefined-outer-name
    """``do_emulator`` with python-digitalocean's environment pointing at it."""
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", assert_loopback(do_emulator.url))
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", do_emulator.token)
    monkeypatch.setenv("PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC", "10")
    return do_emulator
