"""Start and drive a real Odoo server process for repo-level and end-to-end tests."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "setup"))

import check_odoo_log


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """One odoo-bin process on loopback; its log is judged like the Odoo test log."""

    def __init__(self, database, workdir, workers=2, extra_args=(), env=None, name="odoo-server", cron_threads=0):
        self.database = database
        self.workdir = pathlib.Path(workdir)
        self.workers = workers  # 0: the threaded server (setup/run.sh's, which passes no --workers)
        # scheduled actions: none by default (the tests say when they run); None: Odoo's default
        # number of cron threads, as setup/run.sh (which passes no --max-cron-threads)
        self.cron_threads = cron_threads
        self.extra_args = list(extra_args)
        self.env = env  # environment of the process (None: inherit ours)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logfile = self.workdir / f"{name}.log"
        self.process = None

    def command(self):
        odoo_dir = os.environ["ODOO_DIR"]
        return [
            os.path.join(os.environ["FI_VENV"], "bin", "python"),
            os.path.join(odoo_dir, "odoo-bin"),
            f"--addons-path={odoo_dir}/addons,{ROOT}",
            f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
            f"--db_port={os.environ.get('FI_DB_PORT', '5432')}",
            f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
            f"--database={self.database}",
            f"--db-filter=^{self.database}$",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            f"--workers={self.workers}",
            *([] if self.cron_threads is None else [f"--max-cron-threads={self.cron_threads}"]),
            f"--logfile={self.logfile}",
            *self.extra_args,
        ]

    def start(self, timeout=120):
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,  # its own process group: stop() never leaves workers behind
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"odoo exited with {self.process.returncode}, see {self.logfile}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"odoo did not answer on {self.url} within {timeout}s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            try:  # workers still busy when the master exited (e.g. killed after the timeout)
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_mark(self):
        """Current end of the log: pass it to log_problems(since=...) to judge what follows."""
        return self.logfile.stat().st_size if self.logfile.exists() else 0

    def log_records(self, since=0):
        """(level, logger, message) of the log records written after offset ``since``."""
        return check_odoo_log.records(self.logfile, since)

    def log_problems(self, since=0):
        """WARNING/ERROR records of the server log the allow-list does not explain."""
        allowlist = check_odoo_log.read_allowlist(ROOT / "setup" / "log-allowlist.txt")
        return [
            f"{level} {logger}: {message.strip()}"
            for level, logger, message in self.log_records(since)
            if check_odoo_log.is_problem(level, logger, message, allowlist)
        ]


class JsonRpcSession:
    """A session like the web client's: cookies kept, JSON-RPC calls."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self._id = 0

    def call(self, path, params):
        self._id += 1
        payload = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id})
        request = urllib.request.Request(
            self.base_url + path,
            data=payload.encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as response:
            body = json.loads(response.read())
        if "error" in body:
            raise RuntimeError(body["error"]["data"].get("message") or body["error"]["message"])
        return body["result"]

    def authenticate(self, database, login, password):
        return self.call(
            "/web/session/authenticate",
            {"db": database, "login": login, "password": password},
        )

    def call_kw(self, model, method, args, kwargs=None):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )
