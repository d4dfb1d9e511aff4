import base64
import hashlib
import io
import json
import uuid
from datetime import date, datetime, time, timedelta
from unittest.mock import patch

import pytz
from PIL import Image

from odoo import Command, fields
from odoo.tests.common import HttpCase
from odoo.tools import SQL

from odoo.addons.field_intervention_sign.tests.common import fake_report_pdf, make_signature_png
from odoo.addons.mail.tests.common import mail_new_test_user

TECHNICIAN = "field_intervention.group_field_intervention_technician"
MANAGER = "field_intervention.group_field_intervention_manager"
DAY_URL = "/field_intervention/app/api/day"
SYNC_URL = "/field_intervention/app/api/sync"


def utc(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_photo_jpeg(color=(200, 30, 30), size=(64, 48)):
    """The bytes of a small JPEG, as the phone sends them (resized on the phone)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def phone_content(entry, times, work, findings, checklist, parts, photos):
    """The signed content as the phone builds it from its own state (the contract,
    independently of the server's code): the downloaded content for what the phone cannot
    change, its own times, service date, texts, checklist, parts and photos.

    :param parts: the downloaded parts' rows (``entry["parts"][n]["content"]``) and, for the
        parts added on the phone, ``(description, quantity, product)``
    :param photos: ``(bytes sent, caption)``
    """
    content = json.loads(entry["content"])
    starts = sorted(start for start, _end in times)
    first = datetime.strptime(starts[0], "%Y-%m-%dT%H:%M:%SZ") if starts else None
    rows = []
    for part in parts:
        if isinstance(part, tuple):
            name, quantity, product = part
            part = [name, f"{quantity:.3f}", product.uom_id.with_context(lang="en_US").name, product.default_code or ""]
            if content["currency"]:
                part.append(f"{product.lst_price:.2f}")
        rows.append(part)
    content.update(
        {
            "times": sorted(times),
            "service_date": (
                pytz.utc.localize(first).astimezone(pytz.timezone(entry["consent"]["tz"])).date().isoformat()
                if first
                else content["service_date"]
            ),
            "work_description": work,
            "findings": findings,
            "checklist": checklist,
            "parts": sorted(rows),
            "photos": sorted([hashlib.sha256(photo).hexdigest(), caption] for photo, caption in photos),
        }
    )
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def phone_consent(entry, first_start):
    """The consent sentence as the phone builds it (the contract, independently of the
    server's code): the day of the first start in the server's time zone, written as the
    server's dates say; the downloaded sentence when the day is not among them."""
    consent = entry["consent"]
    day = pytz.utc.localize(first_start).astimezone(pytz.timezone(consent["tz"])).date()
    offset = (day - date.fromisoformat(consent["first"])).days
    if not 0 <= offset < len(consent["dates"]):
        return entry["consent_text"]
    return consent["before"] + consent["dates"][offset] + consent["after"]


def paris_midnight_before(moment):
    """The last midnight in Europe/Paris at or before ``moment`` (naive UTC, as the ORM)."""
    paris = pytz.timezone("Europe/Paris")
    local_day = pytz.utc.localize(moment).astimezone(paris).date()
    return paris.localize(datetime.combine(local_day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)


def paris_day(moment):
    """The day of ``moment`` (naive UTC) in Europe/Paris."""
    return pytz.utc.localize(moment).astimezone(pytz.timezone("Europe/Paris")).date()


class FiMobileCase(HttpCase):
    """A field-service company: two technicians, a dispatcher, a billing clerk, a portal
    customer, a project with common parts and a checklist, missions of today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(
            patch.object(type(cls.env["field.intervention"]), "_fi_render_report_pdf", fake_report_pdf)
        )
        cls.invoice_installed = "field_intervention_invoice" in cls.env.registry._init_modules
        cls.company = cls.env.company
        cls.tech = mail_new_test_user(
            cls.env, login="fim_tech_one", name="Théo Technicien", groups=TECHNICIAN, tz="Europe/Paris"
        )
        cls.tech_other = mail_new_test_user(
            cls.env, login="fim_tech_two", name="Olga Autre", groups=TECHNICIAN, tz="Europe/Paris"
        )
        cls.manager = mail_new_test_user(
            cls.env, login="fim_manager", name="Dominique Dispatch", groups=MANAGER, tz="Europe/Paris"
        )
        billing_groups = "base.group_user"
        if cls.env.ref("account.group_account_invoice", raise_if_not_found=False):
            billing_groups += ",account.group_account_invoice"
        cls.billing = mail_new_test_user(cls.env, login="fim_billing", name="Bea Billing", groups=billing_groups)
        cls.env["hr.employee"].create(
            [{"name": user.name, "user_id": user.id} for user in (cls.tech, cls.tech_other, cls.manager)]
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Boulangerie Durand SARL",
                "is_company": True,
                "email": "contact@durand.example.com",
                "street": "1 rue du Four",
                "zip": "69001",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
            }
        )
        cls.portal = mail_new_test_user(cls.env, login="fim_portal", name="Paul Durand", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.site = cls.env["res.partner"].create(
            {
                "name": "Fournil Croix-Rousse",
                "parent_id": cls.customer.id,
                "type": "delivery",
                "street": "4 place de la Croix-Rousse",
                "zip": "69004",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "phone": "+33 4 72 00 00 00",
            }
        )
        cls.part_a = cls.env["product.product"].create(
            {"name": "Filtre F-200", "default_code": "F200", "type": "consu", "list_price": 12.5}
        )
        cls.part_b = cls.env["product.product"].create({"name": "Joint J-10", "type": "consu", "list_price": 3.0})
        project_vals = {
            "name": "Maintenance fours",
            "is_field_service": True,
            "allow_timesheets": True,
            "part_product_ids": [Command.set((cls.part_a | cls.part_b).ids)],
            "checklist_template_ids": [
                Command.create({"name": "Pression contrôlée", "sequence": 1}),
                Command.create({"name": "Brûleur nettoyé", "sequence": 2}),
            ],
        }
        if cls.invoice_installed:
            cls.labour = cls.env["product.product"].create(
                {
                    "name": "Main d'oeuvre",
                    "type": "service",
                    "uom_id": cls.env.ref("uom.product_uom_hour").id,
                    "uom_po_id": cls.env.ref("uom.product_uom_hour").id,
                    "list_price": 60.0,
                }
            )
            project_vals.update(
                {
                    "allow_billable": True,
                    "labour_product_id": cls.labour.id,
                    "intervention_invoice_policy": "per_intervention",
                }
            )
        cls.project = cls.env["project.project"].create(project_vals)
        cls.task = cls.env["project.task"].create(
            {
                "name": "Four en panne",
                "project_id": cls.project.id,
                "partner_id": cls.customer.id,
                "intervention_site_id": cls.site.id,
                "description": "<p>Le four ne chauffe plus.</p>",
                "user_ids": [Command.set(cls.tech.ids)],
            }
        )
        cls.signature_png = make_signature_png()
        cls.photo = make_photo_jpeg()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @classmethod
    def _intervention(cls, technicians=None, planned=None, **vals):
        """A draft intervention of today, created two days ago (the phone's times of today are
        after its creation, as on a real phone that downloaded it)."""
        intervention = cls.env["field.intervention"].create(
            {
                "task_id": cls.task.id,
                "technician_ids": [Command.set((technicians or cls.tech).ids)],
                "planned_date": planned or fields.Datetime.now(),
                **vals,
            }
        )
        cls.env.cr.execute(
            SQL(
                "UPDATE field_intervention SET create_date = create_date - interval '2 days' WHERE id = %s",
                intervention.id,
            )
        )
        intervention.invalidate_recordset(["create_date"])
        return intervention

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def day(self, user=None, days=3):
        self._login(user or self.tech)
        return self.make_jsonrpc_request(DAY_URL, {"days": days})

    def sync(self, ops, user=None, device_id="phone-test-1", owner=None):
        """Send ``ops`` as the phone does: under ``user``'s session, the queue and each op owned by
        ``owner`` (by default the session's user, as the app does; an op's own ``owner`` stays)."""
        user = user or self.tech
        self._login(user)
        owner = user.id if owner is None else owner
        if isinstance(ops, list):
            ops = [{"owner": owner, **op} if isinstance(op, dict) else op for op in ops]
        return self.make_jsonrpc_request(SYNC_URL, {"device_id": device_id, "owner": owner, "ops": ops})

    @staticmethod
    def op(intervention, op_type, at, key=None, **payload):
        return {
            "key": key or str(uuid.uuid4()),
            "intervention_id": intervention.id,
            "type": op_type,
            "at": utc(at),
            "payload": payload,
        }

    @staticmethod
    def statuses(answer):
        return [result["status"] for result in answer["results"]]

    @staticmethod
    def ago(**delta):
        return fields.Datetime.now() - timedelta(**delta)

    def entry(self, answer, intervention):
        return next(entry for entry in answer["interventions"] if entry["id"] == intervention.id)

    def ops_of(self, intervention):
        return self.env["field.intervention.mobile.op"].search([("intervention_id", "=", intervention.id)])

    @staticmethod
    def b64(data):
        return base64.b64encode(data).decode()
