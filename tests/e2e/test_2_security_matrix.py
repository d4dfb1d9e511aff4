"""The probe matrix: every field and public method of our addons' models, tried by every role,
in every state, against the real server, held to the trust policy (policy.py).

The models, their fields and their RPC-callable methods come from the registry of the running
database (registry_dump.py through ``odoo-bin shell``), not from a list kept by hand: a field or
a method the policy does not mention fails the test. Each probe is one JSON-RPC call, as a script
or the browser console makes it:

- write every field (with the value it already has: a permitted write changes nothing) on the
  fixture of each state, as each role;
- create with every field (our models), as each role, in each state of the parent report;
- unlink the fixture (or a fresh copy when the role may), as each role, in each state;
- call every public method on the fixture (or a fresh copy when the call changes it);
- the same without a session (public visitor), and the portal routes with the customer's token
  of each state, logged out and logged in as an employee;
- core's lifecycle of the invoice of an intervention in each of its states (draft, posted,
  queued for the approved platform, deposited, rejected by the platform, rejected by a 213): its
  reset to draft and cancellation, a header field, a line's price and ``payment_state`` written,
  the credit note (the reversal wizard), as each role; the invoices are deposited on the PA
  simulator (setup/pa_simulator.py);
- the platform's webhook: no signature, a wrong one, an unknown company, a body over the cap or
  without a length, with each role's session cookie;
- the phone's API (/day, /sync), as each role and without a session: every operation type on
  the intervention of each state, replays of an operation (later, twice in a batch, twice at
  once, by another user), operations naming another technician's intervention, part or
  checklist item, or a product the technician may not use.

A probe the policy refuses must come back as a clean refusal (AccessError, UserError,
ValidationError, MissingError) and change nothing; one it permits must succeed. The test ends
with the line ``N probes, 0 leaks``.
"""

import datetime
import hashlib
import hmac
import json
import os
import pathlib
import re
import subprocess
import threading

import pytest
import requests

from . import policy
from .clients import RpcError, WebSession, photo_jpeg, signature_png
from .test_7_pa import connect_platform, emit, run_deposits
from .world import PASSWORD, utc

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
REFUSALS = ("AccessError", "UserError", "ValidationError", "MissingError", "RedirectWarning")
MANAGER_GROUP = "field_intervention.group_field_intervention_manager"
REPORT_MODELS = (
    "field.intervention",
    "field.intervention.time",
    "field.intervention.part",
    "field.intervention.checklist.line",
    "field.intervention.photo",
)
# lists that permitted probes rightly grow: the fresh interventions of the mission, and the
# signature log (a customer opening the report with the link logs a visit)
GROWING = {
    ("project.task", "intervention_ids"),
    ("project.project", "intervention_ids"),
    ("field.intervention", "sign_event_ids"),
}
WIZARDS = ("field.intervention.sign.wizard", "field.intervention.sign.request")
WEBHOOK_SECRET = "matrix-webhook-secret"
SYNC_PATH = "/field_intervention/app/api/sync"
DAY_PATH = "/field_intervention/app/api/day"
# the operations of the phone that change the report's content, probed together on one report
CONTENT_OPS = ("set_text", "set_checklist", "add_part", "remove_part", "add_photo")
UNKNOWN_ID = 10**9
# core fields of the invoice a permitted probe writes on a fresh invoice (the others are written
# back as they were by the ERP right after the probe)
FRESH_CORE_FIELDS = ("invoice_line_ids",)
AGGREGATES = ("field.intervention.invoice.report", "field.intervention.invoice.kpi")
LINE_FIELD = {
    "field.intervention.time": "time_ids",
    "field.intervention.part": "part_ids",
    "field.intervention.checklist.line": "checklist_line_ids",
    "field.intervention.photo": "photo_ids",
}


def read_registry(database):
    """What our addons put in the registry (see registry_dump.py)."""
    command = [
        os.path.join(os.environ["FI_VENV"], "bin", "python"),
        os.path.join(os.environ["ODOO_DIR"], "odoo-bin"),
        "shell",
        f"--addons-path={os.environ['ODOO_DIR']}/addons,{ROOT}",
        f"--db_host={os.environ.get('FI_DB_HOST', '127.0.0.1')}",
        f"--db_port={os.environ.get('FI_DB_PORT', '5432')}",
        f"--db_user={os.environ.get('FI_DB_USER', 'odoo')}",
        f"--database={database}",
        "--no-http",
        "--log-level=warn",
    ]
    script = (pathlib.Path(__file__).parent / "registry_dump.py").read_text()
    result = subprocess.run(
        command,
        input=script,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ, FI_REPO_ROOT=str(ROOT)),
    )
    for line in result.stdout.splitlines():
        if line.startswith("REGISTRY:"):
            return json.loads(line[len("REGISTRY:") :])
    raise AssertionError(f"registry dump failed: {result.stderr[-2000:]}")


class Ledger:
    """Counts the probes; keeps the leaks, the drifts and the refusal messages."""

    def __init__(self):
        self.count = 0
        self.leaks = []
        self.drifts = []
        self.refusals = set()

    def record(self, label, expected, outcome, detail=""):
        self.count += 1
        if outcome == "refused" and not expected:
            return
        if outcome == "ok" and expected:
            return
        if outcome == "ok":
            self.leaks.append(f"LEAK {label}: accepted {detail}")
        elif outcome == "refused":
            self.drifts.append(f"DRIFT {label}: refused though the policy permits it: {detail}")
        else:
            self.leaks.append(f"DEFECT {label}: {detail}")


def attempt(ledger, label, expected, call):
    """Run one probe; classify it as ok, refused (clean error) or a defect."""
    try:
        result = call()
    except RpcError as error:
        if any(name in error.name for name in REFUSALS):
            ledger.refusals.add(error.message.strip().splitlines()[0] if error.message else "")
            ledger.record(label, expected, "refused", error.message[:300])
        else:
            ledger.record(label, expected, "defect", repr(error)[:500])
        return None
    ledger.record(label, expected, "ok", str(result)[:200])
    return result


def allowed(rule, role, state):
    return state in rule.get(role, ())


def write_value(value, ttype):
    """The value a record already has, in the form write() takes (x2many: no command)."""
    if ttype in ("one2many", "many2many"):
        return []
    if ttype == "many2one":
        return value[0] if value else False
    return value


