"""Real clients of a real Odoo server: XML-RPC, a browser-like web session, a portal visitor,
and the SMTP sink that receives the mails the server sends. Loopback only."""

import base64
import email
import email.policy
import io
import re
import socket
import threading
import time
import xmlrpc.client

import requests
from aiosmtpd.controller import Controller
from PIL import Image, ImageDraw

LOOPBACK = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrf_token"\s+value="([0-9a-f]+o\d+)"')
CSRF_JS = re.compile(r'csrf_token:\s*"([0-9a-f]+o\d+)"')


class RpcError(Exception):
    """A JSON-RPC error answered by the server (the message the user would see)."""

    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name") or ""
        self.message = data.get("message") or error.get("message") or ""
        super().__init__(f"{self.name}: {self.message}")


def poll(predicate, timeout, what, interval=0.2):
    """Call ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def signature_png(seed=0):
    """A small non-blank PNG signature, base64 (str). ``seed`` varies the stroke."""
    image = Image.new("RGBA", (160, 50), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((5, 40, 50 + seed % 60, 5, 150, 40), fill=(0, 0, 80, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def photo_jpeg():
    """A small JPEG 'photo', base64 (str)."""
    image = Image.new("RGB", (64, 48), (180, 40, 40))
    ImageDraw.Draw(image).rectangle((10, 10, 40, 30), fill=(20, 120, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


def pdf_text(data):
    """Text of a PDF (PyPDF2, as the addons' own tests)."""
    from PyPDF2 import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(data):
    from PyPDF2 import PdfReader

    return len(PdfReader(io.BytesIO(data), strict=False).pages)


class XmlRpc:
    """An external system: XML-RPC with a login and an API key."""

    def __init__(self, url, database, login, key):
        self.url, self.database, self.login, self.key = url, database, login, key
        self._local = threading.local()  # a ServerProxy is not thread-safe: one per thread
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(database, login, key, {})
        if not self.uid:
            raise AssertionError(f"XML-RPC authentication of {login} with an API key failed")

    @property
    def models(self):
        if not hasattr(self._local, "models"):
            self._local.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return self._local.models

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.database, self.uid, self.key, model, method, list(args), kwargs)

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"])
        return rows[0]["res_id"]


class WebSession:
    """A browser: cookies, CSRF tokens from the pages, JSON-RPC like the web client."""

    def __init__(self, url, database, user_agent="Mozilla/5.0 (e2e; Android 14) Mobile"):
        self.url = url
        self.database = database
        self.http = requests.Session()
        self.http.headers["User-Agent"] = user_agent
        self.http.trust_env = False  # never a proxy: loopback only
        self._id = 0
        self.uid = None

    # -- plain HTTP -------------------------------------------------
    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", True)
        return self.http.get(self.url + path, **kwargs)

    def post(self, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        return self.http.post(self.url + path, **kwargs)

    @staticmethod
    def csrf_from(html):
        match = CSRF_INPUT.search(html) or CSRF_JS.search(html)
        if not match:
            raise AssertionError("no CSRF token in the page")
        return match.group(1)

    def login_form(self, login, password):
        """Log in through the /web/login form, as a browser does (CSRF token of the form)."""
        page = self.get("/web/login")
        assert page.status_code == 200, page.status_code
        response = self.post(
            "/web/login",
            data={"login": login, "password": password, "csrf_token": self.csrf_from(page.text), "db": self.database},
        )
        assert response.status_code == 200, response.status_code
        info = self.call("/web/session/get_session_info", {})
        assert info.get("uid"), f"{login} could not log in through the login form"
        self.uid = info["uid"]
        return info

    def authenticate(self, login, password):
        info = self.call("/web/session/authenticate", {"db": self.database, "login": login, "password": password})
        self.uid = info["uid"]
        return info

    # -- JSON-RPC ---------------------------------------------------
    def call_raw(self, path, params, timeout=120):
        self._id += 1
        payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": self._id}
        response = self.http.post(self.url + path, json=payload, timeout=timeout)
        return response

    def call(self, path, params, timeout=120):
        response = self.call_raw(path, params, timeout=timeout)
        if response.status_code != 200:
            raise RpcError({"message": f"HTTP {response.status_code}", "data": {"name": str(response.status_code)}})
        body = response.json()
        if "error" in body:
            raise RpcError(body["error"])
        return body.get("result")  # a method that returns None: no "result" in the answer

    def call_kw(self, model, method, args, kwargs=None, timeout=120):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            timeout=timeout,
        )

    def call_button(self, model, method, ids, context=None):
        """A button of a form (type="object"), as the web client calls it."""
        return self.call(
            "/web/dataset/call_button",
            {"model": model, "method": method, "args": [ids], "kwargs": {"context": context or {}}},
        )


class SmtpSink:
    """An SMTP server on loopback that keeps every message it receives."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self._lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append({"rcpt": list(envelope.rcpt_tos), "message": message, "at": time.monotonic()})
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname=LOOPBACK, port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def received(self):
        with self._lock:
            return list(self.messages)

    def find(self, subject_part):
        return [m for m in self.received() if subject_part in str(m["message"]["Subject"] or "")]

    def wait_for(self, subject_part, timeout=60, count=1, flush=None):
        """Wait until ``count`` mails whose subject contains ``subject_part`` arrived;
        ``flush`` (optional) is called between polls (e.g. to run the mail queue)."""

        def arrived():
            if flush:
                flush()
            found = self.find(subject_part)
            return found if len(found) >= count else None

        return poll(arrived, timeout, f"{count} mail(s) with subject {subject_part!r}", interval=0.5)


def body_text(message):
    """HTML or text body of a mail, decoded."""
    part = message.get_body(preferencelist=("html", "plain"))
    return part.get_content() if part else ""


def attachments(message):
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]
