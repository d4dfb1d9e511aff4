import hashlib
import json
import logging
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import DAY_URL, FiMobileCase, paris_day, phone_consent, utc

_logger = logging.getLogger(__name__)
DAY_BUDGET = 64 * 1024  # bytes of the day of 8 interventions: a phone downloads it on a weak network


@tagged("-at_install", "post_install")
class TestApiDay(FiMobileCase):
    def test_day_payload(self):
        now = fields.Datetime.now()
        today = self._intervention(work_description="Diagnostic", findings="Joint usé")
        today.checklist_line_ids[0].write({"result": "done", "note": "2 bar"})
        self.env["field.intervention.part"].create(
            {"intervention_id": today.id, "product_id": self.part_a.id, "quantity": 1.5}
        )
        running = self._intervention(planned=now - timedelta(days=5))
        running.with_user(self.tech).action_start()
        later = self._intervention(planned=now + timedelta(days=2))
        too_late = self._intervention(planned=now + timedelta(days=9))
        yesterday = self._intervention(planned=now - timedelta(days=1))
        cancelled = self._intervention()
        cancelled.action_cancel()
        colleague = self._intervention(technicians=self.tech_other)

        day = self.day()

        ids = [entry["id"] for entry in day["interventions"]]
        self.assertEqual(set(ids), {today.id, running.id, later.id})
        for absent in (too_late, yesterday, cancelled, colleague):
            self.assertNotIn(absent.id, ids)
        self.assertEqual(day["user"], {"id": self.tech.id, "name": "Théo Technicien", "lang": self.tech.lang})
        self.assertIn(["todo", "To Do"], day["checklist_results"])
        self.assertEqual(
            [(p["id"], p["name"], p["default_code"], p["uom_name"]) for p in day["products"]],
            [
                (self.part_a.id, "[F200] Filtre F-200", "F200", self.part_a.uom_id.name),
                (self.part_b.id, "Joint J-10", "", self.part_b.uom_id.name),
            ],
        )
        entry = self.entry(day, today)
        self.assertEqual(entry["name"], today.name)
        self.assertEqual(entry["state"], "draft")
        self.assertEqual(
            entry["mission"], {"id": self.task.id, "name": "Four en panne", "description": "Le four ne chauffe plus."}
        )
        self.assertEqual(entry["planned_date"], utc(today.planned_date))
        self.assertEqual(entry["customer"]["name"], "Boulangerie Durand SARL")
        self.assertEqual(entry["site"]["address"], "4 place de la Croix-Rousse, 69004 Lyon, France")
        self.assertEqual(entry["site"]["phone"], "+33 4 72 00 00 00")
        self.assertIn("openstreetmap.org", entry["site"]["map_url"])
        self.assertEqual(
            [(c["name"], c["result"], c["note"]) for c in entry["checklist"]],
            [("Pression contrôlée", "done", "2 bar"), ("Brûleur nettoyé", "todo", "")],
        )
        self.assertEqual(
            [(p["product_id"], p["name"], p["quantity"]) for p in entry["parts"]],
            [(self.part_a.id, "[F200] Filtre F-200", 1.5)],
        )
        self.assertEqual(entry["signer"], {"name": "Fournil Croix-Rousse", "email": ""})
        self.assertIn(today.name, entry["consent_text"])
        self.assertFalse(entry["running"] or entry["paused"])
        self.assertEqual(entry["time_segments"], [])
        # the signed content: everything the report prints and the invoice bills, language neutral
        content = json.loads(entry["content"])
        show_prices = today._fi_show_prices()
        self.assertEqual(
            content,
            {
                "format": "field_intervention_sign/2",
                "number": today.name,
                "company": {"name": self.company.name, "vat": self.company.vat or ""},
                "customer": {
                    "name": "Boulangerie Durand SARL",
                    "vat": today.partner_id.commercial_partner_id.vat or "",
                },
                "site": "4 place de la Croix-Rousse, 69004 Lyon, France",
                "service_date": today.intervention_date.isoformat(),
                "technicians": sorted(today.technician_ids.mapped("name")),
                "times": [],
                "travel": {"hours": "0.00", "km": "0.00"},
                "work_description": "Diagnostic",
                "findings": "Joint usé",
                "checklist": [["Pression contrôlée", "done", "2 bar"], ["Brûleur nettoyé", "todo", ""]],
                "parts": [
                    [
                        "[F200] Filtre F-200",
                        "1.500",
                        self.part_a.uom_id.with_context(lang="en_US").name,
                        "F200",
                        *([f"{self.part_a.lst_price:.2f}"] if show_prices else []),
                    ]
                ],
                "photos": [],
                "currency": self.company.currency_id.name if show_prices else "",
            },
        )
        self.assertEqual(entry["parts"][0]["content"], content["parts"][0])
        self.assertEqual(
            entry["content"], json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        )
        running_entry = self.entry(day, running)
        self.assertTrue(running_entry["running"])
        self.assertEqual(len(running_entry["time_segments"]), 1)
        self.assertIsNone(running_entry["time_segments"][0][1])
        # the version moves with the content
        version = entry["version"]
        today.work_description = "Diagnostic complet"
        self.assertNotEqual(self.entry(self.day(), today)["version"], version)

    def test_day_consent_for_the_phones_day(self):
        """The phone gets the sentence around its date and the date for each day it can be: the
        days after the download for a draft, the day of the first start once started."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        draft = self._intervention(planned=fields.Datetime.now() + timedelta(hours=30))
        started = self._intervention()
        started.time_ids = [Command.create({"date_start": self.ago(hours=2), "date_end": self.ago(hours=1)})]
        day = self.day()
        entry = self.entry(day, draft)
        consent = entry["consent"]
        self.assertEqual(consent["tz"], "Europe/Paris")
        self.assertTrue(consent["before"].startswith("En signant, je confirme"))
        self.assertTrue(consent["after"].startswith(" ont été réalisés"))
        today = paris_day(fields.Datetime.now())
        first = fields.Date.from_string(consent["first"])
        self.assertLessEqual(first, today)
        self.assertEqual(len(consent["dates"]), (today - first).days + 15, "14 days after the download")
        for moment in (fields.Datetime.now(), draft.planned_date):
            self.assertIn(f"du {paris_day(moment).strftime('%d/%m/%Y')} ont été réalisés", phone_consent(entry, moment))
        entry = self.entry(day, started)
        self.assertEqual(entry["consent"]["first"], fields.Date.to_string(started.intervention_date))
        self.assertEqual(len(entry["consent"]["dates"]), 1)
        self.assertEqual(phone_consent(entry, started.date_start), entry["consent_text"])

    def test_day_photo_hash_is_of_the_bytes(self):
        intervention = self._intervention()
        photo = self.env["field.intervention.photo"].create(
            {"intervention_id": intervention.id, "name": "Plaque", "image": self.b64(self.photo)}
        )
        entry = self.entry(self.day(), intervention)
        sha = hashlib.sha256(self.photo).hexdigest()
        self.assertEqual(entry["photos"], [{"id": photo.id, "name": "Plaque", "sha256": sha}])
        self.assertEqual(json.loads(entry["content"])["photos"], [[sha, "Plaque"]])

    def test_day_query_count_is_flat(self):
        """The cost of the day does not grow with the number of interventions."""
        self._intervention()
        self.day()  # warm the caches of the server
        counts = []
        for extra in (1, 6):
            for _index in range(extra):
                intervention = self._intervention(work_description="Travaux")
                self.env["field.intervention.part"].create(
                    {"intervention_id": intervention.id, "product_id": self.part_b.id, "quantity": 2}
                )
                self.env["field.intervention.photo"].create(
                    {"intervention_id": intervention.id, "image": self.b64(self.photo)}
                )
                intervention.time_ids = [
                    Command.create({"date_start": self.ago(hours=2), "date_end": self.ago(hours=1)})
                ]
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.day()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], f"queries of the day with 2 then 8 interventions: {counts}")

    def test_day_refused_to_non_technicians(self):
        for user in (self.portal, self.billing):
            with self.subTest(user=user.login), self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
                self.day(user)
            self.assertIn("AccessError", str(caught.exception))
        self.authenticate(None, None)
        with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
            self.make_jsonrpc_request(DAY_URL, {"days": 3})
        self.assertIn("SessionExpired", str(caught.exception))

    def test_day_size_for_eight_interventions(self):
        """What the phone downloads for a day of 8 interventions with demo-like content."""
        for index in range(8):
            intervention = self._intervention(
                planned=fields.Datetime.now() + timedelta(hours=index),
                work_description="Contrôle annuel de la chaudière, nettoyage du brûleur, remplacement du filtre.",
                findings="Vase d'expansion à surveiller ; pression remise à 1,5 bar.",
            )
            self.env["field.intervention.part"].create(
                [
                    {"intervention_id": intervention.id, "product_id": product.id, "quantity": 1}
                    for product in (self.part_a, self.part_b)
                ]
            )
            self.env["field.intervention.photo"].create(
                {"intervention_id": intervention.id, "name": "Plaque", "image": self.b64(self.photo)}
            )
        self._login(self.tech)
        response = self.url_open(
            DAY_URL,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"days": 3}}),
            headers={"Content-Type": "application/json"},
        )
        day = response.json()["result"]
        self.assertEqual(len(day["interventions"]), 8)
        size = len(response.content)
        _logger.info("day of 8 interventions: %s bytes of JSON", size)
        self.assertLess(size, DAY_BUDGET)

    def test_phone_app_entry(self):
        """Technicians open the app from the menu and from "My Interventions"."""
        action = self.env.ref("field_intervention_mobile.field_intervention_mobile_app_action")
        self.assertEqual((action.url, action.target), ("/field_intervention/app", "self"))
        menu = self.env.ref("field_intervention_mobile.field_intervention_mobile_app_menu")
        Menu = self.env["ir.ui.menu"]
        self.assertEqual(Menu.with_user(self.tech).search([("id", "=", menu.id)]), menu)
        self.assertFalse(Menu.with_user(self.billing).search([("id", "=", menu.id)]))
        Intervention = self.env["field.intervention"].with_user(self.tech)
        for view_type in ("kanban", "list"):
            arch = Intervention.get_views([(False, view_type)])["views"][view_type]["arch"]
            self.assertIn(f'name="{action.id}"', arch, view_type)