class Matrix:
    """The fixture: users of each role, one intervention per state with its lines, the evidence
    and the invoice of signed ones, the wizards; built over XML-RPC by the company's ERP."""

    def __init__(self, world, erp, server, pg, workdir):
        self.world, self.erp, self.server, self.pg, self.workdir = world, erp, server, pg, workdir
        self.tag = world.tag
        self.cleanup = []  # (model, id) created by permitted probes, removed at the end
        self.minute = 0
        self.simulator = None
        self.fresh_invoices = {}  # state -> invoices that permitted probes may change
        self.keys = 0
        self.facts, self.prices = {}, {}  # of the invoices (probe_invoice_core)

    # -- users and sessions -------------------------------------------------------------
    def build(self):
        erp, world = self.erp, self.world
        self.registry = read_registry(self.server.database)
        manager_login = f"dispatch.{self.tag}"
        manager = erp(
            "res.users",
            "create",
            {
                "name": "Denis Dispatcher",
                "login": manager_login,
                "password": PASSWORD,
                "email": f"{manager_login}@chauffage.test",
                "groups_id": [(6, 0, [erp.ref("base.group_user"), erp.ref(MANAGER_GROUP)])],
            },
        )
        erp("hr.employee", "create", {"name": "Denis Dispatcher", "user_id": manager, "company_id": world.company_id})
        own_contact = erp(
            "res.partner",
            "create",
            {"name": "Claire Syndic", "parent_id": world.cust_c, "email": f"claire.{self.tag}@t.test"},
        )
        other_contact = erp(
            "res.partner",
            "create",
            {"name": "Marc Martin", "parent_id": world.cust_a, "email": f"marc.{self.tag}@t.test"},
        )
        logins = {
            "tech_own": world.tech_a_login,
            "tech_other": world.tech_b_login,
            "manager": manager_login,
            "billing": world.billing_login,
        }
        for role, contact in (("portal_own", own_contact), ("portal_other", other_contact)):
            login = f"{role}.{self.tag}"
            erp(
                "res.users",
                "create",
                {
                    "name": role,
                    "login": login,
                    "password": PASSWORD,
                    "partner_id": contact,
                    "groups_id": [(6, 0, [erp.ref("base.group_portal")])],
                },
            )
            logins[role] = login
        self.logins = logins
        self.sessions = {}
        for role, login in logins.items():
            session = WebSession(self.server.url, self.server.database)
            session.authenticate(login, PASSWORD)
            self.sessions[role] = session
        self._build_project()
        self._build_fixtures()
        return self

    def _build_project(self):
        erp, world = self.erp, self.world
        self.project = erp(
            "project.project",
            "create",
            {
                "name": f"Matrice {self.tag}",
                "is_field_service": True,
                "privacy_visibility": "followers",
                "allow_timesheets": True,
                "labour_product_id": world.labour,
                "travel_product_id": world.travel,
                "intervention_invoice_policy": "manual",
                "checklist_template_ids": [(0, 0, {"name": "Pression contrôlée", "sequence": 1})],
            },
        )
        # the project is followers-only: its technician follows it, the other technician does not
        partner = erp("res.users", "read", [world.tech_a], ["partner_id"])[0]["partner_id"][0]
        erp("project.project", "message_subscribe", [self.project], partner_ids=[partner])
        self.task = erp(
            "project.task",
            "create",
            {
                "name": "Mission de la matrice",
                "project_id": self.project,
                "partner_id": world.cust_c,
                "user_ids": [(6, 0, [world.tech_a])],
                "planned_date_start": utc(-5),
                "planned_date_end": utc(2),
            },
        )

    # -- interventions in each state ----------------------------------------------------------
    def _next_slot(self):
        """A past hour of its own for each time segment (segments of a report may not overlap)."""
        self.minute += 1
        return utc(-48 - self.minute), utc(-48 - self.minute + 0.5)

    def make(self, state):
        """A new intervention of the fixture's mission in ``state``, through its actions."""
        erp, world = self.erp, self.world
        start, end = self._next_slot()
        vals = {
            "task_id": self.task,
            "technician_ids": [(6, 0, [world.tech_a])],
            "work_description": "Contrôle et nettoyage.",
            "part_ids": [(0, 0, {"product_id": world.part, "quantity": 1})],
            "photo_ids": [(0, 0, {"name": "Chaudière", "image": photo_jpeg()})],
        }
        if state != "in_progress":
            vals["time_ids"] = [(0, 0, {"date_start": start, "date_end": end})]
        intervention = erp("field.intervention", "create", vals)
        if state == "in_progress":
            erp("field.intervention", "action_start", [intervention])
        elif state == "cancel":
            erp("field.intervention", "action_cancel", [intervention])
        elif state in ("done", "signed", "disputed"):
            erp("field.intervention", "action_done", [intervention])
        if state in ("signed", "disputed"):
            self.device_decision(intervention, state)
        return intervention

    def device_decision(self, intervention, state):
        tech = self.sessions["tech_own"]
        vals = {"intervention_id": intervention, "signer_name": "Claire Syndic", "signature": signature_png(3)}
        if state == "disputed":
            vals.update({"decision": "refuse", "refusal_reason": "Fuite non réparée", "signature": False})
        wizard = tech.call_kw("field.intervention.sign.wizard", "create", [vals])
        tech.call_button("field.intervention.sign.wizard", "action_confirm", [wizard])
        self.world.run_sign_jobs()  # the signed PDF and the emails, right after the answer

    def _build_fixtures(self):
        erp = self.erp
        self.interventions = {state: self.make(state) for state in policy.STATES}
        self.records = {model: {} for model in self.registry["models"]}
        lines = erp("field.intervention", "read", list(self.interventions.values()), list(LINE_FIELD.values()))
        by_id = {row["id"]: row for row in lines}
        for state, intervention in self.interventions.items():
            self.records["field.intervention"][state] = intervention
            for model, field in LINE_FIELD.items():
                ids = by_id[intervention][field]
                self.records[model][state] = ids[0] if ids else None
        for model in ("field.intervention.signature", "field.intervention.sign.event"):
            for state in ("signed", "disputed"):
                ids = erp(model, "search", [("intervention_id", "=", self.interventions[state])], limit=1)
                self.records[model][state] = ids[0]
        # interventions signed and invoiced by billing: their invoices in each state of their life
        # (one fixture each, and fresh ones for the permitted probes that change an invoice)
        invoices, lines = self._build_invoices()
        timesheet = erp(
            "account.analytic.line", "search", [("intervention_id", "=", self.interventions["done"])], limit=1
        )
        for state, invoice in invoices.items():
            self.records["account.move"][state] = invoice
        single = {
            "account.move.line": lines[invoices["draft"]],
            "account.analytic.line": timesheet[0],
            "project.task": self.task,
            "project.project": self.project,
            "res.partner": self.world.cust_c,
            "res.company": self.world.company_id,
            "res.config.settings": erp("res.config.settings", "create", {}),
            "field.intervention.checklist.template": erp(
                "field.intervention.checklist.template", "search", [("project_id", "=", self.project)], limit=1
            )[0],
            "field.intervention.sign.wizard": self.own_wizard("field.intervention.sign.wizard"),
            "field.intervention.sign.request": self.own_wizard("field.intervention.sign.request"),
        }
        # the KPIs are a materialized view: computed now (the manager's Refresh button), it holds
        # the rows of the fixtures
        self.sessions["manager"].call_kw("field.intervention.invoice.kpi", "action_fi_refresh", [[]])
        for model in ("field.intervention.invoice.report", "field.intervention.invoice.kpi"):
            found = erp(model, "search", [], limit=1)
            single[model] = found[0] if found else None
        if "field.intervention.mobile.op" in self.registry["models"]:
            single["field.intervention.mobile.op"] = self.mobile_op()
        if "field.intervention.contract" in self.registry["models"]:
            single.update(self._build_maintenance())
        for model, record in single.items():
            if model in self.records:
                self.records[model]["any"] = record
        self.tokens = {}
        for state, intervention in self.interventions.items():
            url = erp("field.intervention", "get_portal_url", [intervention])
            self.tokens[state] = re.search(r"access_token=([\w-]+)", url).group(1)

    # -- the maintenance contracts (field_intervention_maintenance) -------------------------------
    def _build_maintenance(self):
        """The customer's boiler, a running contract on it in a project of its own, and the
        visit the scheduled action planned (no technician yet: no intervention)."""
        erp, world = self.erp, self.world
        self.maintenance_project = erp(
            "project.project", "create", {"name": f"Contrats {self.tag}", "is_field_service": True}
        )
        equipment = erp(
            "field.intervention.equipment",
            "create",
            {"site_id": world.cust_c, "kind": "gas_boiler", "brand": "Viessmann", "serial_number": f"M-{self.tag}"},
        )
        contract = self.maintenance_contract(equipment)
        erp("ir.cron", "method_direct_trigger", [erp.ref("field_intervention_maintenance.ir_cron_plan_visits")])
        visit = erp("field.intervention.visit", "search", [("contract_id", "=", contract)])
        assert len(visit) == 1, visit
        line = erp("field.intervention.contract.line", "search", [("contract_id", "=", contract)])[0]
        index = erp(
            "field.intervention.price.index",
            "create",
            {"name": f"BT40 {self.tag}", "month": "2030-01-01", "value": 120},
        )
        return {
            "field.intervention.price.index": index,
            "field.intervention.equipment": equipment,
            "field.intervention.contract": contract,
            "field.intervention.contract.line": line,
            "field.intervention.visit": visit[0],
        }

    def maintenance_contract(self, equipment):
        """A running contract of the customer on ``equipment``, its visit due in three days."""
        due = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
        contract = self.erp(
            "field.intervention.contract",
            "create",
            {
                "partner_id": self.world.cust_c,
                "project_id": self.maintenance_project,
                "line_ids": [(0, 0, {"equipment_id": equipment, "first_due_date": due})],
            },
        )
        self.erp("field.intervention.contract", "action_confirm", [contract])
        return contract

    # -- the invoice of an intervention in each state, the approved platform ----------------------
    def fresh_needs(self):
        """How many fresh invoices of each state billing's permitted probes that change an
        invoice use (policy.MUTATING, policy.CORE_FIELDS)."""
        needs = dict.fromkeys(policy.INVOICE_STATES, 0)
        for method, states in policy.MUTATING["account.move"].items():
            for state in states:
                if allowed(policy.METHODS["account.move"].get(method, {}), "billing", state):
                    needs[state] += 1
        for field, rule in policy.CORE_FIELDS["account.move"].items():
            if field in FRESH_CORE_FIELDS:
                for state in policy.INVOICE_STATES:
                    needs[state] += allowed(rule, "billing", state)
        return needs

    def _build_invoices(self):
        """The fixture invoice of each state, and the fresh ones: interventions signed on the
        device, invoiced by billing; posted before the platform is set up ("posted"), then
        deposited on the PA simulator (accepted, rejected by an Error acknowledgement, or
        accepted and then refused by a 213 Rejetée pushed by its webhook) or left queued."""
        erp = self.erp
        wanted = {state: 1 + count for state, count in self.fresh_needs().items()}
        interventions = [self.make("signed") for __ in range(sum(wanted.values()))]
        billing = self.sessions["billing"]
        by_state, lines = {}, {}
        for state, count in wanted.items():
            for __ in range(count):
                intervention = interventions.pop()
                billing.call_button("field.intervention", "action_fi_create_invoice", [intervention])
                line = erp(
                    "account.move.line",
                    "search",
                    [("intervention_id", "=", intervention), ("fi_invoice_claim", "=", True)],
                )
                invoice = erp("account.move.line", "read", line, ["move_id"])[0]["move_id"][0]
                by_state.setdefault(state, []).append(invoice)
                lines[invoice] = line[0]
        erp("res.company", "write", [self.world.company_id], {"l10n_fr_pa_enabled": False})
        erp("account.move", "action_post", by_state["posted"])  # before any platform
        self.pa = self._start_platform()
        # what earlier tests left queued (an invoice sent by Send) leaves first: the rejections
        # below are for these invoices only
        run_deposits(self.world, self.pg)
        rejected = by_state["rejected"]
        self.pa.control("mode", {"mode": "reject", "count": len(rejected), "reasonCode": "InvalidSchema"})
        erp("account.move", "action_post", rejected)
        run_deposits(self.world, self.pg)
        accepted = by_state["deposited"] + by_state["rejected_213"]
        erp("account.move", "action_post", accepted)
        run_deposits(self.world, self.pg)
        for invoice in erp("account.move", "read", by_state["rejected_213"], ["name"]):
            emit(self.pa, invoice["name"], 213, webhook=True, reasonCode="DOUBLON", reason="Facture en double")
        erp("account.move", "action_post", by_state["queued"])  # no deposit runs from here on
        expected = {
            "draft": ("draft", False, False),
            "posted": ("posted", False, False),
            "queued": ("posted", "queued", False),
            "deposited": ("posted", "sent", False),
            "rejected": ("posted", "error", False),
            "rejected_213": ("posted", "sent", "213"),
        }
        for state, invoices in by_state.items():
            fields = ["state", "l10n_fr_pa_deposit_state", "l10n_fr_pa_status"]
            for row in erp("account.move", "read", invoices, fields):
                found = (row["state"], row["l10n_fr_pa_deposit_state"], row["l10n_fr_pa_status"])
                if state != "rejected_213":
                    found = (*found[:2], False)
                assert found == expected[state], (state, row)
            self.fresh_invoices[state] = invoices[1:]
        return {state: invoices[0] for state, invoices in by_state.items()}, lines

    def _start_platform(self):
        """The PA simulator, and the company's connection to it (as test_7_pa's, in CII: no PDF
        to render); its webhook signed with WEBHOOK_SECRET."""
        world = self.world
        self.webhook_url = f"{self.server.url}/l10n_fr_pa_flow/webhook/{world.company_id}"
        self.simulator, client = connect_platform(
            world, self.server, self.workdir, "odoo-matrix", "CII", WEBHOOK_SECRET
        )
        return client

    def close(self):
        """The platform off again (what the matrix left queued is deposited by later tests)."""
        if self.simulator:
            self.erp("res.company", "write", [self.world.company_id], {"l10n_fr_pa_enabled": False})
            self.simulator.stop()

    def mobile_op(self):
        """An operation the technician's phone app sent (a start on the cancelled report: a
        conflict that changes no fixture), as the sync stored it."""
        tech = self.sessions["tech_own"]
        answer = tech.call(
            "/field_intervention/app/api/sync",
            {
                "device_id": f"matrix-{self.tag}",
                "owner": tech.uid,  # the phone's queue belongs to the session's user
                "ops": [
                    {
                        "key": f"matrix-{self.tag}-start",
                        "owner": tech.uid,
                        "intervention_id": self.interventions["cancel"],
                        "type": "start",
                        "at": utc(-1).replace(" ", "T") + "Z",
                        "payload": {},
                    }
                ],
            },
        )
        assert answer["results"][0]["status"] == "conflict", answer
        return self.erp("field.intervention.mobile.op", "search", [("key", "=", f"matrix-{self.tag}-start")])[0]

    def own_wizard(self, model, intervention=None, role="tech_own"):
        """A wizard of ``role`` (default: the assigned technician), complete, on ``intervention``
        (default: the done fixture)."""
        vals = {"intervention_id": intervention or self.interventions["done"]}
        if model == "field.intervention.sign.wizard":
            vals.update({"signer_name": "Claire Syndic", "signature": signature_png(4)})
        return self.sessions[role].call_kw(model, "create", [vals])

    def phone(self, role, new_session=False):
        """The phone app of ``role`` (a new login when ``new_session``)."""
        if new_session:
            session = WebSession(self.server.url, self.server.database)
            session.authenticate(self.logins[role], PASSWORD)
            phone = Phone(self, role)
            phone.session, phone.uid = session, session.uid
            return phone
        return Phone(self, role)

    def record_for(self, model, state, role):
        """The fixture a role's write probes target: a signing screen is its creator's only (the
        technician's fixture), so the dispatcher, who opens his own, writes on his own."""
        if model in WIZARDS and role == "manager":
            return self.own_wizard(model, role=role)
        return self.records.get(model, {}).get(state)

    # -- helpers of the probes -------------------------------------------------------------
    def axis(self, model):
        if model in policy.AXES:
            return policy.AXES[model]
        return (
            policy.STATES
            if model in self.records and any(s in self.records[model] for s in policy.STATES)
            else policy.ANY
        )

    def read(self, model, ids, fields, owner="tech_own"):
        """Read as the ERP; a wizard as its ``owner`` (a signing screen is its creator's only)."""
        if model in WIZARDS:
            return self.sessions[owner].call_kw(model, "read", [ids, fields])
        return self.erp(model, "read", ids, fields)

    def values(self, model, record, owner="tech_own"):
        fields = self.registry["models"][model]["fields"]
        rows = self.read(model, [record], list(fields), owner)
        if not rows:
            return None
        row = rows[0]
        return {name: write_value(row.get(name), spec["type"]) for name, spec in fields.items()}

    def field_rule(self, model, field):
        rules = policy.FIELDS.get(model)
        if rules == "NOBODY":
            return policy.NOBODY
        return rules.get(field) if rules is not None else None

    def snapshot(self):
        """Stored values of every fixture record (what a refused probe must not change)."""
        taken = {}
        for model, by_state in self.records.items():
            stored = [
                name
                for name, spec in self.registry["models"][model]["fields"].items()
                if spec["stored"]
                and name not in ("write_date", "write_uid", "__last_update")
                and spec["type"] != "binary"
            ]
            ids = [record for record in by_state.values() if record]
            # the billing analysis views aggregate every intervention, those permitted probes make too
            if stored and ids and model not in ("res.config.settings", *AGGREGATES):
                taken[model] = self.read(model, ids, stored)
        return taken


