# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the emulator as a process.

    python -m tests.do_emulator --port 0 --machine-backend none --state-file F --action-delay 0.2

Prints one JSON line ``{"url": ..., "token": ..., "pid": ...}`` when it is ready, serves until
SIGTERM or SIGINT, then removes the machines it made and saves the state file.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .app import Emulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.do_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="ptd-test-token")
    parser.add_argument("--machine-backend", choices=("none", "docker"), default="none")
    parser.add_argument("--state-file", default=None)
    parser.add_argument("--action-delay", type=float, default=0.2)
    parser.add_argument("--rate-limit-per-minute", type=int, default=250)
    parser.add_argument("--rate-limit-per-hour", type=int, default=5000)
    parser.add_argument("--keys-rate-limit-per-minute", type=int, default=None,
                        help="limit GET /v2/account/keys like DO does (10); off by default")
    parser.add_argument("--validate", action="store_true", help="check traffic against the OpenAPI spec")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    emulator = Emulator(machine_backend=args.machine_backend, token=args.token, action_delay=args.action_delay,
                        rate_limit_per_minute=args.rate_limit_per_minute, rate_limit_per_hour=args.rate_limit_per_hour,
                        keys_rate_limit_per_minute=args.keys_rate_limit_per_minute, validate=args.validate,
                        state_file=args.state_file, seed=args.seed, port=args.port, host=args.host)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    emulator.start()
    try:
        print(json.dumps({"url": emulator.url, "token": emulator.token, "pid": os.getpid()}), flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        emulator.stop()
        if emulator.violations:
            print(json.dumps({"violations": emulator.violations}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
