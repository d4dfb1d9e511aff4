"""Issue 12 in a real browser: the technician's phone app offline.

Headless Chromium (DevTools protocol, ``cdp.py``) emulates a 390×844 phone; it reaches Odoo
through a loopback proxy (``netproxy.py``) that can refuse every connection or swallow an answer,
because DevTools' network emulation does not cover the service worker's fetches. The phone
downloads the technician's day, does a whole intervention offline (timer, texts, checklist, a part,
a photo from the "camera", done, the customer's signature), is closed and reopened offline, then
syncs; the server must hold everything exactly once. Then the same with the sync's answer lost,
and a conflict; a network that hangs instead of failing (issue 19, part 6: the phone sends by
itself when it comes back); and a phone shared by two technicians (issue 20, part 4). The
screenshots of the README are saved in ``docs/images/``."""

import base64
import contextlib
import datetime
import io
import json
import pathlib
import time
import zoneinfo

import pytest
from PIL import Image, ImageDraw

from .cdp import Browser, CdpError
from .clients import poll
from .netproxy import NetProxy
from .world import PASSWORD, TECH_GROUP, utc

APP = "/field_intervention/app"
SYNC = f"{APP}/api/sync"
DB_JS = "/field_intervention_mobile/static/src/app/db.js"
RETRY_JS = "/field_intervention_mobile/static/src/app/retry.js"
IMAGES = pathlib.Path(__file__).resolve().parent.parent.parent / "docs" / "images"
DAY_SIZE = 8  # interventions of the technician's days (the download measured)
OPS_PER_INTERVENTION = 11  # start pause resume stop, 2 texts, checklist, part, photo, done, sign


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def crew(world):
    """A technician with 8 interventions planned in the coming hours (her downloaded days)."""
    erp = world.erp
    login = f"chloe.{world.tag}"
    tech = world._create_user(login, "Chloé Bernard (tech)", ["base.group_user", TECH_GROUP])
    erp("res.users", "write", [tech], {"lang": "fr_FR"})  # the app speaks the technician's language
    erp("hr.employee", "create", {"name": "Chloé Bernard (tech)", "user_id": tech, "company_id": world.company_id})
    customers = [world.cust_a, world.cust_b, world.cust_c]
    tasks = erp(
        "project.task",
        "create",
        [
            {
                "name": f"Entretien chaudière {index + 1}",
                "project_id": world.project,
                "partner_id": customers[index % 3],
                "user_ids": [(6, 0, [tech])],
                "description": "<p>Chaudière gaz au sous-sol, accès par la cour.</p>",
                "planned_date_start": utc(1 + index * 0.5),
                "planned_date_end": utc(1.5 + index * 0.5),
            }
            for index in range(DAY_SIZE)
        ],
    )
    interventions = erp(
        "field.intervention", "create", [{"task_id": task, "technician_ids": [(6, 0, [tech])]} for task in tasks]
    )
    return {"login": login, "uid": tech, "interventions": interventions}


@pytest.fixture(scope="module")
def crew2(world):
    """A second technician of the same company, with two interventions of her own."""
    erp = world.erp
    login = f"marc.{world.tag}"
    tech = world._create_user(login, "Marc Petit (tech)", ["base.group_user", TECH_GROUP])
    erp("res.users", "write", [tech], {"lang": "fr_FR"})
    erp("hr.employee", "create", {"name": "Marc Petit (tech)", "user_id": tech, "company_id": world.company_id})
    tasks = erp(
        "project.task",
        "create",
        [
            {
                "name": f"Dépannage climatisation {index + 1}",
                "project_id": world.project,
                "partner_id": world.cust_a,
                "user_ids": [(6, 0, [tech])],
                "planned_date_start": utc(2 + index),
                "planned_date_end": utc(2.5 + index),
            }
            for index in range(2)
        ],
    )
    interventions = erp(
        "field.intervention", "create", [{"task_id": task, "technician_ids": [(6, 0, [tech])]} for task in tasks]
    )
    return {"login": login, "uid": tech, "interventions": interventions}


@pytest.fixture(scope="module")
def proxy(server):
    net = NetProxy(server.port)
    net.online()
    yield net
    net.offline()


@pytest.fixture
def network_back(proxy):
    """The proxy, answering again after the test whatever happened (a hung proxy would fail the
    next tests for the wrong reason)."""
    yield proxy
    proxy.online()


