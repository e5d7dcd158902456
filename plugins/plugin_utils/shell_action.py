# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's shell-program actions (host_probe, state_stamp) share: validated arguments, and one shell
program sent on standard input over the task's connection, so no Python starts on the host and no terminal is
allocated (the program's output comes back as printed)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ShellProgramAction(ActionBase):
    """Subclasses set ARGUMENT_SPEC and implement run_program(args, result)."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    ARGUMENT_SPEC: dict = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return self.run_program(args, result)

    def run_program(self, args, result):
        raise NotImplementedError

    def send(self, program, sudoable=True):
        """Run `program` with /bin/sh on the host (with the task's become when sudoable); rc, stdout, stderr."""
        return self._low_level_execute_command("/bin/sh", in_data=program.encode("utf-8", "surrogateescape"),
                                               sudoable=sudoable)
