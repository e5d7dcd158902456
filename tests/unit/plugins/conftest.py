# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the plugin tests: run a module's main() in-process against the emulator, over HTTP."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
COLLECTIONS = os.path.join(ROOT, ".collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# pylint: disable=wrong-import-position
try:
    from ansible.module_utils.testing import patch_module_args  # noqa: E402
except ImportError:  # ansible-core < 2.19 (the oldest supported core, make matrix) reads the arguments from basic
    @contextlib.contextmanager
    def patch_module_args(args=None):
        """What ansible-core 2.19's helper does, for the older cores: the module's input, then the old one back."""
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
        saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access

from tests.do_emulator.pytest_plugin import assert_loopback  # noqa: E402

DO_ENV_VARS = ("DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DIGITALOCEAN_END_POINT",
               "DIGITALOCEAN_API_URL", "PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC")


@pytest.fixture(autouse=True)
def clean_do_environment(monkeypatch):
    """No token or end point leaks in from the developer's shell, and none leaks out of a test."""
    for name in DO_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def our_requests_follow_the_spec(request):
    """Every request our plugins send must match DigitalOcean's OpenAPI spec (the emulator checks each one)."""
    emulator = request.getfixturevalue("do_emulator") if "do_emulator" in request.fixturenames else None
    yield
    if emulator is not None and emulator.request_violations():
        pytest.fail("requests outside DigitalOcean's OpenAPI spec:\n" + "\n".join(
            "%s %s: %s" % (v["method"], v["path"], v["message"][-400:]) for v in emulator.request_violations()),
            pytrace=False)


def call_module(module, args, check_mode=False, diff=False):
    """Run ``module.main()`` with ``args`` and return the JSON result it printed (failed or not)."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), as_a_module_process():
        try:
            module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


@contextlib.contextmanager
def as_a_module_process():
    """A module runs in a process of its own, never in the controller's. ansible-core 2.19 sends a module's warnings to
    the controller's display instead of its result once any controller code is imported in the process (a filter
    plugin's test imports ansible.errors), so a worker that ran such a test first lost the warnings of every module
    test after it. Older cores have no such switch."""
    try:
        from ansible.module_utils import _internal  # pylint: disable=import-outside-toplevel
    except ImportError:
        yield
        return
    saved = getattr(_internal, "is_controller", None)
    _internal.is_controller = False
    try:
        yield
    finally:
        _internal.is_controller = saved


@pytest.fixture
def api_args(do_emulator):
    """Connection options that point at the (loopback) emulator."""
    return {"api_url": assert_loopback(do_emulator.url), "api_token": do_emulator.token}


@pytest.fixture
def run(api_args):
    """run(module, check_mode=False, diff=False, **options) -> result dict."""
    def _run(module, check_mode=False, diff=False, **options):
        args = dict(api_args)
        args.update(options)
        return call_module(module, args, check_mode=check_mode, diff=diff)
    return _run


def writes(request_log, since=0):
    """The requests after ``since`` that could have changed something."""
    return [r for r in request_log[since:] if r["method"] not in ("GET", "HEAD")]


def ansible_env(extra=None):
    """Environment for ansible CLI subprocesses that resolve pytrackdat.deploy from the checkout."""
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
                "ANSIBLE_HOME": os.path.join(ROOT, ".ansible"), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_INVENTORY_CACHE": "0", "PY_COLORS": "0"})
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env
