"""Repo-level tests: the repository itself, and the suite served by a real Odoo server.

Run by setup/test.sh, which exports FI_TEST_DB (a database where the three addons
are installed), ODOO_DIR, FI_VENV and the FI_DB_* connection settings.
"""

import os
import pathlib

import pytest

from .odoo_server import OdooServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = (
    "field_intervention",
    "field_intervention_sign",
    "field_intervention_invoice",
    "field_intervention_mobile",
    "l10n_fr_pa_flow",
    "field_intervention_pa",
)


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    """A real Odoo server with workers, on a free loopback port, serving FI_TEST_DB."""
    database = os.environ.get("FI_TEST_DB")
    if not database:
        pytest.fail("FI_TEST_DB is not set: run the repo-level tests through setup/test.sh")
    server = OdooServer(database, tmp_path_factory.mktemp("odoo"), workers=2)
    server.start()
    yield server
    server.stop()
