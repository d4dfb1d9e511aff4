"""What setup/run.sh does to the demo database before serving it (setup/lib.sh helpers)."""

import os
import subprocess

import pytest

from .conftest import ROOT

MAIN_COMPANY = "(SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'main_company')"


def psql(database, sql, **variables):
    command = [
        "psql",
        "-h",
        os.environ.get("FI_DB_HOST", "127.0.0.1"),
        "-p",
        os.environ.get("FI_DB_PORT", "5432"),
        "-U",
        os.environ.get("FI_DB_USER", "odoo"),
        "-d",
        database,
        "-qtAX",
        "-v",
        "ON_ERROR_STOP=1",
        "-F",
        "|",
    ]
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    return subprocess.run(command, input=sql, capture_output=True, text=True, check=True).stdout.strip()


def lib_sh(*command):
    """Run a setup/lib.sh function as setup/run.sh does."""
    script = '. "$1/setup/lib.sh"; shift; "$@"'
    subprocess.run(["bash", "-c", script, "lib", str(ROOT), *command], check=True, env=os.environ)


@pytest.fixture
def database():
    database = os.environ.get("FI_TEST_DB")
    if not database:
        pytest.fail("FI_TEST_DB is not set: run the repo-level tests through setup/test.sh")
    return database


def pa_urls(database):
    return psql(
        database, f"SELECT l10n_fr_pa_base_url, l10n_fr_pa_token_url FROM res_company WHERE id = {MAIN_COMPANY};"
    ).split("|")


def set_pa_urls(database, base_url, token_url):
    psql(
        database,
        "UPDATE res_company SET l10n_fr_pa_base_url = NULLIF(:'base', ''), "
        "l10n_fr_pa_token_url = NULLIF(:'token', '') "
        f"WHERE id = {MAIN_COMPANY};",
        base=base_url,
        token=token_url,
    )


def test_run_sh_points_the_demo_platform_to_the_simulator_port(database):
    """The demo company deposits on the simulator run.sh starts on FI_PA_PORT, not on 8090."""
    run_sh = (ROOT / "setup" / "run.sh").read_text(encoding="utf-8")
    assert 'fi_set_pa_urls "$DB" "$PA_PORT"' in run_sh
    assert '--port "$PA_PORT"' in run_sh  # the simulator listens on that same port
    before = pa_urls(database)
    try:
        set_pa_urls(database, "http://127.0.0.1:8090", "http://127.0.0.1:8090/oauth/token")  # the demo data
        lib_sh("fi_set_pa_urls", database, "18123")
        assert pa_urls(database) == ["http://127.0.0.1:18123", "http://127.0.0.1:18123/oauth/token"]
        # a company connected to a real platform keeps it
        set_pa_urls(database, "https://pa.example.com/flow", "https://pa.example.com/oauth/token")
        lib_sh("fi_set_pa_urls", database, "18124")
        assert pa_urls(database) == ["https://pa.example.com/flow", "https://pa.example.com/oauth/token"]
    finally:
        set_pa_urls(database, *before)