@pytest.fixture(scope="module")
def browser():
    chromium = Browser().start()
    yield chromium
    chromium.stop()


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 'camera' photo larger than the app keeps (it must come out at most 1280 px)."""
    path = tmp_path_factory.mktemp("camera") / "IMG_0001.jpg"
    image = Image.new("RGB", (2400, 1800), (170, 190, 210))
    ImageDraw.Draw(image).rectangle((600, 400, 1800, 1400), fill=(200, 60, 40))
    image.save(path, format="JPEG", quality=90)
    return path


class Phone:
    """The technician's phone: one Chromium profile, its current page."""

    def __init__(self, browser, proxy):
        self.browser, self.proxy = browser, proxy
        self.page = browser.new_page()

    # -- network --------------------------------------------------------
    def offline(self):
        self.proxy.offline()
        self.page.network(True)

    def online(self):
        self.proxy.online()
        self.page.network(False)

    # -- the app --------------------------------------------------------
    def wait_ready(self, timeout=60):
        self.page.wait_for("document.getElementById('fi-app')?.dataset.ready === '1'", timeout=timeout, what="the app")

    def reopen(self):
        """Close the page and open the app again (offline when the network is cut)."""
        offline = self.proxy._listener is None
        self.page.close()
        self.page = self.browser.new_page()
        if offline:
            self.page.network(True)
        self.page.goto(self.proxy.url + APP)
        self.wait_ready()

    def pending(self):
        return int(self.page.evaluate("document.getElementById('fi-pending').dataset.count"))

    def wait_pending(self, count, timeout=180):
        self.page.wait_for(
            f"document.getElementById('fi-pending')?.dataset.count === '{count}'",
            timeout=timeout,
            what=f"{count} change(s) not sent",
        )

    def ops(self, intervention_id=None):
        rows = self.page.evaluate(
            f"import('{DB_JS}').then(db => db.allOps()).then(ops => ops.sort((a, b) => a.seq - b.seq)"
            ".map(op => ({key: op.key, id: op.intervention_id, type: op.type, status: op.status,"
            " message: op.message})))"
        )
        return [row for row in rows if intervention_id is None or row["id"] == intervention_id]

    def queued(self, intervention_id, op_type):
        return any(op["type"] == op_type for op in self.ops(intervention_id))

    def login(self, login):
        """Log in on Odoo's login page, which brings the app."""
        page = self.page
        page.goto(f"{self.proxy.url}/web/login?redirect={APP}")
        # a late load event of the page before (the logout's redirects) may end goto() early
        page.wait_for("!!document.querySelector('input[name=login]')", timeout=60, what="the login form")
        page.evaluate(
            f"document.querySelector('input[name=login]').value = {json.dumps(login)};"
            f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)}; 1"
        )
        page.evaluate("document.querySelector('form.oe_login_form').submit(); 1")
        page.wait_event("Page.loadEventFired", timeout=60)
        self.wait_ready()

    def retry_settings(self, **settings):
        """Shorter deadlines and waits than the app's (the same module instance as the app's).
        Without the module (an app that never retries) the test goes on and shows the behaviour;
        ``test_retry_defaults`` holds the module's presence and its real values."""
        self.page.evaluate(
            f"import('{RETRY_JS}').then(m => {{ Object.assign(m.SETTINGS, {json.dumps(settings)}); }}, () => null)"
        )

    def store(self, name):
        """A user's store on this phone, read directly (whatever page is open on the site)."""
        return self.page.evaluate(
            "new Promise((resolve, reject) => { const request = indexedDB.open(" + json.dumps(name) + ");"
            " request.onerror = () => reject(request.error);"
            " request.onsuccess = () => { const db = request.result;"
            "  if (!db.objectStoreNames.contains('ops')) { resolve(null); return; }"
            "  const tx = db.transaction(['meta', 'interventions', 'ops']); const out = {};"
            "  tx.objectStore('meta').getAllKeys().onsuccess = (e) => { out.meta = e.target.result; };"
            "  tx.objectStore('interventions').getAll().onsuccess = (e) => { out.interventions = e.target.result; };"
            "  tx.objectStore('ops').getAll().onsuccess = (e) => { out.ops = e.target.result; };"
            "  tx.oncomplete = () => { db.close(); resolve(out); }; }; })"
        )

    def open_intervention(self, intervention_id):
        self.page.evaluate(f"location.hash = '#/i/{intervention_id}'")
        self.page.wait_for(f"document.getElementById('fi-intervention')?.dataset.id === '{intervention_id}'")

    def state(self):
        return self.page.evaluate("document.getElementById('fi-intervention').dataset.state")

    def screenshot(self, name):
        IMAGES.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(IMAGES / name)

    def work(self, intervention_id, world, photo_path):
        """A whole intervention, as the technician does it on site."""
        page = self.page
        self.open_intervention(intervention_id)
        page.tap("#fi-start")
        for button in ("#fi-pause", "#fi-resume", "#fi-stop"):
            time.sleep(1.1)  # the phone's clock counts seconds: every step its own second
            page.tap(button)
        page.wait_for("!!document.getElementById('fi-done') && !document.getElementById('fi-done').disabled")
        page.type_into("#fi-work_description", "Nettoyage du brûleur, remplacement du filtre à air.")
        page.type_into("#fi-findings", "Pression 1,5 bar : conforme. Conduit à ramoner avant l'hiver.")
        page.evaluate(
            "(() => { const select = document.querySelector('.fi-check select');"
            " select.value = 'done'; select.dispatchEvent(new Event('change')); })()"
        )
        page.type_into("#fi-product-search", "F200")
        result = f"button.fi-result[data-product='{world.part}']"
        for _attempt in range(3):
            page.tap(result)
            # a loaded phone may move the list under the finger (a banner appears): a tap that
            # queued no part is tried again, one that did never is
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not self.queued(intervention_id, "add_part"):
                time.sleep(0.2)
            if self.queued(intervention_id, "add_part"):
                break
        page.wait_for("document.querySelectorAll('#fi-parts li').length === 1", timeout=60)
        page.set_files("#fi-photo-input", [photo_path])
        page.wait_for("document.querySelectorAll('#fi-photos img').length === 1", what="the photo")
        page.tap_until(
            "#fi-done", "document.getElementById('fi-intervention')?.dataset.state === 'done'", what="the report done"
        )
        page.tap_until(
            "#fi-to-sign",
            f"document.getElementById('fi-sign')?.dataset.id === '{intervention_id}'",
            what="the signing screen",
        )
        page.wait_for(
            "document.getElementById('fi-hash')?.textContent.length === 64", timeout=60, what="the content hash"
        )
        # the customer reads all that is billed: the technicians, the travel, the parts as printed
        summary = page.evaluate("document.getElementById('fi-summary').textContent")
        assert "Chloé Bernard (tech)" in summary and "F200" in summary and "Déplacement" in summary, summary
        page.type_into("#fi-signer-name", "Paul Martin")
        page.draw("#fi-pad", [(0.1, 0.7), (0.25, 0.2), (0.4, 0.8), (0.6, 0.25), (0.75, 0.75), (0.9, 0.4)])
        page.tap("#fi-confirm-sign")
        page.wait_for(f"document.getElementById('fi-intervention')?.dataset.id === '{intervention_id}'")
        assert self.state() == "signed"


