"""Client and process of the PA simulator (setup/pa_simulator.py), for the repo-level tests, the
end-to-end tests and the benchmark: the token, the standard routes, the control API."""

import hashlib
import json
import subprocess
import sys
import time
import uuid

import requests

from .odoo_server import ROOT, free_port


class PaSimulator:
    """The simulator as a subprocess on a free loopback port (as setup/run.sh starts it)."""

    def __init__(self, workdir, client_id="demo", client_secret="demo", webhook_url=None, webhook_secret=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client_id, self.client_secret = client_id, client_secret
        self.logfile = workdir / "pa_simulator.log"
        self.args = ["--client-id", client_id, "--client-secret", client_secret]
        if webhook_url:
            self.args += ["--webhook-url", webhook_url]
        if webhook_secret:
            self.args += ["--webhook-secret", webhook_secret]
        self.process = None

    def start(self, timeout=20):
        with self.logfile.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "setup" / "pa_simulator.py"), "--host", "127.0.0.1",
                 "--port", str(self.port), *self.args],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(f"{self.url}/_sim/state", timeout=1)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the PA simulator did not start: {self.logfile.read_text()}") from None
                time.sleep(0.1)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Pa:
    """A client of the simulator: token, standard routes, control API."""

    def __init__(self, url):
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never a proxy
        self.token = None

    def get_token(self, client_id="demo", client_secret="demo"):
        response = self.http.post(
            f"{self.url}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
            timeout=10,
        )
        return response

    def auth(self):
        if not self.token:
            self.token = self.get_token().json()["access_token"]
        return {"Authorization": f"Bearer {self.token}"}

    def deposit(self, data, info=None, file_type="application/pdf", info_type="application/json", **info_kw):
        info = info if info is not None else self.flow_info(data, **info_kw)
        files = {
            "flowInfo": (None, info if isinstance(info, (str, bytes)) else json.dumps(info), info_type),
            "file": ("facture.pdf" if file_type == "application/pdf" else "facture.xml", data, file_type),
        }
        return self.http.post(f"{self.url}/v1/flows", files=files, headers=self.auth(), timeout=30)

    @staticmethod
    def flow_info(data, syntax="Factur-X", tracking=None, **extra):
        return {
            "trackingId": tracking or str(uuid.uuid4()),
            "name": "facture.pdf",
            "processingRule": "B2B",
            "flowSyntax": syntax,
            "flowProfile": "Extended-CTC-FR" if syntax != "CDAR" else "Basic",
            "sha256": hashlib.sha256(data).hexdigest(),
            **extra,
        }

    def search(self, where, limit=None, headers=None):
        body = {"where": where} if limit is None else {"where": where, "limit": limit}
        return self.http.post(f"{self.url}/v1/flows/search", json=body, headers=headers or self.auth(), timeout=10)

    def get(self, flow_id, doc_type=None):
        params = {"docType": doc_type} if doc_type else None
        return self.http.get(f"{self.url}/v1/flows/{flow_id}", params=params, headers=self.auth(), timeout=10)

    def control(self, path, payload=None):
        if payload is None:
            response = self.http.get(f"{self.url}/_sim/{path}", timeout=30)
        else:
            response = self.http.post(f"{self.url}/_sim/{path}", json=payload, timeout=70)
        assert response.status_code == 200, response.text
        return response.json()
