# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The attributes of the modules whose action plugin sends the host one shell program (host_probe, state_stamp)."""

    DOCUMENTATION = r"""
attributes:
  action:
    description: An action plugin does the work on the control node and sends the host one shell program.
    support: full
  diff_mode:
    description: No diff.
    support: none
"""