@pytest.fixture(scope="module")
def matrix(world, erp, server, pg, tmp_path_factory):
    built = Matrix(world, erp, server, pg, tmp_path_factory.mktemp("matrix"))
    try:
        yield built.build()
    finally:
        built.close()


def probe_coverage(matrix, ledger):
    """Every field and public method of the registry has its entry in the policy."""
    missing = []
    for model, spec in matrix.registry["models"].items():
        rules = policy.FIELDS.get(model)
        if rules is None:
            missing.append(f"{model}: no field policy")
            continue
        if rules != "NOBODY":
            missing += [f"{model}.{name}: no field policy" for name in spec["fields"] if name not in rules]
        methods = policy.METHODS.get(model, {})
        missing += [f"{model}.{name}(): no method policy" for name in spec["methods"] if name not in methods]
        if spec["ours"] and (model not in policy.CREATE or model not in policy.UNLINK):
            missing.append(f"{model}: no create/unlink policy")
    for line in missing:
        ledger.leaks.append(f"UNCOVERED {line}")
    ledger.count += len(missing)


def probe_writes(matrix, ledger, role):
    session = matrix.sessions[role]
    for model, spec in matrix.registry["models"].items():
        for state in matrix.axis(model):
            record = matrix.record_for(model, state, role)
            if not record:
                continue
            values = matrix.values(model, record, "manager" if model in WIZARDS and role == "manager" else "tech_own")
            if values is None:
                ledger.leaks.append(f"LEAK {model} [{state}]: the fixture record was deleted by an earlier probe")
                continue
            for field in spec["fields"]:
                rule = matrix.field_rule(model, field)
                if rule is None:
                    continue  # reported as uncovered
                attempt(
                    ledger,
                    f"{role} writes {model}.{field} [{state}]",
                    allowed(rule, role, state),
                    lambda model=model, record=record, field=field, values=values: session.call_kw(
                        model, "write", [[record], {field: values[field]}]
                    ),
                )


