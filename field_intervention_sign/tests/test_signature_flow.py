import base64
import hashlib
import json
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import FiSignCase, make_signature_png


@tagged("-at_install", "post_install")
class TestSignatureFlow(FiSignCase):
    def test_device_signature_records_evidence_and_pdf(self):
        signature = self._sign(reserves="Porte rayée")
        intervention = self.intervention
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(intervention.signature_id, signature)
        self.assertEqual(intervention.signed_date, signature.signed_on)
        self.assertTrue(intervention.has_reserves)
        self.assertEqual(signature.status, "signed")
        self.assertEqual(signature.signer_name, "Jeanne Durand")
        self.assertEqual(signature.signer_email, "jeanne@durand.example.com")
        self.assertEqual(signature.signer_role, "device")
        self.assertEqual(signature.user_id, self.tech)
        self.assertEqual(signature.reserves, "Porte rayée")
        self.assertIn(intervention.name, signature.consent_text)
        self.assertEqual(
            signature.signature_hash,
            hashlib.sha256(base64.b64decode(self.signature_png)).hexdigest(),
        )
        # signed PDF stored, hashed, posted; jobs done
        attachment = intervention.signed_pdf_id
        self.assertTrue(attachment)
        self.assertEqual(signature.pdf_attachment_id, attachment)
        self.assertEqual(hashlib.sha256(attachment.raw).hexdigest(), signature.pdf_hash)
        self.assertTrue(attachment.raw.startswith(b"%PDF"))
        self.assertFalse(intervention.sign_pending_job)
        self.assertIn(attachment, intervention.message_ids.attachment_ids)
        events = intervention.sudo().sign_event_ids.mapped("event_type")
        self.assertEqual(set(events), {"signed", "pdf_ready", "mail_sent"})

    def test_content_hash_recomputation(self):
        signature = self._sign()
        canonical = json.loads(signature.content_canonical)
        self.assertEqual(canonical["number"], self.intervention.name)
        self.assertEqual(canonical["work_description"], "Remplacement de la résistance du four.")
        self.assertEqual(canonical["parts"][0][0], self.product.display_name)
        # language neutral: the unit by its English name, whoever builds the content
        self.assertEqual(canonical["parts"][0][2], self.product.uom_id.with_context(lang="en_US").name)
        self.env["res.lang"]._activate_lang("fr_FR")
        self.product.uom_id.with_context(lang="fr_FR").name = "Unités du technicien"
        self.assertEqual(
            self.intervention.with_context(lang="fr_FR")._fi_get_canonical_content(), signature.content_canonical
        )
        # everything billed: the times, the technicians, the travel, the service date
        self.assertEqual(len(canonical["times"]), len(self.intervention.time_ids))
        self.assertEqual(canonical["technicians"], sorted(self.intervention.technician_ids.mapped("name")))
        self.assertEqual(set(canonical["travel"]), {"hours", "km"})
        self.assertEqual(canonical["service_date"], self.intervention.intervention_date.isoformat())
        self.assertAlmostEqual(signature._fi_signed_billables()["hours"], 2.0)
        self.assertEqual(signature.content_hash, hashlib.sha256(signature.content_canonical.encode()).hexdigest())
        self.assertEqual(signature._recompute_content_hash(), signature.content_hash)
        # the intervention still produces the very same canonical text: the content is locked
        self.assertEqual(self.intervention._fi_get_canonical_content(), signature.content_canonical)
        # and any change of the content changes the hash
        other = self._create_done_intervention(work_description="Autre travail.")
        self.assertNotEqual(
            hashlib.sha256(other._fi_get_canonical_content().encode()).hexdigest(), signature.content_hash
        )

    def test_double_submission_is_idempotent(self):
        first = self._sign()
        second = self._sign()
        self.assertEqual(first, second)
        self.assertEqual(len(self.intervention.sudo().signature_ids), 1)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [
                    ("res_model", "=", "field.intervention"),
                    ("res_id", "=", self.intervention.id),
                    ("mimetype", "=", "application/pdf"),
                ]
            ),
            1,
        )
        # another signature on an already signed report is refused clearly
        with self.assertRaisesRegex(UserError, "cannot be signed"):
            self._sign(signer_name="Somebody Else")

    def test_submission_locks_the_row(self):
        """Concurrent submissions are serialized on the intervention row (then made idempotent)."""
        with self.assertLogs("odoo.sql_db", "DEBUG") as logs:
            self._sign()
        lock_queries = [line for line in logs.output if "FOR UPDATE" in line and "field_intervention" in line]
        self.assertEqual(len(lock_queries), 1)
        self.assertIn(f"IN ({self.intervention.id})", lock_queries[0])

    def test_sign_non_done_refused(self):
        intervention = self.env["field.intervention"].create({"task_id": self.task.id})
        with self.assertRaisesRegex(UserError, "only a done intervention can be signed"):
            self._sign(intervention)
        self.assertFalse(intervention.sudo().signature_ids)
        self.assertEqual(intervention.state, "draft")

    def test_bad_input_changes_nothing(self):
        too_big = base64.b64encode(b"\x89PNG" + b"0" * (1024 * 1024 + 10)).decode()
        cases = [
            ({"signature": ""}, "signature is missing"),
            ({"signature": "!!!not base64!!!"}, "not valid"),
            ({"signature": base64.b64encode(b"<svg onload=alert(1)>").decode()}, "not a valid image"),
            ({"signature": make_signature_png(blank=True)}, "empty"),
            ({"signature": too_big}, "too large"),
            ({"signer_name": "  "}, "name"),
            ({"signer_name": "<script>alert(1)</script>"}, "without < or >"),
            ({"signer_email": "not-an-email"}, "not valid"),
            ({"reserves": "x" * 5000}, "limited"),
            ({"decision": "maybe"}, "sign or to refuse"),
            ({"decision": "refuse", "refusal_reason": ""}, "reason"),
            ({"signer_role": "admin"}, "role"),
        ]
        for overrides, message in cases:
            with self.subTest(overrides=list(overrides)), self.assertRaisesRegex(ValidationError, message):
                self._sign(**overrides)
        self.assertEqual(self.intervention.state, "done")
        self.assertFalse(self.intervention.sudo().signature_ids)
        self.assertFalse(self.intervention.sudo().sign_event_ids)

    def test_refusal_dispute_back_to_done(self):
        signature = self._sign(decision="refuse", refusal_reason="Le four chauffe toujours mal", signature=False)
        intervention = self.intervention
        self.assertEqual(signature.status, "refused")
        self.assertEqual(intervention.state, "disputed")
        self.assertFalse(intervention.signature_id)
        self.assertEqual(intervention.sign_refusal_reason, "Le four chauffe toujours mal")
        with self.assertRaises(AccessError):
            intervention.with_user(self.tech).action_fi_back_to_done()
        intervention.with_user(self.manager).action_fi_back_to_done()
        self.assertEqual(intervention.state, "done")
        # the customer can now sign; the refusal stays in the evidence
        self._sign()
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(intervention.sudo().signature_ids.mapped("status"), ["signed", "refused"])
        self.assertEqual(
            intervention.sudo().sign_event_ids.sorted("id").mapped("event_type"),
            ["refused", "mail_sent", "reset", "signed", "pdf_ready", "mail_sent"],
        )

    def test_other_technician_cannot_sign(self):
        with self.assertRaises(AccessError):
            self._sign(user=self.tech_other)
        self.assertEqual(self.intervention.state, "done")

    def test_state_cannot_be_forced(self):
        """The status moves only through the signing flow and the buttons, whoever writes it."""
        for user in (self.tech, self.manager):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "cannot be set directly"):
                self.intervention.with_user(user).write({"state": "signed"})
        self._sign()
        for state in ("done", "in_progress", "cancel", "draft", "disputed"):
            with self.subTest(state=state), self.assertRaisesRegex(AccessError, "cannot be set directly"):
                self.intervention.with_user(self.manager).write({"state": state})
        self.assertEqual(self.intervention.state, "signed")

    def test_hooks_called(self):
        Intervention = type(self.env["field.intervention"])
        with (
            patch.object(Intervention, "_on_customer_signed", autospec=True) as signed_hook,
            patch.object(Intervention, "_on_signed_pdf_ready", autospec=True) as pdf_hook,
        ):
            self._sign()
        self.assertEqual(signed_hook.call_count, 1)
        self.assertEqual(signed_hook.call_args.args[0], self.intervention)
        self.assertEqual(pdf_hook.call_count, 1)

    def test_hook_failure_keeps_signature(self):
        Intervention = type(self.env["field.intervention"])

        def failing_hook(self):
            self.env["res.partner"].create({"name": "created by a failing hook"})
            raise RuntimeError("invoice creation failed")

        with (
            patch.object(Intervention, "_on_customer_signed", failing_hook),
            mute_logger("odoo.addons.field_intervention_sign.models.field_intervention"),
        ):
            self._sign()
        self.assertEqual(self.intervention.state, "signed")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "created by a failing hook")]))
        self.assertIn("hook_failed", self.intervention.sudo().sign_event_ids.mapped("event_type"))

    def test_device_wizard(self):
        action = self.intervention.with_user(self.tech).action_fi_customer_sign()
        wizard = (
            self.env["field.intervention.sign.wizard"].with_user(self.tech).with_context(**action["context"]).create({})
        )
        self.assertEqual(wizard.signer_name, "Jeanne Durand")
        self.assertEqual(wizard.signer_email, "jeanne@durand.example.com")
        self.assertIn("Remplacement de la résistance du four.", wizard.summary_html)
        self.assertIn(self.intervention.name, wizard.consent_text)
        wizard.write(
            {
                "signature": self.signature_png,
                "reserves": "<b>RAS</b>",
                "geo_consent": True,
                "latitude": 45.75,
                "longitude": 4.85,
            }
        )
        wizard.action_confirm()
        signature = self.intervention.signature_id
        self.assertEqual(signature.signer_role, "device")
        self.assertEqual(signature.reserves, "<b>RAS</b>")
        self.assertTrue(signature.geo_consent)
        self.assertAlmostEqual(signature.latitude, 45.75)

    def test_geolocation_needs_consent(self):
        signature = self._sign(latitude=45.0, longitude=4.0)
        self.assertFalse(signature.geo_consent)
        self.assertFalse(signature.latitude)

    def test_prices_shown_only_when_configured(self):
        self.assertNotIn("42.00", self.intervention._fi_render_summary_html())
        self.assertNotIn('"42.00"', self.intervention._fi_get_canonical_content())
        self.company.fi_sign_show_prices = True
        self.assertIn("42.00", self.intervention._fi_render_summary_html())
        content = json.loads(self.intervention._fi_get_canonical_content())
        self.assertEqual((content["parts"][0][4], content["currency"]), ("42.00", self.company.currency_id.name))
