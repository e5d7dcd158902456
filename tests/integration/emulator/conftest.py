# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator tests that run the Ansible CLI keep the unit emulator tests' automatic check: a request the emulator
accepted must also be one the spec accepts."""

from tests.unit.emulator import conftest as unit_emulator

accepted_requests_follow_the_spec = unit_emulator._accepted_requests_follow_the_spec  # pylint: disable=protected-access
