# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put on PYTHONPATH of a `ptd-backup` run by a test: time.sleep records each delay (one per line, in the file
PTD_TEST_SLEEP_LOG) instead of waiting, so a test can run the whole retry schedule and check it in a second."""

import os
import time

_LOG = os.environ.get("PTD_TEST_SLEEP_LOG")

if _LOG:
    def _record(seconds):
        with open(_LOG, "a", encoding="ascii") as handle:
            handle.write("%r\n" % float(seconds))

    time.sleep = _record