@pytest.fixture(scope="module")
def phone(browser, proxy, crew, world):
    """The phone after the technician logged in and opened the app once, online: the day is
    downloaded; ``phone.measures`` holds what it cost."""
    device = Phone(browser, proxy)
    page = device.page
    page.goto(f"{proxy.url}/web/login?redirect={APP}")
    page.evaluate(
        f"document.querySelector('input[name=login]').value = {json.dumps(crew['login'])};"
        f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)}; 1"
    )
    time.sleep(5)  # the login page loads its lazy assets after its load event: not the app's cost
    proxy.received_bytes = 0  # from here on: what the app costs (its shell, assets, the day)
    page.evaluate("document.querySelector('form.oe_login_form').submit(); 1")
    page.wait_event("Page.loadEventFired", timeout=60)
    device.wait_ready()
    page.wait_for(f"document.querySelectorAll('a.fi-card').length === {DAY_SIZE}", timeout=60, what="the day")
    page.wait_for(
        "navigator.serviceWorker.getRegistration('/field_intervention/app')"
        ".then(r => !!(r && r.active && r.active.state === 'activated'))",
        what="the service worker",
    )
    page.wait_for("!!navigator.serviceWorker.controller || (location.reload(), false)", timeout=30)
    device.wait_ready()
    time.sleep(1)
    device.measures = {"first_visit_bytes": proxy.received_bytes}
    return device


def day_payload_bytes(world, login):
    web = world.web(login)
    response = web.call_raw(f"{APP}/api/day", {"days": 3})
    assert response.status_code == 200 and "result" in response.json()
    return len(response.content)


