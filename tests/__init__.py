# tests are run from the repository root with pytest.ini's pythonpath
