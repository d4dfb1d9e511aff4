from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import FiSignCase

LOGGER = "odoo.addons.field_intervention_sign.models.field_intervention_sign_job_mixin"


@tagged("-at_install", "post_install")
class TestSignMails(FiSignCase):
    def test_signed_mails(self):
        self._sign(signer_email="jeanne.perso@example.org")
        mails = self._mails()
        pdf = self.intervention.signed_pdf_id
        self.assertEqual(len(mails), 2)
        customer_mail, billing_mail = mails
        self.assertEqual(customer_mail.recipient_ids, self.customer)
        self.assertEqual(customer_mail.email_to, "jeanne.perso@example.org")
        self.assertEqual(customer_mail.attachment_ids, pdf)
        self.assertIn(self.intervention.get_portal_url(), customer_mail.body_html.replace("&amp;", "&"))
        self.assertIn("Jeanne Durand", customer_mail.body_html)
        self.assertEqual(billing_mail.email_to, "billing@fi-company.example.com")
        self.assertFalse(billing_mail.recipient_ids)
        self.assertEqual(billing_mail.attachment_ids, pdf)
        # the signed PDF stays when the mails are sent and deleted
        mails.unlink()
        self.assertTrue(pdf.exists())

    def test_mails_lost_to_a_mail_server_outage_are_sent_again(self):
        """Core leaves a mail that met no SMTP server in exception for good; ours go out again
        when the queue runs, but not those refused for a bad address."""
        self._sign()
        outage, bad_address = self._mails()
        outage.write({"state": "exception", "failure_reason": "Connection refused"})
        bad_address.write({"state": "exception", "failure_type": "mail_email_invalid"})
        with patch.object(type(self.env["mail.mail"]), "send", autospec=True) as send:
            self.env["mail.mail"].process_email_queue()
        self.assertEqual(outage.state, "outgoing")
        self.assertEqual(bad_address.state, "exception")
        self.assertIn(outage.id, send.call_args.args[0].ids)

    def test_signer_email_same_as_customer_not_duplicated(self):
        self._sign(signer_email="CONTACT@durand.example.com")
        customer_mail = self._mails()[0]
        self.assertFalse(customer_mail.email_to)
        self.assertEqual(customer_mail.recipient_ids, self.customer)

    def test_no_billing_address_no_billing_mail(self):
        self.company.fi_billing_email = False
        self._sign()
        self.assertEqual(len(self._mails()), 1)

    def test_reserves_mail_to_dispatcher_and_billing(self):
        self._sign(reserves="Il reste une fuite <script>x</script>")
        reserves_mail = self._mails().filtered(lambda m: "reserves" in m.subject)
        self.assertEqual(len(reserves_mail), 1)
        self.assertEqual(reserves_mail.recipient_ids, self.manager.partner_id)
        self.assertEqual(reserves_mail.email_to, "billing@fi-company.example.com")
        self.assertEqual(reserves_mail.attachment_ids, self.intervention.signed_pdf_id)
        self.assertIn("Il reste une fuite &lt;script&gt;x&lt;/script&gt;", reserves_mail.body_html)
        self.assertNotIn("<script>", reserves_mail.body_html)

    def test_refused_mail_to_dispatcher_and_billing(self):
        self._sign(decision="refuse", refusal_reason="Travail <i>bâclé</i>", signature=False)
        mails = self._mails()
        self.assertEqual(len(mails), 1)
        self.assertIn("refused", mails.subject)
        self.assertEqual(mails.recipient_ids, self.manager.partner_id)
        self.assertEqual(mails.email_to, "billing@fi-company.example.com")
        self.assertFalse(mails.attachment_ids)
        self.assertIn("Travail &lt;i&gt;bâclé&lt;/i&gt;", mails.body_html)

    def test_send_for_signature(self):
        """The link goes to the customer's contact in the email only: the chatter and every
        message an employee can read say it was sent, without the token; a new request rotates
        the token so that the link sent before no longer opens the report."""
        action = self.intervention.with_user(self.tech).action_fi_send_for_signature()
        wizard = Form(self.env[action["res_model"]].with_user(self.tech).with_context(**action["context"])).save()
        self.assertEqual(wizard.partner_ids, self.site_contact)
        wizard.action_send()
        token = self.intervention.access_token
        self.assertTrue(token)
        mail = self.env["mail.mail"].search(
            [("model", "=", "field.intervention"), ("res_id", "=", self.intervention.id)]
        )
        self.assertEqual(mail.recipient_ids, self.site_contact)
        self.assertIn(f"access_token={token}", mail.body_html.replace("&amp;", "&"))
        readable = (
            self.env["mail.message"]
            .with_user(self.tech)
            .search([("model", "=", "field.intervention"), ("res_id", "=", self.intervention.id)])
        )
        self.assertTrue(readable)
        self.assertNotIn(token, " ".join(readable.mapped("body")))
        self.assertNotIn(token, self.intervention.with_user(self.tech).get_portal_url())
        events = self.intervention.sudo().sign_event_ids
        self.assertEqual(events.mapped("event_type"), ["sent"])
        self.assertEqual(events.user_id, self.tech)
        self.assertIn("jeanne@durand.example.com", events.description)
        # a second request: a new link, the first one is dead
        wizard = Form(self.env[action["res_model"]].with_user(self.tech).with_context(**action["context"])).save()
        wizard.action_send()
        self.assertNotEqual(self.intervention.access_token, token)
        # only the customer's own contacts receive the link
        wizard = Form(self.env[action["res_model"]].with_user(self.tech).with_context(**action["context"])).save()
        with self.assertRaisesRegex(UserError, "contacts of"):
            self.intervention.with_user(self.tech)._fi_send_sign_request(self.tech.partner_id)
        with self.assertRaisesRegex(UserError, "contacts of"):
            self.intervention.with_user(self.tech)._fi_send_sign_request(self.other_customer)
        self.assertEqual(wizard.partner_ids, self.site_contact)

    def test_templates_translated_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["field_intervention_sign"], ["fr_FR"], overwrite=True)
        template = self.env.ref("field_intervention_sign.mail_template_fi_sign_request").with_context(lang="fr_FR")
        self.assertIn("à signer", template.subject)
        self.assertIn("Vérifiez", template.body_html)
        self.customer.lang = "fr_FR"
        self._sign()
        self.assertIn("signé", self._mails()[0].subject)