# ---------------------------------------------------------------------- tests
def test_shell_manifest_and_worker_for_technicians_only(world, crew, server, log_start):
    tech = world.web(crew["login"])
    shell = tech.get(APP)
    assert shell.status_code == 200 and 'id="fi-strings"' in shell.text
    strings = json.loads(shell.text.split('id="fi-strings">', 1)[1].split("</script>", 1)[0])
    assert strings["start"] == "Démarrer" and strings["offline"].startswith("Hors ligne"), strings
    manifest = tech.get(f"{APP}/manifest.webmanifest").json()
    assert manifest["start_url"] == APP and manifest["display"] == "standalone"
    assert manifest["start_url"].startswith(manifest["scope"])
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(tech.get(icon["src"]).content))
        assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
    worker = tech.get(f"{APP}/sw.js")
    assert worker.headers["Content-Type"].startswith("application/javascript")
    assert worker.headers["Service-Worker-Allowed"] == APP
    assert "/api/" in worker.text  # the API is never cached by the worker
    billing = world.web(world.billing_login).get(APP)
    assert billing.status_code == 403 and "fi-refused" in billing.text and "fi-strings" not in billing.text
    anonymous = world.web().get(APP)
    assert "/web/login" in anonymous.url
    assert server.log_problems(since=log_start) == []


def test_offline_intervention_signed_on_the_phone(phone, world, crew, server, log_start, photo):
    erp = world.erp
    target = crew["interventions"][0]
    phone.screenshot("offline-online.png")
    phone.measures["day_payload_bytes"] = day_payload_bytes(world, crew["login"])

    phone.offline()
    phone.work(target, world, photo)
    assert phone.pending() == OPS_PER_INTERVENTION
    assert erp("field.intervention", "read", [target], ["state"])[0]["state"] == "draft"  # nothing went out

    # the phone is closed; opened again in the basement: the service worker serves the app
    phone.reopen()
    timing = phone.page.evaluate(
        "(() => { const nav = performance.getEntriesByType('navigation')[0];"
        " const ready = performance.getEntriesByName('fi-ready')[0];"
        " return {load: nav.loadEventEnd - nav.startTime, ready: ready && ready.startTime,"
        " worker: nav.workerStart > 0}; })()"
    )
    print(
        f"\n[offline app] second visit offline: load {timing['load']:.0f} ms, usable {timing['ready']:.0f} ms;"
        f" first visit downloaded {phone.measures['first_visit_bytes']} bytes (shell, assets, worker, day of"
        f" {DAY_SIZE} interventions); the day's payload alone {phone.measures['day_payload_bytes']} bytes"
    )
    assert timing["worker"], "the second visit was not served by the service worker"
    assert timing["load"] < 2000 and timing["ready"] < 2000, timing
    assert phone.pending() == OPS_PER_INTERVENTION
    phone.open_intervention(target)
    assert phone.state() == "signed"
    assert phone.page.evaluate("document.querySelectorAll('#fi-photos img').length") == 1
    assert "11" in phone.page.evaluate("document.getElementById('fi-pending').textContent")
    phone.screenshot("offline-pending.png")

    phone.online()  # the "online" event sends the queue
    phone.wait_pending(0)
    # an answer later than the app's deadline (a loaded server) is sent again: "duplicate", applied once
    assert {op["status"] for op in phone.ops(target)} <= {"ok", "duplicate"}, phone.ops(target)
    # the customer's signature and the photo leave the phone once the server has them
    kept = phone.page.evaluate(
        f"import('{DB_JS}').then(db => db.allOps()).then(ops => ops"
        ".filter(op => op.payload && (op.payload.image || op.payload.signature)).map(op => op.type))"
    )
    assert kept == [], f"images still on the phone after the sync: {kept}"
    phone.page.evaluate("location.hash = '#/'")
    phone.page.wait_for("!!document.getElementById('fi-list')")
    phone.screenshot("offline-synced.png")

    assert_signed_once(world, target)
    assert server.log_problems(since=log_start) == []


