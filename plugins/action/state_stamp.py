# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state_stamp without Python on the host: one shell program sent over the task's connection (see the module's docs).

A converged rerun reads one stamp per role; as a module run each read cost the host about 0.25 s of CPU (Python's start
and the module's payload), which on several droplets at once is most of what the host does in a rerun.
"""

from __future__ import annotations

from ansible_collections.pytrackdat.deploy.plugins.module_utils.state_stamp import args_problem, compare, program
from ansible_collections.pytrackdat.deploy.plugins.plugin_utils.shell_action import ShellProgramAction


class ActionModule(ShellProgramAction):
    ARGUMENT_SPEC = {
        "script": {"type": "str", "required": True},
        "key": {"type": "str", "required": True},
        "path": {"type": "str", "required": True},
        "record": {"type": "bool", "default": False},
        "read": {"type": "list", "elements": "str", "default": []},
    }

    def run_program(self, args, result):
        key, path, record, read = args["key"], args["path"], args["record"], args["read"]
        problem = args_problem(key, path, read)
        if problem:
            return {**result, "failed": True, "msg": problem}
        # In check mode a record writes nothing: the program only digests the state.
        writes = record and not self._task.check_mode
        answer = self.send(program(args["script"], path, key if writes else None, read))
        found, failure = compare(answer.get("rc"), answer.get("stdout", ""), answer.get("stderr", ""), key, record=record,
                                 read=read)
        if failure:
            return {**result, "failed": True, "msg": failure}
        return {**result, "changed": False, **found}
