# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A DigitalOcean API emulator held to DigitalOcean's OpenAPI spec: to this collection what moto is to boto.

    from tests.do_emulator import Emulator
    emu = Emulator(machine_backend="none", token="ptd-test-token", action_delay=0.2, validate=True)
    emu.start()            # background thread; idempotent
    emu.url                # "http://127.0.0.1:PORT/v2/"
    emu.state              # the model (models.State): .droplets, .ssh_keys, .firewalls, .domains, .tags, .actions
    emu.request_log        # [{method, path, query, status}]
    emu.violations         # spec violations: kind "request" (reported), "response" (emulator bugs), "emulator"
    emu.faults.configure(probability=0.2, kinds=("429", "500", "503", "reset", "slow"), seed=1, slow_seconds=2.0)
    emu.faults.next(3, "503"); emu.faults.clear()
    emu.reset(); emu.stop()

Layout (moto's): models/<resource>.py (state and behaviour; models.State combines them),
responses/<resource>.py (handlers, bodies and routes), dispatch.py (one request: faults, auth, rate
limits, routing, persistence, validation), app.py (server, ticker, state file), limits.py, faults.py,
validation.py (openapi-core, the vendored spec in openapi/), machines/ (none, docker), __main__.py (CLI),
pytest_plugin.py (the ``do_emulator`` fixture).
"""

from .app import Emulator
from .machines import MachineBackend
from .models import ApiError

__all__ = ["Emulator", "MachineBackend", "ApiError"]