def assert_signed_once(world, target):
    erp = world.erp
    # what the cron threads do right after the sync's answer: the signed PDF, then the invoice
    world.run_sign_jobs()
    world.run_invoicing()
    record = erp(
        "field.intervention",
        "read",
        [target],
        ["state", "time_ids", "part_ids", "photo_ids", "signature_ids", "signed_pdf_id", "invoice_id",
         "date_start", "date_end", "work_description", "findings"],
    )[0]  # fmt: skip
    assert record["state"] == "signed", record
    assert len(record["time_ids"]) == 2 and record["date_start"] and record["date_end"], record
    assert len(record["part_ids"]) == 1 and len(record["photo_ids"]) == 1, record
    assert len(record["signature_ids"]) == 1 and record["signed_pdf_id"], record
    assert "brûleur" in record["work_description"] and "1,5 bar" in record["findings"]
    part = erp("field.intervention.part", "read", record["part_ids"], ["product_id", "quantity"])[0]
    assert part["product_id"][0] == world.part and part["quantity"] == 1.0
    photo = erp("field.intervention.photo", "read", record["photo_ids"], ["image"])[0]
    stored = Image.open(io.BytesIO(base64.b64decode(photo["image"])))
    assert max(stored.size) <= 1280 and stored.format == "JPEG", stored.size  # resized on the phone
    signature = erp(
        "field.intervention.signature",
        "read",
        record["signature_ids"],
        ["status", "signer_name", "mobile_offline", "mobile_phone_time", "mobile_received_on", "content_hash",
         "mobile_content_hash", "signature"],
    )[0]  # fmt: skip
    assert signature["status"] == "signed" and signature["signer_name"] == "Paul Martin"
    assert signature["mobile_offline"] and signature["signature"]
    assert signature["mobile_phone_time"] <= signature["mobile_received_on"], signature
    lines = erp("field.intervention.checklist.line", "search_read", [("intervention_id", "=", target)], ["result"])
    assert [line["result"] for line in lines] == ["done"]
    assert record["invoice_id"], "no draft invoice after the offline signature"
    invoice = erp("account.move", "read", [record["invoice_id"][0]], ["state", "move_type"])[0]
    assert invoice["state"] == "draft" and invoice["move_type"] == "out_invoice"
    pdf = erp("ir.attachment", "read", [record["signed_pdf_id"][0]], ["mimetype"])[0]
    assert pdf["mimetype"] == "application/pdf"
    stored_ops = erp("field.intervention.mobile.op", "search_read", [("intervention_id", "=", target)], ["status"])
    assert len(stored_ops) == OPS_PER_INTERVENTION and {op["status"] for op in stored_ops} == {"ok"}


def test_sync_answer_lost_then_replayed(phone, world, crew, server, log_start, photo, proxy):
    target = crew["interventions"][1]
    phone.offline()
    phone.work(target, world, photo)
    assert phone.pending() == OPS_PER_INTERVENTION

    proxy.drop_answers(SYNC)  # the server applies the batch, its answer never reaches the phone
    phone.online()
    poll(lambda: proxy.dropped >= 1, 120, "the sync's answer swallowed")
    phone.page.wait_for("!!document.getElementById('fi-sync') && !document.getElementById('fi-sync').disabled")
    assert phone.pending() == OPS_PER_INTERVENTION, "ops were forgotten although no answer came back"
    assert world.erp("field.intervention.mobile.op", "search_count", [("intervention_id", "=", target)]) >= 1

    proxy.drop_answers(None)
    # the button, unless the app's own retry is already under way
    phone.page.evaluate("document.getElementById('fi-sync')?.click(); 1")
    phone.wait_pending(0)
    statuses = [op["status"] for op in phone.ops(target)]
    assert "duplicate" in statuses and set(statuses) <= {"ok", "duplicate"}, statuses
    assert_signed_once(world, target)
    assert server.log_problems(since=log_start) == []


def test_conflict_cancelled_by_the_dispatcher(phone, world, crew, server, log_start):
    erp = world.erp
    target = crew["interventions"][2]
    phone.open_intervention(target)
    phone.offline()
    phone.page.tap("#fi-start")
    time.sleep(1.1)
    phone.page.tap("#fi-stop")
    phone.page.type_into("#fi-findings", "Fuite sur le circulateur.")
    phone.wait_pending(3, timeout=60)  # the phone queues at once; a loaded CI machine renders slowly

    erp("field.intervention", "action_cancel", [target])  # meanwhile, at the office

    phone.online()
    phone.wait_pending(0)
    phone.page.wait_for("!!document.getElementById('fi-problems')", what="the conflicts banner")
    phone.open_intervention(target)
    assert phone.state() == "cancel"
    problems = phone.page.evaluate("[...document.querySelectorAll('.fi-problem')].map(n => n.textContent)")
    assert problems and all("annulée" in text for text in problems), problems
    ops = phone.ops(target)
    assert [op["status"] for op in ops] == ["conflict"] * 3, ops  # kept on the phone, with the reason
    stored = erp("field.intervention.mobile.op", "search_read", [("intervention_id", "=", target)], ["status"])
    assert sorted(op["status"] for op in stored) == ["conflict"] * 3  # and kept on the server
    record = erp("field.intervention", "read", [target], ["state", "time_ids", "findings"])[0]
    assert record["state"] == "cancel" and not record["time_ids"] and not record["findings"], record
    phone.page.tap(".fi-problem button")
    phone.page.wait_for("document.querySelectorAll('.fi-problem').length === 2")
    assert server.log_problems(since=log_start) == []


