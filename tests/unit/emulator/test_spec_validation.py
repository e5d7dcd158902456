# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The spec checks themselves: they catch broken traffic, skip with a reason, and fail tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from tests.do_emulator import Emulator, responses
from tests.do_emulator.models import ApiError
from tests.do_emulator.validation import load_spec_dict, spec_missing_reason

REPO = Path(__file__).resolve().parents[3]
needs_spec = pytest.mark.skipif(spec_missing_reason() is not None, reason=str(spec_missing_reason()))


def test_missing_spec_gives_a_reason_naming_the_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PTD_DO_OPENAPI_SPEC", str(tmp_path / "nowhere.yaml"))
    reason = spec_missing_reason()
    assert reason and str(tmp_path / "nowhere.yaml") in reason and "PTD_DO_OPENAPI_SPEC" in reason


@pytest.mark.spec
@needs_spec
def test_the_one_invalid_schema_is_fixed_on_load():
    stop = load_spec_dict()["components"]["schemas"]["chat_completion_request"]["properties"]["stop"]
    assert stop["default"] is None and stop["nullable"] is True


@pytest.mark.spec
@needs_spec
def test_a_response_outside_the_spec_is_recorded(monkeypatch):
    def broken_get_droplet(call):
        droplet = dict(call.state.get_droplet(call.params["droplet"]))
        del droplet["networks"]
        droplet["status"] = "sleeping"
        return 200, {"droplet": droplet}

    routes = [(m, t, p, broken_get_droplet if h is responses.get_droplet else h) for m, t, p, h in responses._COMPILED]  # pylint: disable=protected-access
    monkeypatch.setattr(responses, "_COMPILED", routes)
    with Emulator(validate=True) as emulator:
        with emulator.state.lock:
            droplets, _actions, _multiple = emulator.state.create_droplets(
                {"name": "x", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"})
        answer = requests.get(f"{emulator.url}droplets/{droplets[0]['id']}",
                              headers={"Authorization": f"Bearer {emulator.token}"}, timeout=10)
        assert answer.status_code == 200
        (violation,) = emulator.response_violations()
        assert "networks" in violation["message"] and "sleeping" in violation["message"]


def _bad_token(emulator):
    return requests.get(emulator.url + "account", headers={"Authorization": "Bearer not-the-token"}, timeout=10)


def _over_the_limit(emulator):
    headers = {"Authorization": f"Bearer {emulator.token}"}
    assert requests.get(emulator.url + "account", headers=headers, timeout=10).status_code == 200
    return requests.get(emulator.url + "account", headers=headers, timeout=10)


def _injected_503(emulator):
    emulator.faults.next(1, "503")
    return requests.get(emulator.url + "droplets", headers={"Authorization": f"Bearer {emulator.token}"}, timeout=10)


def _unknown_path(emulator):
    return requests.get(emulator.url + "nowhere", headers={"Authorization": f"Bearer {emulator.token}"}, timeout=10)


@pytest.mark.spec
@needs_spec
@pytest.mark.parametrize("status, provoke", [(401, _bad_token), (429, _over_the_limit), (503, _injected_503),
                                             (404, _unknown_path)], ids=["401", "429", "503", "404-unrouted"])
def test_error_answers_are_validated_too(monkeypatch, status, provoke):
    with Emulator(validate=True, rate_limit_per_minute=1) as emulator:
        answer = provoke(emulator)
        assert answer.status_code == status and "ratelimit-remaining" in answer.headers
        assert emulator.response_violations() == [], "the emulator's own error answer follows the spec"

        monkeypatch.setitem(ApiError.IDS, status, 12345)   # deliberately broken: the spec says id is a string
        emulator.reset()
        answer = provoke(emulator)
        assert answer.status_code == status and answer.json()["id"] == 12345
        (violation,) = emulator.response_violations()
        assert violation["status"] == status, violation
        assert "12345" in violation["message"] or "string id" in violation["message"], violation


@pytest.mark.spec
@needs_spec
def test_a_request_outside_the_spec_is_reported_and_known_client_quirks_are_allowed():
    with Emulator(validate=True) as emulator:
        headers = {"Authorization": f"Bearer {emulator.token}"}
        body = {"name": "q", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64", "vpc_uuid": None}
        assert requests.post(emulator.url + "droplets", json=body, headers=headers, timeout=10).status_code == 202
        assert emulator.request_violations() == []
        assert "null fields ['vpc_uuid']" in emulator.allowed_deviations[-1]["reason"]
        body = dict(body, name="q2", backups="yes")
        requests.post(emulator.url + "droplets", json=body, headers=headers, timeout=10)
        (violation,) = emulator.request_violations()
        assert violation["path"] == "/v2/droplets"
        assert emulator.response_violations() == []


@pytest.mark.spec
@needs_spec
def test_the_fixture_fails_a_test_whose_responses_break_the_spec(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.do_emulator.pytest_plugin"]\n')
    (tmp_path / "test_broken.py").write_text(textwrap.dedent("""
        import requests

        def test_fine(do_emulator):
            assert requests.get(do_emulator.url + "account", timeout=10,
                                headers={"Authorization": "Bearer " + do_emulator.token}).status_code == 200

        def test_broken(do_emulator):
            do_emulator.state.droplet_limit = "lots"   # the account now answers a string where the spec says integer
            requests.get(do_emulator.url + "account", timeout=10, headers={"Authorization": "Bearer " + do_emulator.token})
    """))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(tmp_path)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout and "error" not in result.stdout.splitlines()[-1], result.stdout
    assert "outside DigitalOcean's OpenAPI spec" in result.stdout and "droplet_limit" in result.stdout
