"""A small client of Chromium's DevTools protocol: a headless browser with its own profile, and
pages driven like a phone (viewport, touch, network conditions, screenshots). Loopback only."""

import base64
import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import requests
import websocket

CHROMIUM = os.environ.get("FI_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


class CdpError(Exception):
    pass


class Connection:
    """One DevTools websocket: commands wait for their answer, events are kept until read."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events = []

    def close(self):
        try:
            self.ws.close()
        except (OSError, websocket.WebSocketException):
            pass

    def _read(self, timeout):
        self.ws.settimeout(timeout)
        message = json.loads(self.ws.recv())
        if "id" not in message:
            self.events.append(message)
        return message

    def send(self, method, timeout=60, **params):
        command_id = next(self.ids)
        self.ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to {method} within {timeout}s")
            message = self._read(remaining)
            if message.get("id") == command_id:
                if "error" in message:
                    raise CdpError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_event(self, name, timeout=30, predicate=None):
        """The first kept or coming event ``name`` (matching ``predicate``); it is consumed."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["method"] == name and (predicate is None or predicate(event["params"])):
                    return self.events.pop(index)["params"]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name} event within {timeout}s")
            try:
                self._read(min(remaining, 1.0))
            except websocket.WebSocketTimeoutException:
                pass

    def drain(self):
        """Read the events already sent by the browser (without waiting)."""
        while True:
            try:
                self._read(0.05)
            except websocket.WebSocketTimeoutException:
                return


class Page(Connection):
    """A page emulating a phone."""

    def __init__(self, browser, target_id):
        super().__init__(f"ws://127.0.0.1:{browser.port}/devtools/page/{target_id}")
        self.browser = browser
        self.target_id = target_id
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", **PHONE)
        self.send("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)
        self.send("Emulation.setUserAgentOverride", userAgent=PHONE_UA, acceptLanguage="fr-FR,fr")

    # -- navigation and scripts ------------------------------------------
    def goto(self, url, timeout=60):
        self.events = [event for event in self.events if event["method"] != "Page.loadEventFired"]
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise CdpError(f"navigation to {url} failed: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout=timeout)

    def evaluate(self, expression, timeout=60):
        """Value of a JavaScript expression (promises awaited); exceptions raise."""
        result = self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
            userGesture=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"{expression[:80]!r}: {text}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=30, what=None):
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                where = self.evaluate("location.href")
                raise AssertionError(f"timed out after {timeout}s waiting for {what or expression} (page: {where})")
            self.drain()
            time.sleep(0.2)

    # -- a phone's user ----------------------------------------------------
    def center(self, selector):
        box = self.evaluate(
            f"(() => {{ const node = document.querySelector({json.dumps(selector)});"
            " if (!node) return null; node.scrollIntoView({block: 'center'});"
            " const r = node.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if not box:
            raise AssertionError(f"nothing matches {selector}")
        return box

    def tap(self, selector):
        """A press on the element at its center (what a finger's tap becomes: a click there).

        Mouse events, not touch ones: Chromium's gesture detector swallows a synthetic touch tap
        that comes right after a touch drag (it takes it for the end of a fling)."""
        self.wait_for(f"!!document.querySelector({json.dumps(selector)})", what=selector)
        x, y = self.center(selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def tap_until(self, selector, expression, what=None, attempts=3, timeout=10):
        """Tap ``selector`` until ``expression`` holds. A loaded phone may move the page under the
        finger between the aim and the press (a banner that appears after a change): a tap that
        did not take is tried again, one that did never is."""
        for _attempt in range(attempts - 1):
            self.tap(selector)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.evaluate(expression):
                    return
                time.sleep(0.2)
        self.tap(selector)
        self.wait_for(expression, timeout=timeout, what=what)

    def type_into(self, selector, text):
        """Type text into a field and leave it (its change event fires)."""
        self.tap(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.evaluate(f"(n => n.select && n.select())(document.querySelector({json.dumps(selector)}))")
        self.send("Input.insertText", text=text)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).blur()")

    def draw(self, selector, points):
        """A finger drawing through ``points`` (fractions of the element's box)."""
        box = self.evaluate(
            f"(n => {{ n.scrollIntoView({{block: 'center'}}); const r = n.getBoundingClientRect();"
            f" return [r.x, r.y, r.width, r.height]; }})(document.querySelector({json.dumps(selector)}))"
        )
        x0, y0, width, height = box
        coords = [{"x": x0 + fx * width, "y": y0 + fy * height} for fx, fy in points]
        self.send("Input.dispatchTouchEvent", type="touchStart", touchPoints=[coords[0]])
        for point in coords[1:]:
            time.sleep(0.02)
            self.send("Input.dispatchTouchEvent", type="touchMove", touchPoints=[point])
        self.send("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])
        time.sleep(0.35)

    def set_files(self, selector, paths, attempts=5):
        """Choose files in the file input: the app may render the page again between finding the
        input and giving it the files (a sync's answer): the new input is found again."""
        for attempt in range(attempts):
            self.wait_for(f"!!document.querySelector({json.dumps(selector)})", what=selector)
            document = self.send("DOM.getDocument", depth=0)
            node = self.send("DOM.querySelector", nodeId=document["root"]["nodeId"], selector=selector)
            try:
                self.send("DOM.setFileInputFiles", files=[str(path) for path in paths], nodeId=node["nodeId"])
                return
            except CdpError as error:
                if "Could not find node" not in str(error) or attempt == attempts - 1:
                    raise
            time.sleep(0.5)

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))

    def network(self, offline):
        self.send(
            "Network.emulateNetworkConditions",
            offline=offline,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )

    def close(self):
        super().close()
        self.browser.close_page(self.target_id)


class Browser:
    """Headless Chromium with its own profile (service workers, IndexedDB, cookies persist
    between its pages, as on one phone)."""

    def __init__(self, profile=None):
        self.profile = pathlib.Path(profile or tempfile.mkdtemp(prefix="fi-chromium-"))
        self.process = None
        self.port = None
        self.connection = None

    def start(self, timeout=30):
        active = self.profile / "DevToolsActivePort"
        active.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-gpu",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-proxy-server",
                "--lang=fr-FR",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not active.exists() or not active.read_text().strip():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.1)
        self.port = int(active.read_text().split()[0])
        version = requests.get(f"http://127.0.0.1:{self.port}/json/version", timeout=10).json()
        self.connection = Connection(version["webSocketDebuggerUrl"])
        return self

    def new_page(self):
        target = self.connection.send("Target.createTarget", url="about:blank")["targetId"]
        return Page(self, target)

    def close_page(self, target_id):
        self.connection.send("Target.closeTarget", targetId=target_id)

    def stop(self):
        if self.connection:
            self.connection.close()
        if self.process:
            # /usr/bin/chromium is a launcher script: the browser and its helpers are its
            # children, in the process group started for it
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self._group_alive():
                time.sleep(0.1)
            if self._group_alive():
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True