def test_mission_of_tomorrow_signed_offline_today(phone, world, crew, server, log_start, photo):
    """Issue 19: a mission planned for tomorrow, worked and signed offline today. The customer
    reads the sentence of the day the server records (the phone's first start), in the
    customer's language and date format, and the server records the signature."""
    erp = world.erp
    customer = erp(
        "res.partner",
        "create",
        {**world.customer_vals("Pâtisserie Lenoir SARL", "contact@lenoir.test", "732829320"), "lang": "fr_FR"},
    )
    task = erp(
        "project.task",
        "create",
        {
            "name": "Entretien chaudière (prévu demain)",
            "project_id": world.project,
            "partner_id": customer,
            "user_ids": [(6, 0, [crew["uid"]])],
            "planned_date_start": utc(26),
            "planned_date_end": utc(27),
        },
    )
    target = erp("field.intervention", "create", {"task_id": task, "technician_ids": [(6, 0, [crew["uid"]])]})
    phone.online()
    phone.reopen()  # online: the app downloads the day, with the mission of tomorrow
    phone.page.evaluate("location.hash = '#/'")
    phone.page.wait_for(f"!!document.querySelector('a.fi-card[data-id=\"{target}\"]')", timeout=60, what="the mission")
    phone.offline()
    try:
        phone.work(target, world, photo)
    finally:
        phone.online()  # whatever happened: the next tests need the network
    phone.wait_pending(0)
    # a late answer sent again is a duplicate, applied once (the state below says so)
    assert {op["status"] for op in phone.ops(target)} <= {"ok", "duplicate"}, phone.ops(target)

    # what the phone showed and sent, as the server stored it
    ops = erp(
        "field.intervention.mobile.op",
        "search_read",
        [("intervention_id", "=", target), ("op_type", "in", ("start", "sign"))],
        ["op_type", "phone_time", "payload"],
    )
    shown = next(op for op in ops if op["op_type"] == "sign")["payload"]["payload"]["consent_text"]
    start = next(op for op in ops if op["op_type"] == "start")["phone_time"]
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    started = datetime.datetime.fromisoformat(start).replace(tzinfo=datetime.UTC).astimezone(paris).date()
    record = erp("field.intervention", "read", [target], ["state", "intervention_date", "signature_id"])[0]
    planned = erp("project.task", "read", [task], ["planned_date_start"])[0]["planned_date_start"]
    planned_day = datetime.datetime.fromisoformat(planned).replace(tzinfo=datetime.UTC).astimezone(paris).date()
    assert planned_day != started
    assert f"du {started:%d/%m/%Y} ont été réalisés" in shown, shown
    assert record["state"] == "signed" and record["intervention_date"] == started.isoformat(), record
    signature = erp("field.intervention.signature", "read", [record["signature_id"][0]], ["consent_text"])[0]
    assert signature["consent_text"] == shown


# ---------------------------------------------------------------------- a network that hangs
def test_retry_defaults(phone):
    """The app's real deadlines: 15 s per attempt, waits doubling from 5 s up to one minute."""
    real = phone.page.evaluate(
        f"import('{RETRY_JS}').then(m => ({{defaults: m.DEFAULTS,"
        " waits: [1, 2, 3, 4, 5, 6, 20].map(n => m.backoff(n, m.DEFAULTS))}))"
    )
    assert real["defaults"] == {"timeout": 15000, "firstDelay": 5000, "maxDelay": 60000}, real
    assert real["waits"] == [5000, 10000, 20000, 40000, 60000, 60000, 60000], real