def base_values(matrix, model, state):
    world = matrix.world
    parent = matrix.interventions.get(state if state in policy.STATES else "done")
    start, end = matrix._next_slot()
    return {
        "field.intervention": {"task_id": matrix.task, "technician_ids": [(6, 0, [world.tech_a])]},
        "field.intervention.time": {"intervention_id": parent, "date_start": start, "date_end": end},
        "field.intervention.part": {"intervention_id": parent, "product_id": world.part},
        "field.intervention.checklist.line": {"intervention_id": parent, "name": "Sonde"},
        "field.intervention.photo": {"intervention_id": parent, "image": photo_jpeg()},
        "field.intervention.checklist.template": {"project_id": matrix.project, "name": "Sonde"},
        "field.intervention.equipment": {"site_id": world.cust_c, "kind": "gas_boiler"},
        "field.intervention.contract": {
            "partner_id": world.cust_c,
            "project_id": getattr(matrix, "maintenance_project", None),
        },
        "field.intervention.contract.line": {
            "contract_id": matrix.records.get("field.intervention.contract", {}).get("any"),
            "equipment_id": matrix.records.get("field.intervention.equipment", {}).get("any"),
        },
        "field.intervention.visit": {
            "contract_line_id": matrix.records.get("field.intervention.contract.line", {}).get("any"),
            "due_date": "2031-01-01",
        },
        # one value per index and month: a name of its own for each probe
        "field.intervention.price.index": {
            "name": f"Sonde {matrix.tag} {matrix.minute}",
            "month": "2030-01-01",
            "value": 1,
        },
        # field_intervention_maintenance_invoice: a forged invoiced period of the contract
        "field.intervention.contract.fee": {
            "contract_id": matrix.records.get("field.intervention.contract", {}).get("any"),
            "period_start": "2031-01-01",
            "period_end": "2031-12-31",
            "amount": 1.0,
        },
        "field.intervention.signature": {
            "intervention_id": parent,
            "status": "signed",
            "signer_name": "Forgé",
            "signer_role": "device",
            "consent_text": "x",
        },
        "field.intervention.sign.event": {"intervention_id": parent, "event_type": "sent"},
        "field.intervention.mobile.op": {"key": f"forged-{matrix.tag}-{state}", "status": "ok"},
        "field.intervention.sign.wizard": {"intervention_id": parent},
        "field.intervention.sign.request": {"intervention_id": parent},
        "field.intervention.invoice.report": {},
        "field.intervention.invoice.kpi": {},
        "project.task": {"name": "Sonde", "project_id": matrix.project},
        "project.project": {"name": f"Sonde {matrix.tag}"},
        "res.partner": {"name": "Sonde"},
        "account.analytic.line": {"name": "Sonde", "project_id": matrix.project, "task_id": matrix.task},
    }.get(model)


def probe_creates(matrix, ledger, role):
    session = matrix.sessions[role]
    for model, spec in matrix.registry["models"].items():
        ours = spec["ours"]
        if base_values(matrix, model, "draft") is None:
            continue  # core models created elsewhere than with our fields: their writes are probed
        create_rule = policy.CREATE.get(model, policy.may(*policy.ROLES, states=policy.STATES + policy.ANY))
        states = (("draft",) if model == "field.intervention" else matrix.axis(model)) if ours else policy.ANY
        for state in states:
            template = matrix.records.get(model, {}).get(state) or matrix.records.get(model, {}).get("draft")
            values = (matrix.values(model, template) if template else None) or {}
            if not spec["fields"] or not any(matrix.field_rule(model, f) is not None for f in spec["fields"]):
                continue
            for field in spec["fields"]:
                rule = matrix.field_rule(model, field)
                if rule is None or (not ours and rule):
                    continue  # core models: only our protected fields are probed at creation
                vals = base_values(matrix, model, state)
                if field not in vals:
                    if field not in values:
                        continue
                    vals[field] = values[field]
                expected = allowed(create_rule, role, state) and allowed(rule, role, state)
                created = attempt(
                    ledger,
                    f"{role} creates {model} with {field} [{state}]",
                    expected,
                    lambda model=model, vals=vals: session.call_kw(model, "create", [vals]),
                )
                if created and not spec["transient"]:  # wizards are cleaned by Odoo itself
                    matrix.cleanup.append((model, created if isinstance(created, int) else created[0]))


