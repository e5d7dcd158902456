"""Shared pytest configuration: the DigitalOcean API emulator fixtures (do_emulator, do_env)."""

pytest_plugins = ["tests.do_emulator.pytest_plugin"]