def test_change_during_a_hung_attempt_is_not_dropped(phone, world, crew, proxy, network_back, server, log_start):
    """A change made while an attempt hangs is sent right after that attempt, not at the next
    backoff (here 60 s away) nor only at the next tap."""
    target = crew["interventions"][3]
    phone.open_intervention(target)
    phone.retry_settings(timeout=10000, firstDelay=60000, maxDelay=60000)
    proxy.hang()
    hung = proxy.hung
    phone.page.tap("#fi-start")
    poll(lambda: proxy.hung > hung, 30, "the sync hanging")
    phone.page.wait_for("document.getElementById('fi-status')?.dataset.sending === 'true'", what="'sending'")
    proxy.online()  # the network is back; the attempt under way still waits for nothing
    time.sleep(1.1)
    phone.page.tap("#fi-stop")  # during the attempt
    started = time.monotonic()
    phone.wait_pending(0, timeout=30)
    elapsed = time.monotonic() - started
    print(f"\n[hanging network] change made during a hung attempt: sent after {elapsed:.1f} s")
    assert elapsed < 45, elapsed  # right after the 10 s attempt, not after the 60 s backoff
    record = world.erp("field.intervention", "read", [target], ["state", "time_ids"])[0]
    assert record["state"] == "in_progress" and len(record["time_ids"]) == 1, record
    assert server.log_problems(since=log_start) == []


def test_hanging_network_then_recovery_sends_by_itself(phone, world, crew, proxy, network_back, server, log_start):
    """Issue 19, part 6: one bar that answers nothing; the network comes back without the browser
    noticing (no "online" event): the phone sends its pending work by itself within the bound
    (deadline + longest wait), and its banner tells the truth on the way."""
    target = crew["interventions"][4]
    timeout, first, longest = 8000, 2000, 8000
    phone.open_intervention(target)
    phone.retry_settings(timeout=timeout, firstDelay=first, maxDelay=longest)
    proxy.hang()
    hung = proxy.hung
    height = "document.getElementById('fi-banner').offsetHeight"
    before = phone.page.evaluate(height)
    phone.page.tap("#fi-start")
    poll(lambda: proxy.hung > hung, 30, "the sync hanging")
    phone.page.wait_for("!!document.getElementById('fi-retry')", timeout=30, what="the next try announced")
    # the page does not move under the finger: offline, with the work waiting and its next try
    # announced, the banner keeps its height
    assert phone.page.evaluate(height) == before, (before, phone.page.evaluate(height))
    banner = phone.page.evaluate(
        "({status: document.getElementById('fi-status').textContent,"
        " online: document.getElementById('fi-status').dataset.online,"
        " retry: document.getElementById('fi-retry').textContent,"
        " at: document.getElementById('fi-retry').dataset.at, now: new Date().toISOString(),"
        " time: new Date(document.getElementById('fi-retry').dataset.at)"
        ".toLocaleTimeString(document.documentElement.lang, {hour: '2-digit', minute: '2-digit'})})"
    )
    assert banner["online"] == "false" and banner["status"].startswith("Hors ligne"), banner
    assert banner["retry"] == f"Nouvel essai à {banner['time']}", banner
    assert phone.pending() == 1
    phone.page.wait_for(f"(() => {{ const node = document.getElementById('fi-retry');"
                        f" return node && new Date(node.dataset.at) - Date.now() > {first};}})()",
                        timeout=60, what="a longer wait after further failures")  # fmt: skip

    proxy.online()  # the browser is not told: no "online" event, no tap
    started = time.monotonic()
    phone.wait_pending(0, timeout=(timeout + longest) / 1000 + 30)
    elapsed = time.monotonic() - started
    print(f"\n[hanging network] network back: pending work sent by itself after {elapsed:.1f} s"
          f" (bound {(timeout + longest) / 1000:.0f} s + margin)")  # fmt: skip
    assert elapsed < (timeout + longest) / 1000 + 15, elapsed  # + the sync itself on a loaded machine
    phone.page.wait_for("!document.getElementById('fi-retry')", what="no next try announced")
    assert phone.page.evaluate("document.getElementById('fi-status').dataset.online") == "true"
    assert phone.page.evaluate("document.getElementById('fi-pending').textContent").startswith("Tout est envoyé")
    record = world.erp("field.intervention", "read", [target], ["state"])[0]
    assert record["state"] == "in_progress", record
    assert server.log_problems(since=log_start) == []


