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
    "l10n_fr_invoice",
    "field_intervention",
    "field_intervention_sign",
    "field_intervention_invoice",
    "field_intervention_mobile",
    "l10n_fr_pa_flow",
    "field_intervention_pa",
    "field_intervention_maintenance",
    "field_intervention_maintenance_invoice",
)


FIGURES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[FIGURES] = []


def pytest_terminal_summary(terminalreporter, config):
    """The figures the tests measured (probe counts, delays) stand in the CI output, not only in
    the captured output of the tests that printed them."""
    if config.stash[FIGURES]:
        terminalreporter.section("figures")
        for line in config.stash[FIGURES]:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def figures(request):
    """``figures.append(line)``: a line shown in the test command's output."""
    return request.config.stash[FIGURES]


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
