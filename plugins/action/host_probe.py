# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_probe without Python on the host: one shell program over the task's connection (see the module's docs).

Every run of the playbooks logs in with it: it proves the login, waits for a new droplet's cloud-init, reads the
address the server sees and the facts the roles need, in the one command the login test costs anyway (the setup
module's fact gathering was a second module run per host and run, about 0.4 s of the host's CPU).
"""

from __future__ import annotations

from ansible_collections.pytrackdat.deploy.plugins.module_utils.host_probe import ARGUMENT_SPEC, outcome, program
from ansible_collections.pytrackdat.deploy.plugins.plugin_utils.shell_action import ShellProgramAction


class ActionModule(ShellProgramAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run_program(self, args, result):
        # Nothing here needs root: the program runs as the login user even in a play with become.
        done = self.send(program(args["wait_for_cloud_init"]), sudoable=False)
        found, failure = outcome(done.get("rc"), done.get("stdout", ""), done.get("stderr", ""))
        if failure:
            return {**result, "failed": True, "rc": done.get("rc"), "msg": failure}
        return {**result, "changed": False, **found}