@tagged("-at_install", "post_install")
class TestSignRetry(FiSignCase):
    def test_pdf_failure_keeps_signature_and_cron_recovers(self):
        Intervention = type(self.env["field.intervention"])
        with (
            patch.object(Intervention, "_fi_render_report_pdf", side_effect=OSError("wkhtmltopdf crashed")),
            mute_logger(LOGGER),
        ):
            signature = self._sign()
        intervention = self.intervention
        self.assertEqual(intervention.state, "signed")
        self.assertEqual(intervention.signature_id, signature)
        self.assertTrue(signature.exists())
        self.assertTrue(intervention.sign_pending_job)
        self.assertTrue(intervention.sign_pdf_pending)
        self.assertTrue(intervention.sign_mail_pending)
        self.assertIn("wkhtmltopdf crashed", intervention.sign_job_error)
        self.assertFalse(intervention.signed_pdf_id)
        self.assertFalse(signature.pdf_attachment_id)
        self.assertEqual(intervention.sign_job_attempts, 1)
        self.assertIn("pdf_failed", intervention.sudo().sign_event_ids.mapped("event_type"))
        self.assertFalse(
            self.env["mail.mail"].search([("res_id", "=", intervention.id), ("model", "=", "field.intervention")])
        )
        # the cron skips it until the retry time, then recovers PDF and mails
        self.env["field.intervention"]._cron_fi_retry_sign_jobs()
        self.assertTrue(intervention.sign_pending_job)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=10)):
            self.env["field.intervention"]._cron_fi_retry_sign_jobs()
        self.assertFalse(intervention.sign_pending_job)
        self.assertFalse(intervention.sign_job_error)
        self.assertTrue(intervention.signed_pdf_id)
        self.assertEqual(signature.pdf_attachment_id, intervention.signed_pdf_id)
        self.assertEqual(
            len(self.env["mail.mail"].search([("res_id", "=", intervention.id), ("model", "=", "field.intervention")])),
            2,
        )
        self.assertEqual(len(intervention.sudo().signature_ids), 1)

    def test_mail_failure_is_retried(self):
        Template = type(self.env["mail.template"])
        with patch.object(Template, "send_mail", side_effect=ValueError("template broken")), mute_logger(LOGGER):
            self._sign()
        intervention = self.intervention
        self.assertTrue(intervention.signed_pdf_id)
        self.assertFalse(intervention.sign_pdf_pending)
        self.assertTrue(intervention.sign_mail_pending)
        self.assertIn("mail_failed", intervention.sudo().sign_event_ids.mapped("event_type"))
        # the manager retries by hand
        intervention.with_user(self.manager).action_fi_retry_sign_jobs()
        self.assertFalse(intervention.sign_pending_job)
        self.assertEqual(
            len(self.env["mail.mail"].search([("res_id", "=", intervention.id), ("model", "=", "field.intervention")])),
            2,
        )

    def test_pdf_hook_called_by_retry(self):
        Intervention = type(self.env["field.intervention"])
        with patch.object(Intervention, "_fi_render_report_pdf", side_effect=OSError("down")), mute_logger(LOGGER):
            self._sign()
        with (
            patch.object(Intervention, "_on_signed_pdf_ready", autospec=True) as hook,
            freeze_time(fields.Datetime.now() + timedelta(hours=1)),
        ):
            self.env["field.intervention"]._cron_fi_retry_sign_jobs()
        hook.assert_called_once()
        self.assertTrue(self.intervention.signed_pdf_id)

    def test_partial_failure_rolls_back_step_only(self):
        """A failure after the attachment was created rolls the PDF step back (no orphan PDF)."""
        Intervention = type(self.env["field.intervention"])
        with (
            patch.object(Intervention, "_on_signed_pdf_ready", side_effect=RuntimeError("late failure")),
            mute_logger(LOGGER),
        ):
            self._sign()
        intervention = self.intervention
        self.assertTrue(intervention.sign_pdf_pending)
        self.assertFalse(intervention.signed_pdf_id)
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [
                    ("res_model", "=", "field.intervention"),
                    ("res_id", "=", intervention.id),
                    ("mimetype", "=", "application/pdf"),
                ]
            )
        )
        self.assertEqual(intervention.state, "signed")
