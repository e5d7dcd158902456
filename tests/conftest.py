# Copyright: (c) 2026, pytrackdat.deploy contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest configuration: the DigitalOcean API emulator fixtures (do_emulator, do_env)."""

pytest_plugins = ["tests.do_emulator.pytest_plugin"]