def fresh(matrix, model, state):
    """A record of ``model`` in ``state`` that a permitted probe may change or delete."""
    if model == "field.intervention":
        return matrix.make(state)
    if model in LINE_FIELD:
        intervention = matrix.make(state)
        return matrix.erp("field.intervention", "read", [intervention], [LINE_FIELD[model]])[0][LINE_FIELD[model]][0]
    if model in ("field.intervention.sign.wizard", "field.intervention.sign.request"):
        return matrix.own_wizard(model, matrix.make("done"))
    if model == "field.intervention.checklist.template":
        return matrix.erp(model, "create", {"project_id": matrix.project, "name": "Jetable"})
    if model == "field.intervention.equipment":
        return matrix.erp(model, "create", {"site_id": matrix.world.cust_c, "kind": "wood_boiler"})
    if model == "field.intervention.contract":
        return matrix.maintenance_contract(fresh(matrix, "field.intervention.equipment", state))
    if model == "field.intervention.contract.line":
        equipment = matrix.records["field.intervention.equipment"]["any"]
        contract = matrix.records["field.intervention.contract"]["any"]
        return matrix.erp(model, "create", {"contract_id": contract, "equipment_id": equipment})
    if model == "field.intervention.price.index":
        return matrix.erp(model, "create", {"name": f"Jetable {matrix.tag}", "month": "2030-01-01", "value": 1})
    if model == "account.move":
        return matrix.fresh_invoices[state].pop()
    raise AssertionError(f"no fresh {model}")


def mutates(model, method, state):
    """Whether a permitted call of ``method`` changes the record (policy.MUTATING)."""
    mutating = policy.MUTATING.get(model, ())
    if isinstance(mutating, dict):
        return state in mutating.get(method, ())
    return method in mutating


def probe_unlinks(matrix, ledger, role):
    session = matrix.sessions[role]
    for model, spec in matrix.registry["models"].items():
        if not spec["ours"]:
            continue
        rule = policy.UNLINK.get(model)
        if rule is None:
            continue
        for state in matrix.axis(model):
            expected = allowed(rule, role, state)
            record = fresh(matrix, model, state) if expected else matrix.records.get(model, {}).get(state)
            if not record:
                continue
            attempt(
                ledger,
                f"{role} deletes {model} [{state}]",
                expected,
                lambda model=model, record=record: session.call_kw(model, "unlink", [[record]]),
            )


def probe_methods(matrix, ledger, role):
    session = matrix.sessions[role]
    for model, spec in matrix.registry["models"].items():
        for method in spec["methods"]:
            rule = policy.METHODS.get(model, {}).get(method)
            if rule is None:
                continue
            for state in matrix.axis(model):
                expected = allowed(rule, role, state)
                if expected and mutates(model, method, state):
                    record = fresh(matrix, model, state)
                else:
                    record = matrix.records.get(model, {}).get(state)
                if model == "mail.mail":
                    args = []
                elif not record:
                    continue
                else:
                    args = [[record]]
                result = attempt(
                    ledger,
                    f"{role} calls {model}.{method}() [{state}]",
                    expected,
                    lambda model=model, method=method, args=args: session.call_kw(model, method, args),
                )
                if method == "get_portal_url" and isinstance(result, str):
                    ledger.record(
                        f"{role} reads the customer's token through get_portal_url [{state}]",
                        role.startswith("portal"),
                        "ok" if "access_token=" in result else "refused",
                        result,
                    )


# --- core's lifecycle of the invoice of an intervention ------------------------------------------
def core_value(matrix, field, record):
    """A new value of a core field of the invoice ``record``, in the form write() takes."""
    if field == "ref":
        return f"Sonde {matrix.tag}"
    if field == "payment_state":
        return "paid"
    if field == "invoice_line_ids":  # the price of its first line, times ten
        if record in matrix.prices:
            return matrix.prices[record]
        erp = matrix.erp
        line = erp("account.move.line", "search", [("move_id", "=", record), ("display_type", "=", "product")], limit=1)
        price = erp("account.move.line", "read", line, ["price_unit"])[0]["price_unit"]
        matrix.prices[record] = [(1, line[0], {"price_unit": price * 10})]
        return matrix.prices[record]
    raise AssertionError(f"no value for account.move.{field}")


def invoice_facts(matrix, record, cached=False):
    """What a refused probe on the invoice must leave as it was (core's side); ``cached``: as
    last read (a refused probe changes nothing, a permitted one is undone or has a fresh invoice)."""
    if cached and record in matrix.facts:
        return matrix.facts[record]
    fields = ["state", "ref", "payment_state", "amount_total", "l10n_fr_pa_collection_delta", "journal_id"]
    row = matrix.erp("account.move", "read", [record], fields)[0]
    matrix.facts[record] = {name: row[name] for name in fields}
    return matrix.facts[record]


def probe_invoice_core(matrix, ledger, role):
    """Core's fields and methods of the invoice, the credit note, in each state of the invoice."""
    session, erp = matrix.sessions[role], matrix.erp
    for field, rule in policy.CORE_FIELDS["account.move"].items():
        for state in policy.INVOICE_STATES:
            expected = allowed(rule, role, state)
            if expected and field in FRESH_CORE_FIELDS:
                record = fresh(matrix, "account.move", state)
            else:
                record = matrix.records["account.move"][state]
            before = invoice_facts(matrix, record, cached=True)
            value = core_value(matrix, field, record)
            label = f"{role} writes account.move.{field} (core) [{state}]"
            result = attempt(
                ledger,
                label,
                expected,
                lambda record=record, field=field, value=value: session.call_kw(
                    "account.move", "write", [[record], {field: value}]
                ),
            )
            after = invoice_facts(matrix, record)
            if result is None:
                ledger.record(f"{label}: refused and changed nothing", False, "ok" if after != before else "refused",
                              f"{before} -> {after}")  # fmt: skip
                continue
            if field == "payment_state":
                delta = after["l10n_fr_pa_collection_delta"]
                ledger.record(
                    f"{role}'s written payment_state declares a collection [{state}]",
                    allowed(policy.COLLECTION, role, state),
                    "ok" if delta else "refused",
                    f"collection to declare: {delta}",
                )
            if field not in FRESH_CORE_FIELDS:
                erp("account.move", "write", [record], {field: before[field]})
                invoice_facts(matrix, record)
    for method, rule in policy.CORE_METHODS["account.move"].items():
        for state in policy.INVOICE_STATES:
            record = matrix.records["account.move"][state]
            attempt(
                ledger,
                f"{role} calls account.move.{method}() (core) [{state}]",
                allowed(rule, role, state),
                lambda record=record, method=method: session.call_kw("account.move", method, [[record]]),
            )
    for state in policy.INVOICE_STATES:
        record = matrix.records["account.move"][state]
        context = {"active_model": "account.move", "active_ids": [record]}
        journal = invoice_facts(matrix, record, cached=True)["journal_id"][0]

        def reverse(record=record, context=context, journal=journal):
            # as the wizard's form saves it (its onchange proposes the invoice's journal)
            vals = {"move_ids": [(6, 0, [record])], "journal_id": journal}
            wizard = session.call_kw("account.move.reversal", "create", [vals], {"context": context})
            return session.call_kw("account.move.reversal", "refund_moves", [[wizard]], {"context": context})

        result = attempt(
            ledger,
            f"{role} reverses account.move with a credit note [{state}]",
            allowed(policy.REVERSAL, role, state),
            reverse,
        )
        if isinstance(result, dict) and result.get("res_id"):
            matrix.cleanup.append(("account.move", result["res_id"]))


