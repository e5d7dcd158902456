# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugin tests that run the Ansible CLI keep the unit plugin tests' automatic checks: no DigitalOcean variable
leaks in from the shell, and every request our plugins send matches DigitalOcean's OpenAPI spec."""

from tests.unit.plugins import conftest as unit_plugins

clean_do_environment = unit_plugins.clean_do_environment
our_requests_follow_the_spec = unit_plugins.our_requests_follow_the_spec
