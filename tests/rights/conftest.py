"""Every request test writes its files and keys into its own data directory."""

import pytest


@pytest.fixture(autouse=True)
def _own_data_dir(data_dir):
    return data_dir