# ---------------------------------------------------------------------- a shared phone
def test_shared_phone_keeps_each_technicians_data_apart(
    phone, world, crew, crew2, proxy, network_back, server, log_start
):
    """Issue 20, part 4: Chloé works offline, her changes cannot leave (the sync hangs), she logs
    out as Odoo's menu does: the logout screen says what stays; what was synced leaves the phone,
    what was not stays locked and unreadable. Offline the app no longer opens her day. Marc logs in
    on the same phone: he sees none of her missions nor changes, and nothing of hers is sent under
    his session. Chloé logs in again: her changes leave, under her name."""
    erp = world.erp
    database = server.database
    chloe_store = f"fi-mobile-{database}-{crew['uid']}"
    marc_store = f"fi-mobile-{database}-{crew2['uid']}"
    target = crew["interventions"][5]
    page = phone.page

    phone.open_intervention(target)
    phone.offline()
    page.tap("#fi-start")
    page.wait_for("!!document.getElementById('fi-pause')", what="the started timer")  # rendered: typing is kept
    page.type_into("#fi-findings", "Code porte 4721, chien dans la cour.")
    poll(
        lambda: [op["type"] for op in phone.ops(target) if op["status"] == "pending"] == ["start", "set_text"],
        60,
        "her two changes stored",
    )
    phone.wait_pending(2, timeout=30)
    proxy.hang(SYNC)  # the server answers, but her sync never gets through
    phone.page.network(False)

    # Odoo's own logout (the web client's menu) goes through the app's logout screen
    page.goto(f"{proxy.url}/web/session/logout")
    page.wait_for("!!document.getElementById('fi-logout-page')", timeout=60, what="the logout screen")
    text = page.evaluate("document.getElementById('fi-logout-text').textContent")
    assert page.evaluate("document.getElementById('fi-logout-page').dataset.pending") == "2"
    assert text.startswith("2 modification(s) pas encore envoyée(s)") and "verrouillées" in text, text
    page.tap("#fi-logout-confirm")
    page.wait_for("location.pathname === '/web/login'", timeout=90, what="the login page")

    stored = phone.store(chloe_store)
    assert stored["interventions"] == [] and stored["meta"] == ["device_id"], stored
    assert len(stored["ops"]) == 2 and all(op["sealed"] and "payload" not in op for op in stored["ops"])
    assert "4721" not in json.dumps(stored["ops"]), "her pending changes are readable after logout"
    assert page.evaluate(f"caches.match({json.dumps(APP)}).then(found => !found)"), "her page is still cached"

    # offline, after her logout, the app no longer opens her day
    proxy.offline()
    page.network(True)
    with contextlib.suppress(CdpError):  # no page at all is an expected outcome
        page.goto(proxy.url + APP, timeout=30)
    time.sleep(2)
    assert page.evaluate("document.querySelectorAll('a.fi-card').length") == 0
    assert "Chaudière" not in page.evaluate("document.body ? document.body.innerText : ''")

    # Marc logs in on the same phone (her sync still cannot get through)
    proxy.hang(SYNC)
    page.network(False)
    phone.login(crew2["login"])
    page.wait_for("document.querySelectorAll('a.fi-card').length === 2", timeout=60, what="Marc's day")
    shown = page.evaluate("[...document.querySelectorAll('a.fi-card')].map(card => Number(card.dataset.id))")
    assert sorted(shown) == sorted(crew2["interventions"]), shown
    assert phone.pending() == 0
    page.evaluate("location.hash = '#/queue'")
    page.wait_for("!!document.getElementById('fi-queue')")
    assert page.evaluate("document.querySelectorAll('#fi-queue li').length") == 0
    assert "4721" not in page.evaluate("document.body.innerText")
    assert erp("field.intervention.mobile.op", "search_count", [("intervention_id", "=", target)]) == 0
    assert erp("field.intervention", "read", [target], ["state"])[0]["state"] == "draft"
    assert phone.store(marc_store)["ops"] == []

    # his logout: nothing pending, the screen says so
    page.evaluate("location.hash = '#/logout'")
    page.wait_for("!!document.getElementById('fi-logout-page')")
    assert page.evaluate("document.getElementById('fi-logout-text').textContent").startswith("Tout est envoyé")
    page.tap("#fi-logout-confirm")
    page.wait_for("location.pathname === '/web/login'", timeout=90, what="the login page")
    assert phone.store(marc_store)["interventions"] == []

    # Chloé's next login, with the network: her locked changes leave, under her name
    proxy.online()
    phone.login(crew["login"])
    phone.wait_pending(0, timeout=60)
    record = erp("field.intervention", "read", [target], ["state", "findings"])[0]
    assert record["state"] == "in_progress" and "4721" in record["findings"], record
    ops = erp("field.intervention.mobile.op", "search_read", [("intervention_id", "=", target)], ["user_id", "status"])
    assert len(ops) == 2 and {op["user_id"][0] for op in ops} == {crew["uid"]}, ops
    assert {op["status"] for op in ops} == {"ok"}, ops
    assert server.log_problems(since=log_start) == []
