"""Fixtures of the end-to-end suite: a copy of FI_TEST_DB, an SMTP sink on loopback, a real
Odoo server with workers sending its mails to the sink, and the actors of the story.

The database copy is made with ``createdb -T FI_TEST_DB`` (plus its filestore) before any
server serves FI_TEST_DB: pytest collects ``tests/e2e`` before the ``tests/test_*.py`` files.
"""

import os
import pathlib
import shutil
import subprocess

import psycopg2
import pytest

from ..odoo_server import OdooServer
from .clients import SmtpSink, WebSession, XmlRpc, poll
from .world import World

FILESTORE = pathlib.Path.home() / ".local" / "share" / "Odoo" / "filestore"


def pg_args():
    return [
        "-h", os.environ.get("FI_DB_HOST", "127.0.0.1"),
        "-p", os.environ.get("FI_DB_PORT", "5432"),
        "-U", os.environ.get("FI_DB_USER", "odoo"),
    ]  # fmt: skip


def pg_connect(database):
    connection = psycopg2.connect(
        dbname=database,
        host=os.environ.get("FI_DB_HOST", "127.0.0.1"),
        port=os.environ.get("FI_DB_PORT", "5432"),
        user=os.environ.get("FI_DB_USER", "odoo"),
        application_name="fi-e2e-test",
    )
    connection.autocommit = True
    return connection


def copy_database(template, name):
    subprocess.run(["dropdb", *pg_args(), "--if-exists", name], check=True, capture_output=True)
    shutil.rmtree(FILESTORE / name, ignore_errors=True)
    result = subprocess.run(["createdb", *pg_args(), "-T", template, name], check=False, capture_output=True, text=True)
    if result.returncode:
        pytest.fail(f"cannot copy {template} to {name}: {result.stderr.strip()}")
    if (FILESTORE / template).is_dir():
        shutil.copytree(FILESTORE / template, FILESTORE / name)


def drop_database(name):
    subprocess.run(["dropdb", *pg_args(), "--if-exists", "--force", name], check=False, capture_output=True)
    shutil.rmtree(FILESTORE / name, ignore_errors=True)


@pytest.fixture(scope="session")
def e2e_db():
    template = os.environ.get("FI_TEST_DB")
    if not template:
        pytest.fail("FI_TEST_DB is not set: run the repo-level tests through setup/test.sh")
    name = f"{template[:50]}_e2e"
    copy_database(template, name)
    yield name
    drop_database(name)


@pytest.fixture(scope="session")
def pg(e2e_db):
    """A direct PostgreSQL connection (autocommit) to the e2e database, for assertions."""
    connection = pg_connect(e2e_db)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def start_server(database, workdir, sink_port, name, env=None, workers=2, extra=(), cron_threads=0):
    env = dict(env or os.environ)
    env["ODOO_PGAPPNAME"] = f"fi-e2e-{name}-{{pid}}"
    # wkhtmltopdf (Qt) warns on every PDF without a private runtime directory
    runtime = pathlib.Path(workdir) / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    server = OdooServer(
        database,
        workdir,
        workers=workers,
        cron_threads=cron_threads,
        name=name,
        env=env,
        extra_args=["--smtp=127.0.0.1", f"--smtp-port={sink_port}", "--limit-time-real=300", *extra],
    )
    server.start()
    return server


@pytest.fixture(scope="session")
def server(e2e_db, smtp_sink, tmp_path_factory):
    """The e2e server: 2 workers, mails to the sink.

    wkhtmltopdf fetches the report's CSS over HTTP from ``report.url``: when every worker of a
    server is busy rendering a PDF, nobody serves it and wkhtmltopdf times out after 60 s
    (core Odoo's behaviour, the reason production runs many workers). A second server on the
    same database serves those assets (world.py sets ``report.url`` to it), so the concurrency
    tests measure the signing code, not that deployment limit (reported separately)."""
    workdir = tmp_path_factory.mktemp("e2e")
    odoo = start_server(e2e_db, workdir, smtp_sink.port, "e2e")
    assets = start_server(e2e_db, workdir, smtp_sink.port, "assets")
    odoo.assets_url = assets.url
    yield odoo
    odoo.stop()
    assets.stop()
    assert assets.log_problems() == []


@pytest.fixture(scope="session")
def world(server, smtp_sink, pg):
    """The company as the external system built it over XML-RPC (see world.py)."""
    built = World.build(server, smtp_sink, pg)
    assert server.log_problems() == [], "building the world logged problems"
    return built


@pytest.fixture(scope="module")
def log_start(world, server):
    """Log offset at the start of a test module (after the world was built)."""
    return server.log_mark()


@pytest.fixture(scope="session")
def erp(world):
    return world.erp


def new_web(server):
    return WebSession(server.url, server.database)


__all__ = ["WebSession", "XmlRpc", "new_web", "pg_connect", "poll"]
