# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""state_stamp without Python on the host: one shell program sent over the task's connection (see the module's docs).

A converged rerun reads one stamp per role; as a module run each read cost the host about 0.25 s of CPU (Python's start
and the module's payload), which on several droplets at once is most of what the host does in a rerun.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.pytrackdat.deploy.plugins.module_utils.state_stamp import compare, key_problem, program

ARGUMENT_SPEC = {
    "script": {"type": "str", "required": True},
    "key": {"type": "str", "required": True},
    "path": {"type": "str", "required": True},
    "record": {"type": "bool", "default": False},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        key, path, record = args["key"], args["path"], args["record"]
        problem = key_problem(key) or (None if path.startswith("/") else
                                       "state_stamp: path must be absolute on the host, got %r" % (path,))
        if problem:
            return {**result, "failed": True, "msg": problem}
        # In check mode a record writes nothing: the program only digests the state.
        writes = record and not self._task.check_mode
        # The program goes on standard input: no terminal is allocated, so its two output lines come back as printed.
        payload = program(args["script"], path, key if writes else None).encode("utf-8", "surrogateescape")
        answer = self._low_level_execute_command("/bin/sh", in_data=payload)
        found, failure = compare(answer.get("rc"), answer.get("stdout", ""), answer.get("stderr", ""), key, record=record)
        if failure:
            return {**result, "failed": True, "msg": failure}
        return {**result, "changed": False, **found}