# --- the approved platform's webhook ----------------------------------------------------------------
def signed(body, secret=WEBHOOK_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pa_evidence(matrix):
    """What a callback could change: the statuses and flows of the company, the platform's
    flows the server asked for (GET /v1/flows/{flowId}) and the fixture invoices' platform state."""
    erp = matrix.erp
    flows = erp("l10n_fr_pa.flow", "search_read", [], fields=["state", "ack_status", "reason_code"], order="id")
    requests_seen = matrix.pa.control("requests")["requests"]
    asked = [r for r in requests_seen if r["method"] == "GET" and r["path"].startswith("/v1/flows/")]
    invoices = erp(
        "account.move",
        "read",
        list(matrix.records["account.move"].values()),
        ["l10n_fr_pa_deposit_state", "l10n_fr_pa_status", "l10n_fr_pa_attention"],
    )
    return {
        "statuses": erp("l10n_fr_pa.status", "search_count", []),
        "flows": flows,
        "asked": len(asked),
        "invoices": invoices,
    }


def probe_webhook(matrix, ledger):
    """The platform's callback: only the platform with the company's secret is answered; every
    other callback gets the same refusal, whatever the company, and changes nothing."""
    erp = matrix.erp
    deposited = matrix.records["account.move"]["deposited"]
    flow = erp("l10n_fr_pa.flow", "search_read", [("move_id", "=", deposited), ("flow_type", "=", "CustomerInvoice")],
               fields=["pa_flow_id"])[0]  # fmt: skip
    # the attack: our accepted deposit turned into a rejected one by the callback's body
    forged = {
        "flowId": flow["pa_flow_id"],
        "acknowledgement": {"status": "Error", "details": [{"level": "Error", "reasonCode": "InvalidSchema"}]},
    }
    body = json.dumps({"flowInfo": forged}).encode()
    big = json.dumps({"flowInfo": forged, "padding": " " * (70 * 1024)}).encode()
    known = matrix.webhook_url
    unknown = f"{matrix.server.url}/l10n_fr_pa_flow/webhook/{UNKNOWN_ID}"
    json_type = {"Content-Type": "application/json"}

    def post(url, data, signature=None, http=None):
        headers = dict(json_type)
        if signature is not None:
            headers["X-PA-Signature"] = signature
        response = (http or requests).post(url, data=data, headers=headers, timeout=60)
        return response.status_code, response.text

    def chunks(data):
        yield data  # no Content-Length: chunked

    before = pa_evidence(matrix)
    refusals = {
        "no signature": post(known, body),
        "a malformed signature": post(known, body, "sha256=00"),
        "a wrong signature": post(known, body, signed(body, "not-the-secret")),
        "an unknown company, signed with the secret": post(unknown, body, signed(body)),
        "an unknown company, no signature": post(unknown, body),
    }
    for role, session in matrix.sessions.items():
        refusals[f"a wrong signature with {role}'s session"] = post(
            known, body, signed(body, "not-the-secret"), http=session.http
        )
    for case, (status, text) in refusals.items():
        ledger.record(f"webhook with {case}", False, "ok" if status != policy.WEBHOOK_REFUSED else "refused",
                      f"HTTP {status} {text[:100]}")  # fmt: skip
    answers = {answer for answer in refusals.values()}
    ledger.record("webhook refusals all alike (no company or signature oracle)", False,
                  "ok" if len(answers) != 1 else "refused", str(refusals))  # fmt: skip
    # refused before the body is read: the same answer for a known and an unknown company
    for case, data, signature in (
        ("an oversize body, signed", big, signed(big)),
        ("an oversize body, no signature", big, None),
        ("no Content-Length, signed", None, signed(body)),
    ):
        pair = [post(url, chunks(body) if data is None else data, signature) for url in (known, unknown)]
        ledger.record(f"webhook with {case}", False, "ok" if pair[0][0] < 400 else "refused", str(pair[0]))
        ledger.record(f"webhook with {case}: alike for any company", False, "ok" if pair[0] != pair[1] else "refused",
                      str(pair))  # fmt: skip
    after = pa_evidence(matrix)
    ledger.record("refused webhooks changed nothing, asked the platform nothing", False,
                  "ok" if after != before else "refused", f"{before} -> {after}")  # fmt: skip
    # the platform itself, with the secret: answered, and its acknowledgement is the platform's
    status, text = post(known, body, signed(body))
    ledger.record("webhook signed with the secret (the platform)", True, "ok" if status == 200 else "refused",
                  f"HTTP {status} {text[:100]}")  # fmt: skip
    state = erp("account.move", "read", [deposited], ["l10n_fr_pa_deposit_state"])[0]["l10n_fr_pa_deposit_state"]
    ledger.record("the signed callback's forged acknowledgement changed the deposit", False,
                  "ok" if state != "sent" else "refused", state)  # fmt: skip


# --- the phone's sync API ------------------------------------------------------------------------
class Phone:
    """The phone app of a role: its operations (well formed, with the role as their owner) sent
    to /sync, its day downloaded from /day (``public``: a phone without a session)."""

    def __init__(self, matrix, role):
        self.matrix, self.role = matrix, role
        self.session = matrix.sessions.get(role) or WebSession(matrix.server.url, matrix.server.database)
        self.uid = self.session.uid or matrix.world.tech_a  # a logged-out phone keeps its owner

    def op(self, op_type, intervention, key=None, **payload):
        matrix = self.matrix
        matrix.keys += 1
        return {
            "key": key or f"matrix-{matrix.tag}-{matrix.keys}",
            "owner": self.uid,
            "intervention_id": intervention,
            "type": op_type,
            "at": utc(-0.01).replace(" ", "T") + "Z",
            "payload": payload,
        }

    def sync(self, ops, owner=None):
        return self.session.call(
            SYNC_PATH,
            {"device_id": f"matrix-{self.role}", "owner": self.uid if owner is None else owner, "ops": ops},
        )

    def day(self, owner=None):
        return self.session.call(DAY_PATH, {"owner": self.uid if owner is None else owner})

    def values(self, intervention):
        """The intervention as the phone holds it (the answer to an operation that the timer
        refuses on any report: a resume of a report never paused)."""
        answer = self.sync([self.op("resume", intervention)])
        return next(entry for entry in answer["interventions"] if entry["id"] == intervention)


def lines_of(matrix, intervention):
    row = matrix.erp("field.intervention", "read", [intervention], ["part_ids", "checklist_line_ids"])[0]
    return row["part_ids"], row["checklist_line_ids"]


def op_payload(matrix, op_type, intervention, phone_values=None):
    """The data of a well-formed operation of ``op_type`` on ``intervention``."""
    if op_type == "set_text":
        return {"work_description": "Saisi sur le téléphone."}
    if op_type == "set_checklist":
        return {"line_id": lines_of(matrix, intervention)[1][0], "result": "done", "note": "Vu"}
    if op_type == "add_part":
        return {"product_id": matrix.world.part, "quantity": 1}
    if op_type == "remove_part":
        return {"part_id": lines_of(matrix, intervention)[0][0]}
    if op_type == "add_photo":
        return {"name": "Sonde", "image": photo_jpeg()}
    if op_type == "sign":
        values = phone_values or matrix.phone_values[intervention]
        content = values["content"]
        return {
            "signer_name": "Claire Syndic",
            "signer_email": "",
            "signature": signature_png(5),
            "content": content,
            "content_hash": hashlib.sha256(content.encode()).hexdigest(),
            "consent_text": values["consent_text"],
            "geo_consent": False,
        }
    return {}


def sync_outcome(ledger, call):
    """(outcome, results, answer text): ``refused`` when the request was refused (``None``: the
    operations' results say)."""
    try:
        answer = call()
    except RpcError as error:
        refused = any(name in error.name for name in (*REFUSALS, "SessionExpired", "MobileOwnerError"))
        if refused and error.message:  # the server logs the refusal as a warning
            ledger.refusals.add(error.message.strip().splitlines()[0])
        return ("refused" if refused else "defect"), [{}], f"{error.name}: {error.message}"
    results = answer.get("results") or [{}]
    return None, results, json.dumps(answer, ensure_ascii=False)


def record_sync(ledger, label, expected, outcome, result, text, hidden):
    """One operation's probe: applied or not as the policy says, and its answer names none of the
    ``hidden`` interventions (the role may not see them)."""
    if outcome is None:
        status = result.get("status")
        outcome = "ok" if status == "ok" else ("refused" if status in ("conflict", "error") else "defect")
    ledger.record(label, expected, outcome, text[:300])
    named = [name for name in hidden if name and name in text]
    if named:
        ledger.leaks.append(f"LEAK {label}: the answer names {named}: {text[:300]}")


def probe_phone(matrix, ledger):
    """The phone's /sync and /day, per role and per state: each operation type on the fixture of
    each state (or a fresh one where the policy applies it); replays; foreign keys."""
    erp = matrix.erp
    rows = erp("field.intervention", "read", list(matrix.interventions.values()), ["name"])
    names = {row["id"]: row["name"] for row in rows}
    own = matrix.phone("tech_own")
    matrix.phone_values = {intervention: own.values(intervention) for intervention in matrix.interventions.values()}
    sees_all = {role for role in policy.PHONE_ROLES if allowed(policy.SYNC["set_text"], role, "draft")}
    for role in policy.PHONE_ROLES:
        phone = matrix.phone(role)
        api = allowed(policy.PHONE_API, role, "any")
        hidden = [] if role in sees_all else list(names.values())
        # the day: the phone's API users only, their own interventions only
        outcome, __, text = sync_outcome(ledger, phone.day)
        ledger.record(f"{role} downloads the phone's day", api, outcome or "ok", text[:200])
        named = [name for name in hidden if name in text]
        if named:
            ledger.leaks.append(f"LEAK {role} downloads the phone's day: it holds {named}")
        if api:
            another = matrix.world.tech_a if phone.uid == matrix.world.tech_b else matrix.world.tech_b
            outcome, __, text = sync_outcome(ledger, lambda phone=phone, another=another: phone.day(owner=another))
            ledger.record(f"{role} downloads another user's day", False, outcome or "ok", text[:200])
        for op_type, rule in policy.SYNC.items():
            for state in policy.STATES:
                expected = allowed(rule, role, state)
                if expected and op_type in CONTENT_OPS:
                    continue  # below, together on one fresh report
                intervention = matrix.make(state) if expected else matrix.interventions[state]
                values = phone.values(intervention) if expected and op_type == "sign" else None
                op = phone.op(op_type, intervention, **op_payload(matrix, op_type, intervention, values))
                outcome, results, text = sync_outcome(ledger, lambda phone=phone, op=op: phone.sync([op]))
                record_sync(ledger, f"{role} sends {op_type} [{state}]", expected, outcome, results[0], text, hidden)
        for state in policy.STATES:
            if not any(allowed(policy.SYNC[op_type], role, state) for op_type in CONTENT_OPS):
                continue
            intervention = matrix.make(state)
            ops = [
                phone.op(op_type, intervention, **op_payload(matrix, op_type, intervention)) for op_type in CONTENT_OPS
            ]
            outcome, results, text = sync_outcome(ledger, lambda phone=phone, ops=ops: phone.sync(ops))
            for index, op_type in enumerate(CONTENT_OPS):
                result = results[index] if index < len(results) else {}
                expected = allowed(policy.SYNC[op_type], role, state)
                record_sync(ledger, f"{role} sends {op_type} [{state}]", expected, outcome, result, text, hidden)
    # a queue of another user sent under the technician's session: refused whole
    draft = matrix.interventions["draft"]
    outcome, results, text = sync_outcome(
        ledger, lambda: own.sync([{**own.op("start", draft), "owner": matrix.world.tech_b}], owner=matrix.world.tech_b)
    )
    record_sync(ledger, "tech_own sends another user's queue", False, outcome, results[0] if results else {}, text, [])
    probe_phone_replays(matrix, ledger, own, names)
    probe_phone_foreign(matrix, ledger, own)


def count_of(matrix, intervention, field):
    return len(matrix.erp("field.intervention", "read", [intervention], [field])[0][field])


def probe_phone_replays(matrix, ledger, own, names):
    """An operation sent again (same key) is answered ``duplicate`` and never applied twice:
    replayed later, twice in one batch, twice at once; another user's key is never theirs."""
    fresh_draft = matrix.make("draft")
    parts = count_of(matrix, fresh_draft, "part_ids")
    op = own.op("add_part", fresh_draft, product_id=matrix.world.part, quantity=1)
    first = own.sync([op])["results"][0]
    again = own.sync([op])["results"][0]
    ledger.record("tech_own replays an applied operation", False,
                  "ok" if again.get("status") != "duplicate" or again.get("original_status") != first.get("status")
                  else "refused", f"{first} then {again}")  # fmt: skip
    twice = own.op("add_part", fresh_draft, product_id=matrix.world.part, quantity=2)
    statuses = [r["status"] for r in own.sync([twice, dict(twice)])["results"]]
    ledger.record("tech_own sends one operation twice in a batch", False,
                  "ok" if statuses != ["ok", "duplicate"] else "refused", str(statuses))  # fmt: skip
    racing = own.op("add_part", fresh_draft, product_id=matrix.world.part, quantity=3)
    answers = []

    def send():
        phone = matrix.phone("tech_own", new_session=True)
        answers.append(phone.sync([racing])["results"][0]["status"])

    threads = [threading.Thread(target=send) for __ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    ledger.record("tech_own's phone sends one operation twice at once", False,
                  "ok" if sorted(answers) != ["duplicate", "ok"] else "refused", str(answers))  # fmt: skip
    ledger.record("replays applied each operation once", False,
                  "ok" if count_of(matrix, fresh_draft, "part_ids") != parts + 3 else "refused",
                  f"{parts} parts, then {count_of(matrix, fresh_draft, 'part_ids')}")  # fmt: skip
    # a timer step replayed after the next one: still one segment
    started = matrix.make("draft")
    start = own.op("start", started)
    own.sync([start])
    own.sync([own.op("pause", started)])
    segments = count_of(matrix, started, "time_ids")
    again = own.sync([start])["results"][0]
    ledger.record("tech_own replays a start after a pause", False,
                  "ok" if again.get("status") != "duplicate" or count_of(matrix, started, "time_ids") != segments
                  else "refused", str(again))  # fmt: skip
    # another technician sends tech_own's key: refused, without tech_own's result
    other = matrix.phone("tech_other")
    stolen = {**op, "owner": other.uid}
    outcome, results, text = sync_outcome(ledger, lambda: other.sync([stolen]))
    hidden = [*names.values(), str(first.get("server_id"))]
    record_sync(ledger, "tech_other sends tech_own's operation key", False, outcome, results[0] if results else {},
                text, [n for n in hidden if n != "None"])  # fmt: skip
    ledger.record("tech_other's stolen key applied nothing", False,
                  "ok" if count_of(matrix, fresh_draft, "part_ids") != parts + 3 else "refused", "")  # fmt: skip


def probe_phone_foreign(matrix, ledger, own):
    """Operations naming what the technician may not use: another technician's intervention, a
    part or checklist item of it, a product not for sale or archived, an unknown id. Refused,
    nothing changed, and the answer does not name the other technician's intervention."""
    erp, world = matrix.erp, matrix.world
    foreign = erp(
        "field.intervention",
        "create",
        {
            "task_id": world.task_c,  # Bruno's mission
            "technician_ids": [(6, 0, [world.tech_b])],
            "work_description": "Intervention de Bruno.",
            "part_ids": [(0, 0, {"product_id": world.part, "quantity": 1})],
            "checklist_line_ids": [(0, 0, {"name": "Pression", "sequence": 1})],
        },
    )
    facts = ["state", "work_description", "part_ids", "photo_ids", "time_ids", "checklist_line_ids"]
    before = erp("field.intervention", "read", [foreign], [*facts, "name"])[0]
    name = before.pop("name")
    hidden = [name]
    foreign_parts, foreign_lines = lines_of(matrix, foreign)
    for op_type in policy.SYNC:
        if op_type == "sign":
            payload = op_payload(matrix, "sign", foreign, matrix.phone_values[matrix.interventions["done"]])
        else:
            payload = op_payload(matrix, op_type, foreign)
        op = own.op(op_type, foreign, **payload)
        outcome, results, text = sync_outcome(ledger, lambda op=op: own.sync([op]))
        record_sync(ledger, f"tech_own sends {op_type} on another technician's intervention", False, outcome,
                    results[0] if results else {}, text, hidden)  # fmt: skip
    draft = matrix.interventions["draft"]
    not_for_sale = erp("product.product", "create", {"name": "Outillage", "type": "consu", "sale_ok": False})
    elsewhere = own.op("add_part", foreign, product_id=world.part, quantity=1)  # stored as refused
    own.sync([elsewhere])
    cases = {
        "a part of another technician's intervention": own.op("remove_part", draft, part_id=foreign_parts[0]),
        "a checklist item of another technician's intervention": own.op(
            "set_checklist", draft, line_id=foreign_lines[0], result="done", note="Vu"
        ),
        "a product not for sale": own.op("add_part", draft, product_id=not_for_sale, quantity=1),
        "an unknown product": own.op("add_part", draft, product_id=UNKNOWN_ID, quantity=1),
        "an unknown part": own.op("remove_part", draft, part_key=f"unknown-{matrix.tag}-part"),
        "an unknown intervention": own.op("set_text", UNKNOWN_ID, work_description="Sonde"),
    }
    for case, op in cases.items():
        outcome, results, text = sync_outcome(ledger, lambda op=op: own.sync([op]))
        record_sync(ledger, f"tech_own sends an operation naming {case}", False, outcome,
                    results[0] if results else {}, text, hidden)  # fmt: skip
    after = erp("field.intervention", "read", [foreign], facts)[0]
    ledger.record("operations on another technician's intervention changed nothing", False,
                  "ok" if after != before else "refused", f"{before} -> {after}")  # fmt: skip


def probe_public(matrix, ledger):
    """No session: no model, no method (the customer's token is not an RPC credential)."""
    visitor = WebSession(matrix.server.url, matrix.server.database)
    for model, spec in matrix.registry["models"].items():
        record = next((r for r in matrix.records.get(model, {}).values() if r), None)
        calls = [("read", [[record] if record else []]), ("create", [{}]), ("write", [[record] if record else [], {}])]
        calls += [("unlink", [[record] if record else []])] + [
            (m, [[record] if record else []]) for m in spec["methods"]
        ]
        for method, args in calls:
            try:
                visitor.call_kw(model, method, args)
                outcome = "ok"
            except RpcError as error:
                outcome = "refused" if "SessionExpired" in error.name else "defect"
            ledger.record(f"public calls {model}.{method}()", False, outcome, method)


def route(visitor, kind, intervention, token):
    """One portal route with ``token`` (or none): (answered, detail) of the server."""
    base = f"/my/interventions/{intervention}"
    if kind in ("page", "report_html", "report_pdf", "signed_pdf"):
        params = {"report_html": {"report_type": "html"}, "report_pdf": {"report_type": "pdf"}}.get(kind, {})
        if token:
            params["access_token"] = token
        path = base + ("/signed_pdf" if kind == "signed_pdf" else "")
        response = visitor.get(path, params=params, allow_redirects=False)
        return response.status_code == 200, f"HTTP {response.status_code}"
    if kind == "sign":
        answer = visitor.call(
            f"{base}/sign", {"access_token": token, "name": "Visiteur", "signature": signature_png(6)}
        )
        return "error" not in answer, str(answer)[:200]
    csrf = visitor.csrf_from(visitor.get("/web/login").text)
    response = visitor.post(
        f"{base}/refuse",
        data={"access_token": token or "", "name": "Visiteur", "reason": "Sonde", "csrf_token": csrf},
        allow_redirects=False,
    )
    location = response.headers.get("Location", "")
    return response.status_code in (302, 303) and "refuse_ok" in location, f"HTTP {response.status_code} {location}"


def token_of(matrix, intervention):
    url = matrix.erp("field.intervention", "get_portal_url", [intervention])
    return re.search(r"access_token=([\w-]+)", url).group(1)


def probe_routes(matrix, ledger):
    """The customer's link opens a report only in the states a customer sees, signs only a done
    report, and never for an employee (logged in, with the token in hand)."""
    for kind, states in policy.ROUTES.items():
        mutating = kind in ("sign", "refuse")
        for state in policy.STATES:
            expected = state in states
            intervention, token = matrix.interventions[state], matrix.tokens[state]
            if expected and mutating:
                intervention = matrix.make(state)
                token = token_of(matrix, intervention)
            visitor = WebSession(matrix.server.url, matrix.server.database)
            ok, detail = route(visitor, kind, intervention, token)
            ledger.record(f"public with the token: {kind} [{state}]", expected, "ok" if ok else "refused", detail)
            visitor = WebSession(matrix.server.url, matrix.server.database)
            ok, detail = route(visitor, kind, matrix.interventions[state], None)
            ledger.record(f"public without token: {kind} [{state}]", False, "ok" if ok else "refused", detail)
    # employees with the customer's token in hand: the device flow is theirs
    for role in ("tech_own", "manager", "billing"):
        answer = matrix.sessions[role].call(
            f"/my/interventions/{matrix.interventions['done']}/sign",
            {"access_token": matrix.tokens["done"], "name": "Employé", "signature": signature_png(8)},
        )
        outcome = "ok" if "error" not in answer else "refused"
        ledger.record(f"{role} signs with the customer's token", False, outcome, str(answer)[:200])


def test_probe_matrix(matrix, server, figures):
    ledger = Ledger()
    log_start = server.log_mark()
    before = matrix.snapshot()
    probe_coverage(matrix, ledger)
    for role in policy.ROLES:
        probe_writes(matrix, ledger, role)
        probe_creates(matrix, ledger, role)
        probe_unlinks(matrix, ledger, role)
        probe_methods(matrix, ledger, role)
    for role in policy.ROLES:
        probe_invoice_core(matrix, ledger, role)
    probe_webhook(matrix, ledger)
    probe_phone(matrix, ledger)
    probe_public(matrix, ledger)
    probe_routes(matrix, ledger)
    # what permitted probes created goes first: the fixture must then be as it was
    for model, record in reversed(matrix.cleanup):
        try:
            matrix.erp(model, "unlink", [record])
        except Exception:  # noqa: BLE001 - a created record that cannot be deleted is reported
            ledger.leaks.append(f"LEFTOVER {model} {record} created by a probe cannot be deleted")
    after = matrix.snapshot()
    changed = sorted(
        f"{model}.{field}"
        for model, rows in before.items()
        for row, new in zip(rows, after.get(model, []), strict=False)
        for field in row
        if row[field] != new.get(field) and (model, field) not in GROWING
    )
    ledger.record("refused probes changed no fixture", False, "ok" if changed else "refused", str(changed))
    figures.append(f"{ledger.count} probes, {len(ledger.leaks) + len(ledger.drifts)} leaks")
    assert not ledger.leaks and not ledger.drifts, "\n".join(ledger.leaks + ledger.drifts)
    problems = server.log_problems(since=log_start)
    unexplained = [
        p
        for p in problems
        if not (
            p.startswith("WARNING odoo.http: ") and p[len("WARNING odoo.http: ") :].splitlines()[0] in ledger.refusals
        )
    ]
    assert unexplained == [], unexplained
