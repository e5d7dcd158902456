# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate limits, fault injection, the state file, the CLI and scale: each on its own emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import digitalocean
import pytest
import requests

from tests.do_emulator import Emulator
from tests.do_emulator.pytest_plugin import assert_loopback
from tests.do_emulator.validation import spec_missing_reason

from .helpers import public_key, wait_for

REPO = Path(__file__).resolve().parents[3]


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def make_emulator():
    """Start emulators with custom settings; stop them all afterwards and check their responses."""
    started = []

    def make(**kwargs):
        kwargs.setdefault("validate", spec_missing_reason() is None)
        emulator = Emulator(**kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
    for emulator in started:
        assert emulator.response_violations() == []


def _get(emulator, path, token=None):
    return requests.get(emulator.url + path, headers={"Authorization": f"Bearer {token or emulator.token}"}, timeout=10)


def _create(emulator, *names, **extra):
    body = {"names": list(names), "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}
    body.update(extra)
    response = requests.post(emulator.url + "droplets", json=body, headers={"Authorization": f"Bearer {emulator.token}"},
                             timeout=10)
    assert response.status_code == 202, response.text
    return [d["id"] for d in response.json()["droplets"]]


# ------------------------------------------------------------------------------- rate limits
def test_every_response_carries_rate_limit_headers_that_count_down(make_emulator):
    emulator = make_emulator(rate_limit_per_hour=100)
    remaining = [int(_get(emulator, "account").headers["ratelimit-remaining"]) for dummy in range(3)]
    assert remaining == [99, 98, 97]
    response = _get(emulator, "account")
    assert response.headers["ratelimit-limit"] == "100"
    assert int(response.headers["ratelimit-reset"]) > time.time()


def test_429_with_retry_after_after_the_per_minute_limit_then_recovers(make_emulator, monkeypatch):
    emulator = make_emulator(rate_limit_per_minute=5)
    clock = FakeClock()
    emulator.rate_limiter.clock = clock
    assert [_get(emulator, "account").status_code for dummy in range(5)] == [200] * 5
    limited = _get(emulator, "account")
    assert limited.status_code == 429
    assert limited.json()["id"] == "too_many_requests" and limited.json()["message"] == "API rate limit exceeded."
    assert limited.headers["retry-after"] == "60"
    assert limited.headers["ratelimit-remaining"] == str(emulator.rate_limit_per_hour - 5), "a 429 costs nothing"

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", assert_loopback(emulator.url))
    with pytest.raises(digitalocean.DataReadError, match="rate limit"):
        digitalocean.Manager(token=emulator.token).get_account()

    clock.now += 30
    assert _get(emulator, "account").status_code == 429
    assert int(_get(emulator, "account").headers["retry-after"]) == 30
    clock.now += 31
    assert _get(emulator, "account").status_code == 200


def test_per_hour_limit(make_emulator):
    emulator = make_emulator(rate_limit_per_minute=0, rate_limit_per_hour=3)
    assert [_get(emulator, "account").status_code for dummy in range(4)] == [200, 200, 200, 429]


def test_limits_count_per_token_and_bad_tokens_get_401(make_emulator):
    emulator = make_emulator(rate_limit_per_minute=2)
    response = _get(emulator, "account", token="not-the-token")
    assert response.status_code == 401
    assert response.json() == {"id": "unauthorized", "message": "Unable to authenticate you.",
                               "request_id": response.json()["request_id"]}
    assert [_get(emulator, "account").status_code for dummy in range(3)] == [200, 200, 429]


RATE_LIMIT_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def test_every_error_answer_carries_rate_limit_headers(make_emulator):
    emulator = make_emulator(rate_limit_per_minute=4)
    answers = [
        ("wrong token", 401, _get(emulator, "account", token="not-the-token")),
        ("no token", 401, requests.get(emulator.url + "account", timeout=10)),
        ("unknown droplet", 404, _get(emulator, "droplets/999999")),
        ("unknown path", 404, _get(emulator, "nowhere")),
        ("method not allowed", 405, requests.patch(emulator.url + "droplets", json={}, timeout=10,
                                                   headers={"Authorization": f"Bearer {emulator.token}"})),
    ]
    assert _get(emulator, "account").status_code == 200, "the fourth counted request of the minute"
    answers.append(("per-minute limit", 429, _get(emulator, "account")))
    for kind in ("429", "500", "503"):
        emulator.faults.next(1, kind)
        answers.append((f"injected {kind}", int(kind), _get(emulator, "account")))
    for what, status, answer in answers:
        assert answer.status_code == status, (what, answer.status_code, answer.text)
        assert answer.json()["id"] and answer.json()["message"], what
        values = {h: answer.headers.get(h, "") for h in RATE_LIMIT_HEADERS}
        assert all(v.isdigit() for v in values.values()), f"{what} ({status}) answered rate-limit headers {values}"
        assert int(values["ratelimit-remaining"]) <= int(values["ratelimit-limit"]) == emulator.rate_limit_per_hour
        assert int(values["ratelimit-reset"]) >= int(time.time()) - 1, what


def test_keys_endpoint_limit_is_off_by_default_and_configurable(make_emulator):
    relaxed = make_emulator()
    assert {_get(relaxed, "account/keys").status_code for dummy in range(12)} == {200}
    strict = make_emulator(keys_rate_limit_per_minute=10)
    statuses = [_get(strict, "account/keys").status_code for dummy in range(11)]
    assert statuses == [200] * 10 + [429]
    assert _get(strict, "account").status_code == 200, "only GET /v2/account/keys is limited"


# ------------------------------------------------------------------------------- faults
def _statuses(emulator, count):
    result = []
    for dummy in range(count):
        try:
            result.append(_get(emulator, "account").status_code)
        except requests.ConnectionError:
            result.append("reset")
    return result


def test_faults_are_reproducible_from_a_seed(make_emulator):
    emulator = make_emulator()
    emulator.faults.configure(probability=0.4, kinds=("429", "500", "503", "reset"), seed=11)
    first = _statuses(emulator, 40)
    emulator.reset()
    emulator.faults.configure(probability=0.4, kinds=("429", "500", "503", "reset"), seed=11)
    assert _statuses(emulator, 40) == first
    assert {200, 429, 500, 503, "reset"} <= set(first)
    emulator.reset()
    emulator.faults.configure(probability=0.4, kinds=("429", "500", "503", "reset"), seed=12)
    assert _statuses(emulator, 40) != first


def test_next_n_faults_then_normal_service(make_emulator):
    emulator = make_emulator()
    emulator.faults.next(2, "503")
    emulator.faults.next(1, "429")
    responses = [_get(emulator, "account") for dummy in range(4)]
    assert [r.status_code for r in responses] == [503, 503, 429, 200]
    assert responses[0].json()["id"] == "service_unavailable"
    assert responses[2].headers["retry-after"] == "1"
    assert [e["status"] for e in emulator.request_log] == [503, 503, 429, 200]


def test_reset_fault_drops_the_connection_and_slow_fault_delays(make_emulator):
    emulator = make_emulator()
    emulator.faults.next(1, "reset")
    with pytest.raises(requests.ConnectionError):
        _get(emulator, "account")
    emulator.faults.configure(probability=1.0, kinds=("slow",), slow_seconds=0.3)
    started = time.monotonic()
    assert _get(emulator, "account").status_code == 200
    assert time.monotonic() - started >= 0.3
    emulator.faults.clear()
    started = time.monotonic()
    assert _get(emulator, "account").status_code == 200
    assert time.monotonic() - started < 0.3


def test_500_fault_reaches_python_digitalocean_as_data_read_error(make_emulator, monkeypatch):
    emulator = make_emulator()
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", assert_loopback(emulator.url))
    emulator.faults.next(1, "500")
    with pytest.raises(digitalocean.DataReadError):
        digitalocean.Manager(token=emulator.token).get_all_droplets()
    assert digitalocean.Manager(token=emulator.token).get_all_droplets() == []


def test_unknown_fault_kind_is_refused(make_emulator):
    emulator = make_emulator()
    with pytest.raises(ValueError):
        emulator.faults.next(1, "teapot")
    with pytest.raises(ValueError):
        emulator.faults.configure(probability=2)


# ------------------------------------------------------------------------------- persistence
def test_state_file_survives_a_restart(make_emulator, tmp_path):
    state_file = tmp_path / "do-state.json"
    first = make_emulator(state_file=str(state_file), action_delay=0.05)
    key = requests.post(first.url + "account/keys", json={"name": "k", "public_key": public_key(9)},
                        headers={"Authorization": f"Bearer {first.token}"}, timeout=10).json()["ssh_key"]
    ids = _create(first, "keep-1", "keep-2", tags=["kept"])
    wait_for(lambda: all(first.state.droplets[i]["status"] == "active" for i in ids))
    before = {i: json.dumps(first.state.droplets[i], sort_keys=True) for i in ids}
    first.stop()
    assert json.loads(state_file.read_text())["droplets"]

    second = make_emulator(state_file=str(state_file))
    assert {i: json.dumps(second.state.droplets[i], sort_keys=True) for i in ids} == before
    assert second.state.ssh_keys[key["id"]]["fingerprint"] == key["fingerprint"]
    listed = _get(second, "droplets?tag_name=kept").json()
    assert sorted(d["id"] for d in listed["droplets"]) == sorted(ids)
    (new,) = _create(second, "after-restart")
    assert new not in ids and new > max(ids)


def test_cli_prints_its_url_serves_and_stops_on_sigterm(tmp_path):
    state_file = tmp_path / "cli-state.json"
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def run_once():
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "tests.do_emulator", "--port", "0", "--machine-backend", "none",
             "--state-file", str(state_file), "--action-delay", "0.05"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = json.loads(process.stdout.readline())
            assert ready["pid"] == process.pid and ready["token"] == "ptd-test-token"
            assert_loopback(ready["url"])
            return process, ready
        except Exception:
            process.kill()
            process.wait(timeout=10)
            raise

    process, ready = run_once()
    try:
        headers = {"Authorization": f"Bearer {ready['token']}"}
        created = requests.post(ready["url"] + "droplets", headers=headers, timeout=10, json={
            "name": "cli-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-13-x64"})
        assert created.status_code == 202
        droplet_id = created.json()["droplet"]["id"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0

    process, ready = run_once()
    try:
        again = requests.get(f"{ready['url']}droplets/{droplet_id}", headers={"Authorization": f"Bearer {ready['token']}"},
                             timeout=10)
        assert again.status_code == 200 and again.json()["droplet"]["name"] == "cli-1"
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


# ------------------------------------------------------------------------------- scale
def test_10000_droplets_list_at_200_per_page_in_seconds(make_emulator, monkeypatch):
    emulator = make_emulator(action_delay=0)
    with emulator.state.lock:
        for start in range(0, 10000, 10):
            emulator.state.create_droplets({"names": [f"s-{i}" for i in range(start, start + 10)], "region": "sfo3",
                                            "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"})
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", assert_loopback(emulator.url))
    monkeypatch.setenv("PYTHON_DIGITALOCEAN_REQUEST_TIMEOUT_SEC", "30")
    started = time.monotonic()
    droplets = digitalocean.Manager(token=emulator.token).get_all_droplets()
    elapsed = time.monotonic() - started
    assert len(droplets) == 10000 and len({d.id for d in droplets}) == 10000
    assert all(d.status == "active" and d.ip_address for d in droplets)
    assert len(emulator.request_log) == 50
    assert elapsed < 30, f"listing 10,000 droplets took {elapsed:.1f}s"
