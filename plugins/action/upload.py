# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""upload: one file from the control node to the host in one shell program (see the module's docs)."""

from __future__ import annotations

import hashlib
import os

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.pytrackdat.deploy.plugins.plugin_utils.shell_action import ShellProgramAction
from ansible_collections.pytrackdat.deploy.plugins.plugin_utils.upload import MODE, outcome, program

LIMIT = 64 * 1024 * 1024


class ActionModule(ShellProgramAction):
    ARGUMENT_SPEC = {
        "src": {"type": "path", "required": True},
        "dest": {"type": "str", "required": True},
        "mode": {"type": "str", "default": "0600"},
        "owner": {"type": "str"},
        "group": {"type": "str"},
    }

    def run_program(self, args, result):
        src, dest, mode = args["src"], args["dest"], args["mode"]
        if dest.endswith("/"):
            dest += os.path.basename(src)
        problem = (None if dest.startswith("/") else "upload: dest must be an absolute path on the host, got %r" % dest) \
            or (None if MODE.match(mode) else "upload: mode must be octal digits such as '0600', got %r" % mode)
        if problem:
            return {**result, "failed": True, "msg": problem}
        try:
            if os.path.getsize(src) > LIMIT:
                return {**result, "failed": True, "msg": "upload: %s is over 64 MiB; use ansible.builtin.copy" % src}
            with open(src, "rb") as handle:
                data = handle.read()
        except OSError as err:
            return {**result, "failed": True, "msg": "upload: cannot read %s on the control node: %s" % (src, to_native(err))}
        digest = hashlib.sha256(data).hexdigest()
        answer = self.send(program(dest, digest, mode, args["owner"], args["group"],
                                   None if self._task.check_mode else data))
        try:
            changed, written = outcome(answer.get("rc"), answer.get("stdout", ""), answer.get("stderr", ""))
        except ValueError as err:
            return {**result, "failed": True, "msg": str(err)}
        return {**result, "changed": changed, "written": written, "dest": dest, "checksum": digest, "size": len(data)}
