import hashlib
import json
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from odoo.addons.field_intervention_sign.tests.common import run_sign_jobs

from .common import (
    FiMobileCase,
    make_photo_jpeg,
    paris_day,
    paris_midnight_before,
    phone_consent,
    phone_content,
    utc,
)


@tagged("-at_install", "post_install")
class TestApiSync(FiMobileCase):
    def _offline_day(self, intervention, entry, times=None):
        """The operations of a whole intervention done offline, and the phone's times. The
        phone shows the consent sentence for the day of its own start (see USAGE.md)."""
        times = times or {
            "start": self.ago(hours=3),
            "pause": self.ago(hours=2, minutes=30),
            "resume": self.ago(hours=2),
            "stop": self.ago(hours=1),
            "sign": self.ago(minutes=50),
        }
        lines = entry["checklist"]
        work, findings = "Résistance remplacée, four testé à 250 °C.", "Joint de porte à changer sous 6 mois."
        add_b = self.op(intervention, "add_part", times["resume"], product_id=self.part_b.id, quantity=1)
        ops = [
            self.op(intervention, "start", times["start"]),
            self.op(intervention, "set_text", times["start"], work_description=work),
            self.op(intervention, "set_checklist", times["start"], line_id=lines[0]["id"], result="done", note="2 bar"),
            self.op(intervention, "pause", times["pause"]),
            self.op(intervention, "resume", times["resume"]),
            self.op(intervention, "set_checklist", times["resume"], line_id=lines[1]["id"], result="na", note=None),
            self.op(intervention, "add_part", times["resume"], product_id=self.part_a.id, quantity="2"),
            add_b,
            self.op(intervention, "remove_part", times["resume"], part_key=add_b["key"]),
            self.op(intervention, "add_photo", times["resume"], name="Résistance", image=self.b64(self.photo)),
            self.op(intervention, "set_text", times["stop"], findings=findings),
            self.op(intervention, "stop", times["stop"]),
            self.op(intervention, "done", times["stop"]),
        ]
        content = phone_content(
            entry,
            times=[[utc(times["start"]), utc(times["pause"])], [utc(times["resume"]), utc(times["stop"])]],
            work=work,
            findings=findings,
            checklist=[[lines[0]["name"], "done", "2 bar"], [lines[1]["name"], "na", ""]],
            parts=[("[F200] Filtre F-200", 2, self.part_a)],
            photos=[(self.photo, "Résistance")],
        )
        ops.append(
            self.op(
                intervention,
                "sign",
                times["sign"],
                signer_name="Jeanne Durand",
                signer_email="jeanne@durand.example.com",
                signature=self.signature_png,
                content=content,
                content_hash=hashlib.sha256(content.encode()).hexdigest(),
                consent_text=phone_consent(entry, times["start"]),
                geo_consent=True,
                latitude=45.7772,
                longitude=4.8336,
            )
        )
        return ops, times, content

    def test_consent_sentence_is_the_servers(self):
        """The evidence keeps the sentence the customer read: a phone cannot put its own there."""
        intervention = self._intervention()
        entry = self.entry(self.day(), intervention)
        ops, __, __ = self._offline_day(intervention, entry)
        ops[-1]["payload"]["consent_text"] = "Le client renonce à toute réclamation."
        answer = self.sync(ops)
        self.assertEqual(self.statuses(answer)[-1], "conflict")
        self.assertIn("consent sentence", answer["results"][-1]["message"])
        self.assertEqual(intervention.state, "done")
        self.assertFalse(intervention.sudo().signature_ids)

    def test_offline_day_replayed_exactly_once(self):
        intervention = self._intervention()
        entry = self.entry(self.day(), intervention)
        ops, times, content = self._offline_day(intervention, entry)

        answer = self.sync(ops)

        self.assertEqual(self.statuses(answer), ["ok"] * len(ops), answer["results"])
        intervention.invalidate_recordset()
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(
            [(t.date_start, t.date_end) for t in intervention.time_ids],
            [(times["start"], times["pause"]), (times["resume"], times["stop"])],
        )
        self.assertEqual(intervention.duration, 1.5)
        self.assertEqual(intervention.checklist_line_ids.mapped("result"), ["done", "na"])
        self.assertEqual([(p.product_id, p.quantity) for p in intervention.part_ids], [(self.part_a, 2.0)])
        self.assertEqual(len(intervention.photo_ids), 1)
        photo = intervention.photo_ids.with_context(bin_size=False)
        self.assertEqual(photo.image, self.b64(self.photo).encode(), "the photo is stored as sent")
        self.assertEqual(answer["results"][6]["server_id"], intervention.part_ids.id)
        self.assertEqual(answer["results"][9]["server_id"], photo.id)
        # the signature and its evidence
        signature = intervention.sudo().signature_id
        self.assertEqual(intervention.sudo().signature_ids, signature)
        self.assertEqual(answer["results"][-1]["server_id"], signature.id)
        self.assertEqual((signature.signer_name, signature.signer_role), ("Jeanne Durand", "device"))
        self.assertEqual(signature.user_id, self.tech)
        self.assertTrue(signature.mobile_offline)
        self.assertEqual(signature.mobile_phone_time, times["sign"])
        self.assertTrue(signature.mobile_received_on >= times["sign"])
        self.assertEqual(signature.mobile_device_id, "phone-test-1")
        self.assertEqual(signature.mobile_content, content)
        self.assertEqual(signature.mobile_content_hash, hashlib.sha256(content.encode()).hexdigest())
        self.assertEqual(signature.consent_text, ops[-1]["payload"]["consent_text"])
        self.assertEqual(signature.consent_text, intervention._fi_get_consent_text())
        self.assertTrue(signature.geo_consent)
        self.assertTrue(signature.ip_address)
        lines = dict(signature._get_evidence_lines())
        self.assertEqual(lines["Phone time (UTC)"], f"{times['sign']} UTC")
        self.assertEqual(lines["Received (UTC)"], f"{signature.mobile_received_on} UTC")
        self.assertEqual(lines["Offline content SHA-256"], signature.mobile_content_hash)
        self.assertTrue(signature._render_evidence_page().startswith(b"%PDF"))
        # the sync's answer did not wait for the signed PDF: the signature's scheduled action
        # makes it right after
        self.assertFalse(intervention.signed_pdf_id)
        self.assertTrue(intervention.sign_pdf_pending)
        run_sign_jobs(self.env)
        self.assertTrue(intervention.signed_pdf_id)
        if self.invoice_installed:
            # the signed PDF triggered the invoicing scheduled action; run it as the cron would
            cron = self.env.ref("field_intervention_invoice.ir_cron_field_intervention_invoice")
            self.assertTrue(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]))
            self.env["field.intervention"]._cron_fi_invoice()
            invoice = intervention.sudo().invoice_id
            self.assertEqual((invoice.move_type, invoice.state), ("out_invoice", "draft"))
        # the answer: the signed intervention, as the phone stores it
        self.assertEqual(self.entry(answer, intervention)["state"], "signed")
        ops_stored = self.ops_of(intervention)
        self.assertEqual(len(ops_stored), len(ops))
        self.assertEqual(set(ops_stored.mapped("status")), {"ok"})
        sign_op = ops_stored.filtered(lambda op: op.op_type == "sign")
        self.assertEqual(sign_op.payload["payload"]["signature"], self.signature_png)
        self.assertEqual(ops_stored.filtered(lambda op: op.op_type == "start").applied_time, times["start"])

        # the answer was lost: the phone sends the same batch again
        again = self.sync(ops)

        self.assertEqual(self.statuses(again), ["duplicate"] * len(ops))
        self.assertEqual({r["original_status"] for r in again["results"]}, {"ok"})
        self.assertEqual(again["results"][-1]["server_id"], signature.id)
        intervention.invalidate_recordset()
        self.assertEqual(len(intervention.time_ids), 2)
        self.assertEqual(len(intervention.part_ids), 1)
        self.assertEqual(len(intervention.photo_ids), 1)
        self.assertEqual(len(intervention.sudo().signature_ids), 1)
        self.assertEqual(len(self.ops_of(intervention)), len(ops))
        if self.invoice_installed:
            invoices = self.env["account.move.line"].search([("intervention_id", "=", intervention.id)]).move_id
            self.assertEqual(len(invoices), 1)

    # ------------------------------------------------------------------
    # The consent sentence of an offline signature: the day of the phone's own times
    # ------------------------------------------------------------------
    def _french_customer(self):
        """A French customer, a technician who reads English: the sentence is the customer's."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        self.tech.lang = "en_US"

    def _assert_signed_for(self, intervention, ops, day):
        """Every operation applied; the evidence keeps the French sentence of ``day``."""
        answer = self.sync(ops)
        self.assertEqual(self.statuses(answer), ["ok"] * len(ops), answer["results"])
        intervention.invalidate_recordset()
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(intervention.intervention_date, day)
        consent = intervention.sudo().signature_id.consent_text
        self.assertEqual(consent, ops[-1]["payload"]["consent_text"])
        self.assertIn("En signant, je confirme", consent)
        self.assertIn(f"du {day.strftime('%d/%m/%Y')} ont été réalisés", consent)
        return consent

    def _offline_times(self, start):
        return {
            "start": start,
            "pause": start + timedelta(minutes=10),
            "resume": start + timedelta(minutes=15),
            "stop": start + timedelta(minutes=40),
            "sign": start + timedelta(minutes=45),
        }

    def test_offline_signature_planned_tomorrow_worked_today(self):
        """The mission of tomorrow, worked and signed offline today: the customer reads and
        signs today's date, which the server records and accepts."""
        self._french_customer()
        intervention = self._intervention(planned=fields.Datetime.now() + timedelta(hours=26))
        entry = self.entry(self.day(), intervention)
        times = self._offline_times(self.ago(hours=2))
        ops, __, __ = self._offline_day(intervention, entry, times)
        day = paris_day(times["start"])
        self.assertNotEqual(day, intervention.intervention_date, "planned on another day")
        self.assertNotEqual(ops[-1]["payload"]["consent_text"], entry["consent_text"])
        self._assert_signed_for(intervention, ops, day)

    def test_offline_signature_started_after_midnight(self):
        """Downloaded the evening before, planned at 23:00, started after midnight (Paris):
        the sentence of the new day."""
        self._french_customer()
        midnight = paris_midnight_before(self.ago(hours=1))
        intervention = self._intervention(planned=midnight - timedelta(hours=1))
        with freeze_time(midnight - timedelta(hours=2)):
            entry = self.entry({"interventions": intervention.with_user(self.tech)._fi_mobile_values()}, intervention)
        ops, times, __ = self._offline_day(intervention, entry, self._offline_times(midnight + timedelta(minutes=5)))
        self.assertEqual(paris_day(times["start"]), paris_day(intervention.planned_date) + timedelta(days=1))
        self.assertNotEqual(ops[-1]["payload"]["consent_text"], entry["consent_text"])
        self._assert_signed_for(intervention, ops, paris_day(times["start"]))

    def test_offline_signature_across_midnight(self):
        """Planned for the next morning, started at 23:40 (Paris), stopped after midnight: the
        day of the start (the suite failed so when run just before 02:00 UTC)."""
        self._french_customer()
        midnight = paris_midnight_before(self.ago(hours=1))
        intervention = self._intervention(planned=midnight + timedelta(hours=9))
        with freeze_time(midnight - timedelta(hours=2)):
            entry = self.entry({"interventions": intervention.with_user(self.tech)._fi_mobile_values()}, intervention)
        ops, times, __ = self._offline_day(intervention, entry, self._offline_times(midnight - timedelta(minutes=20)))
        self.assertLess(times["start"], midnight)
        self.assertGreater(times["stop"], midnight)
        self.assertEqual(paris_day(times["start"]), paris_day(intervention.planned_date) - timedelta(days=1))
        self._assert_signed_for(intervention, ops, paris_day(times["start"]))

    def test_forged_consent_date_refused(self):
        """The phone cannot choose the date either: the sentence of the planned day (what the
        phone showed before) or the server's wording with another date is refused; the
        sentence of the day the server records is accepted."""
        self._french_customer()
        intervention = self._intervention(planned=fields.Datetime.now() + timedelta(hours=26))
        entry = self.entry(self.day(), intervention)
        ops, times, __ = self._offline_day(intervention, entry, self._offline_times(self.ago(hours=2)))
        sign = ops.pop()
        self.assertEqual(self.statuses(self.sync(ops)), ["ok"] * len(ops))
        consent = entry["consent"]
        forged = (entry["consent_text"], consent["before"] + "31/12/2099" + consent["after"], "")
        for index, sentence in enumerate(forged):
            with self.subTest(sentence=sentence):
                attempt = {**sign, "key": f"forged-{index}-{sign['key']}"}
                attempt["payload"] = {**sign["payload"], "consent_text": sentence}
                answer = self.sync([attempt])
                self.assertEqual(self.statuses(answer), ["conflict"])
                self.assertIn("consent sentence", answer["results"][0]["message"])
                self.assertFalse(intervention.sudo().signature_ids)
        answer = self.sync([sign])
        self.assertEqual(self.statuses(answer), ["ok"], answer["results"])
        self.assertIn(paris_day(times["start"]).strftime("%d/%m/%Y"), intervention.sudo().signature_id.consent_text)

    def test_same_key_twice_in_one_batch(self):
        intervention = self._intervention()
        add = self.op(intervention, "add_part", self.ago(minutes=5), product_id=self.part_a.id, quantity=1)
        answer = self.sync([add, add])
        self.assertEqual(self.statuses(answer), ["ok", "duplicate"])
        self.assertEqual(len(intervention.part_ids), 1)

    def test_resized_photo_keeps_the_sent_hash(self):
        """A photo above the stored size is resized by the photo field: the phone still knows
        it by the hash of the bytes it sent, in the day and in the content."""
        intervention = self._intervention()
        big = make_photo_jpeg(size=(2400, 100))
        answer = self.sync([self.op(intervention, "add_photo", self.ago(minutes=3), name="Large", image=self.b64(big))])
        self.assertEqual(self.statuses(answer), ["ok"])
        stored = intervention.photo_ids.with_context(bin_size=False).image
        self.assertNotEqual(stored, self.b64(big).encode(), "the photo field resized it")
        sha = hashlib.sha256(big).hexdigest()
        entry = self.entry(answer, intervention)
        self.assertEqual(entry["photos"][0]["sha256"], sha)
        self.assertEqual(json.loads(entry["content"])["photos"], [[sha, "Large"]])

    def test_malformed_operations(self):
        """Each malformed operation is an error with a French message for a French technician;
        the others of the batch are applied; all are kept."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.tech.lang = "fr_FR"
        intervention = self._intervention()
        at = self.ago(minutes=10)
        good = self.op(intervention, "set_text", at, work_description="Contrôle")
        ops = [
            good,
            {"type": "start", "intervention_id": intervention.id, "at": utc(at)},  # no key
            "start",  # not an object
            self.op(intervention, "fly", at),
            {**self.op(intervention, "start", at), "at": "hier"},
            self.op(intervention, "add_part", at, product_id="filtre", quantity=1),
            self.op(intervention, "add_photo", at, name="x", image="pas une photo"),
            self.op(intervention, "add_part", at, product_id=self.part_a.id, quantity=-1),
            {**self.op(intervention, "start", at), "intervention_id": "12"},
            self.op(intervention, "add_part", at, product_id=self.part_b.id, quantity=1),
        ]
        answer = self.sync(ops)
        self.assertEqual(self.statuses(answer), ["ok"] + ["error"] * 8 + ["ok"], answer["results"])
        for result in answer["results"][1:7]:
            self.assertIn("L'opération envoyée par le téléphone est malformée", result["message"])
        self.assertIn("quantité", answer["results"][7]["message"])
        self.assertEqual(intervention.work_description, "Contrôle")
        self.assertEqual(intervention.part_ids.product_id, self.part_b)
        stored = self.env["field.intervention.mobile.op"].search([("user_id", "=", self.tech.id)])
        self.assertEqual(len(stored), len(ops), "every operation received is kept")
        self.assertEqual(answer["results"][2]["key"], None)
        self.assertEqual(stored.filtered(lambda op: op.payload == "start").status, "error")

    def test_defect_does_not_block_the_queue(self):
        """An unexpected failure of one operation is an error kept in the log; the others apply."""
        intervention = self._intervention()
        Op = type(self.env["field.intervention.mobile.op"])
        with (
            patch.object(Op, "_fi_mobile_op_add_photo", side_effect=RuntimeError("defect")),
            mute_logger("odoo.addons.field_intervention_mobile.models.field_intervention_mobile_op"),
        ):
            answer = self.sync(
                [
                    self.op(intervention, "add_photo", self.ago(minutes=3), name="x", image=self.b64(self.photo)),
                    self.op(intervention, "set_text", self.ago(minutes=2), findings="RAS"),
                ]
            )
        self.assertEqual(self.statuses(answer), ["error", "ok"])
        self.assertIn("could not apply this operation", answer["results"][0]["message"])
        self.assertFalse(intervention.photo_ids)
        self.assertEqual(intervention.findings, "RAS")
        self.assertEqual(self.ops_of(intervention).sorted("id").mapped("status"), ["error", "ok"])

    def test_whole_request_refusals(self):
        with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
            self.sync("not a list")
        self.assertIn("UserError", str(caught.exception))
        intervention = self._intervention()
        op = self.op(intervention, "start", self.ago(minutes=1))
        for user in (self.portal, self.billing):
            with self.subTest(user=user.login), self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
                self.sync([op], user=user)
            self.assertIn("AccessError", str(caught.exception))
        self.assertEqual(intervention.state, "draft")
        self.assertFalse(self.ops_of(intervention))

    def test_other_technician_refused(self):
        """Another technician can neither act on the intervention nor replay its keys."""
        intervention = self._intervention()
        mine = self.op(intervention, "start", self.ago(minutes=20))
        self.assertEqual(self.statuses(self.sync([mine])), ["ok"])
        theirs = self.sync(
            [
                mine,
                self.op(intervention, "set_text", self.ago(minutes=5), work_description="Intrus"),
            ],
            user=self.tech_other,
        )
        self.assertEqual(self.statuses(theirs), ["error", "conflict"])
        self.assertNotIn("server_id", [k for k, v in theirs["results"][0].items() if v])
        self.assertIn("no longer assigned to you", theirs["results"][1]["message"])
        self.assertEqual(theirs["interventions"], [])
        self.assertEqual(theirs["interventions_gone"], [intervention.id])
        self.assertFalse(intervention.work_description)

    def test_log_access(self):
        """The log is written by the sync only; a technician reads his own, the dispatcher all."""
        intervention = self._intervention(technicians=self.tech | self.tech_other)
        self.sync([self.op(intervention, "start", self.ago(minutes=20))])
        self.sync([self.op(intervention, "set_text", self.ago(minutes=5), findings="RAS")], user=self.tech_other)
        Op = self.env["field.intervention.mobile.op"]
        mine = Op.with_user(self.tech).search([])
        self.assertEqual(mine.user_id, self.tech)
        self.assertEqual(len(Op.with_user(self.manager).search([("intervention_id", "=", intervention.id)])), 2)
        for user in (self.tech, self.manager):
            with self.assertRaises(AccessError):
                Op.with_user(user).create({"key": "forged-key-000", "user_id": user.id, "company_id": 1})
            with self.assertRaises(AccessError):
                mine.with_user(user).write({"status": "ok"})
            with self.assertRaises(AccessError):
                mine.with_user(user).unlink()
        with self.assertRaises(AccessError):
            Op.with_user(self.billing).search([])
        with self.assertRaises(AccessError):
            Op.with_user(self.portal).search([])
