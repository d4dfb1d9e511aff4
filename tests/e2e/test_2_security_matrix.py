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
  of each state, logged out and logged in as an employee.

A probe the policy refuses must come back as a clean refusal (AccessError, UserError,
ValidationError, MissingError) and change nothing; one it permits must succeed. The test ends
with the line ``N probes, 0 leaks``.
"""

import json
import os
import pathlib
import re
import subprocess

import pytest

from . import policy
from .clients import RpcError, WebSession, photo_jpeg, signature_png
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

    def __init__(self, world, erp, server):
        self.world, self.erp, self.server = world, erp, server
        self.tag = world.tag
        self.cleanup = []  # (model, id) created by permitted probes, removed at the end
        self.minute = 0

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
        # an intervention signed and invoiced by billing: its invoice and invoice line
        invoiced = self.make("signed")
        self.sessions["billing"].call_button("field.intervention", "action_fi_create_invoice", [invoiced])
        line = erp("account.move.line", "search", [("intervention_id", "=", invoiced), ("fi_invoice_claim", "=", True)])
        move = erp("account.move.line", "read", line, ["move_id"])[0]["move_id"][0]
        timesheet = erp(
            "account.analytic.line", "search", [("intervention_id", "=", self.interventions["done"])], limit=1
        )
        single = {
            "account.move": move,
            "account.move.line": line[0],
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
        for model in ("field.intervention.invoice.report", "field.intervention.invoice.kpi"):
            found = erp(model, "search", [], limit=1)
            single[model] = found[0] if found else None
        if "field.intervention.mobile.op" in self.registry["models"]:
            single["field.intervention.mobile.op"] = self.mobile_op()
        for model, record in single.items():
            if model in self.records:
                self.records[model]["any"] = record
        self.tokens = {}
        for state, intervention in self.interventions.items():
            url = erp("field.intervention", "get_portal_url", [intervention])
            self.tokens[state] = re.search(r"access_token=([\w-]+)", url).group(1)

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

    def record_for(self, model, state, role):
        """The fixture a role's write probes target: a signing screen is its creator's only (the
        technician's fixture), so the dispatcher, who opens his own, writes on his own."""
        if model in WIZARDS and role == "manager":
            return self.own_wizard(model, role=role)
        return self.records.get(model, {}).get(state)

    # -- helpers of the probes -------------------------------------------------------------
    def axis(self, model):
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
def matrix(world, erp, server):
    return Matrix(world, erp, server).build()


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
    raise AssertionError(f"no fresh {model}")


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
                if expected and method in policy.MUTATING.get(model, ()):
                    if model == "account.move":
                        continue  # billing posts and cancels the invoice in the story and invoice tests
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
