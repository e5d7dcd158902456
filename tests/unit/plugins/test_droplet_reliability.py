# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The droplet module under injected faults and lost responses: no duplicates, no leftovers, bounded time."""

from __future__ import annotations

import time

import pytest

from ansible_collections.pytrackdat.deploy.plugins.module_utils import do_runner
from ansible_collections.pytrackdat.deploy.plugins.modules import droplet
from tests.do_emulator import Emulator
from tests.do_emulator.pytest_plugin import assert_loopback
from tests.do_emulator.validation import spec_missing_reason

from .conftest import call_module
from .lossy_proxy import LossyProxy

CYCLES = 50


@pytest.fixture
def faulty_emulator():
    """A separate emulator: 20% of requests fail (429 with retry-after 0 s, 500, 503, connection reset)."""
    emulator = Emulator(machine_backend="none", action_delay=0.05, rate_limit_per_minute=100000,
                        validate=spec_missing_reason() is None, seed=0)
    emulator.start()
    emulator.faults.configure(probability=0.2, kinds=("429", "500", "503", "reset"), seed=1, retry_after=0)
    yield emulator
    emulator.stop()


def test_fifty_create_delete_cycles_with_20_percent_faults_converge(faulty_emulator, monkeypatch):
    emu = faulty_emulator
    # The subject is retries under faults, whose backoff stays real. Waiting for a new droplet starts at 0.3 s,
    # made for DigitalOcean's ~30 s boots; here droplets boot in 0.05 s and are polled from 0.05 s.
    monkeypatch.setattr(do_runner, "POLL_FIRST", 0.05)
    args = {"api_url": assert_loopback(emu.url), "api_token": emu.token, "name": "ptd-chaos", "region": "fra1"}
    started = time.time()
    for cycle in range(CYCLES):
        created = call_module(droplet, args)
        assert not created.get("failed"), (cycle, created.get("msg"))
        assert created["changed"] is True and created["public_ipv4"], (cycle, created)
        named = [d for d in emu.state.droplets.values() if d["name"] == "ptd-chaos"]
        assert len(named) == 1, "cycle %d: duplicate droplets %s" % (cycle, [d["id"] for d in named])
        deleted = call_module(droplet, dict(args, state="absent"))
        assert not deleted.get("failed"), (cycle, deleted.get("msg"))
        assert emu.state.droplets == {}, "cycle %d: leftover droplets" % cycle
    elapsed = time.time() - started
    injected = [k for k in emu.faults.injected if k]
    assert len(injected) >= CYCLES, "the faults did not fire: %s" % injected     # ~20% of several hundred requests
    assert {"429", "500", "503", "reset"} <= set(injected)
    assert elapsed < 60, "50 cycles took %.0fs" % elapsed
    assert emu.response_violations() == [] and emu.request_violations() == []
    print("\n50 cycles: %.1fs, %d requests, %d faults injected" % (elapsed, len(emu.request_log), len(injected)))


def test_a_lost_create_response_does_not_make_a_duplicate(do_emulator):
    with LossyProxy(do_emulator.url) as proxy:
        proxy.lose.append(("POST", "/v2/droplets"))
        result = call_module(droplet, {"api_url": proxy.url, "api_token": do_emulator.token,
                                       "name": "lost", "region": "fra1"})
    assert proxy.lost == [("POST", "/v2/droplets")]     # the server created it; the client never heard
    assert result["changed"] is True and not result.get("failed"), result
    assert len(do_emulator.state.droplets) == 1
    assert result["droplet"]["id"] in do_emulator.state.droplets
    posts = [r for r in do_emulator.request_log if r["method"] == "POST"]
    assert len(posts) == 1
