# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ptd-backup at a time per backup folder (the timer and a manual run must not interleave)."""

import fcntl
import os
import time

from ptd_files import BackupError

WAIT_SECONDS = 600


class Lock:
    """An exclusive flock on <backup folder>/.ptd-backup.lock, waited for up to ten minutes."""

    def __init__(self, directory):
        self.path = os.path.join(directory, ".ptd-backup.lock")
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a", encoding="ascii")  # pylint: disable=consider-using-with
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.handle.close()
                    raise BackupError("another ptd-backup has held %s for 10 minutes; giving up" % self.path)
                time.sleep(0.5)

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
