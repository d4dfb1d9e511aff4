from unittest.mock import patch

from odoo import fields, http
from odoo.tests import tagged

from .common import FiSignCase, FiSignHttpCase, fake_report_pdf

RETRY_CRON = "field_intervention_sign.ir_cron_fi_sign_retry"


@tagged("-at_install", "post_install")
class TestSignAnswer(FiSignCase):
    """The customer's answer does not wait for the signed PDF: the decision and its evidence are
    recorded, the PDF and the emails queued, and the signature's scheduled action, triggered
    now, produces them right after the answer is committed."""

    def _triggers(self):
        cron = self.env.ref(RETRY_CRON)
        return self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)])

    def _signed_pdfs(self, intervention):
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "field.intervention"),
                    ("res_id", "=", intervention.id),
                    ("mimetype", "=", "application/pdf"),
                ]
            )
        )

    def test_the_answer_renders_no_pdf(self):
        Intervention = type(self.env["field.intervention"])
        with patch.object(Intervention, "_fi_render_report_pdf", autospec=True, side_effect=fake_report_pdf) as render:
            signature = self._sign(jobs=False)
            self.assertEqual(render.call_count, 0, "the signing request renders no PDF")
            self.assertEqual(self.intervention.state, "signed")
            self.assertEqual(self.intervention.sudo().signature_id, signature)
            self.assertFalse(self.intervention.signed_pdf_id)
            self.assertFalse(self._mails(), "the emails carry the signed PDF: they follow it")
            self._run_sign_jobs()
            self.assertEqual(render.call_count, 1, "the scheduled action renders it once")
        self.assertTrue(self.intervention.signed_pdf_id)
        self.assertFalse(self.intervention.sign_pending_job)
        self.assertEqual(len(self._mails()), 2, "the customer's and billing's emails")

    def test_the_answer_triggers_the_scheduled_action_now(self):
        before = self._triggers()
        self._sign(jobs=False)
        triggers = self._triggers() - before
        self.assertEqual(len(triggers), 1)
        self.assertLessEqual(triggers.call_at, fields.Datetime.now(), "right after the answer, not later")
        # a refusal queues its email the same way
        before = self._triggers()
        self._sign(self.other_intervention, decision="refuse", refusal_reason="Four toujours froid")
        self.assertEqual(len(self._triggers() - before), 1)

    def test_a_server_stopping_after_the_answer_loses_nothing(self):
        """The answer is committed, the server stops before its scheduled action runs (the
        trigger is consumed, say): the decision and the queued jobs are in the database, and
        the next run of the scheduled action produces one signed PDF and one set of emails."""
        signature = self._sign(jobs=False)
        intervention = self.intervention.sudo()
        self.assertEqual((intervention.state, intervention.signature_id), ("signed", signature))
        self.assertTrue(signature.content_hash, "the evidence hashes the signed content, not a PDF")
        self.assertEqual(intervention.sign_event_ids.mapped("event_type"), ["signed"])
        self.assertTrue(intervention.sign_pending_job)
        self.assertTrue(intervention.sign_pdf_pending)
        self.assertTrue(intervention.sign_mail_pending)
        self.assertLessEqual(intervention.sign_job_next_try, fields.Datetime.now(), "due at the next run")
        self.assertFalse(self._signed_pdfs(intervention) or self._mails())
        self._triggers().unlink()
        # the scheduled action's next run (its regular interval), as the cron thread calls it
        self.env["field.intervention"]._cron_fi_retry_sign_jobs()
        self.assertEqual(len(self._signed_pdfs(intervention)), 1)
        self.assertEqual(signature.pdf_attachment_id, self._signed_pdfs(intervention))
        self.assertEqual(len(self._mails()), 2)
        self.assertFalse(intervention.sign_pending_job)
        self.assertFalse(self._triggers(), "nothing left to retry")
        # another run (a trigger of another signature) does not produce them again
        self.env["field.intervention"]._cron_fi_retry_sign_jobs()
        self.assertEqual(len(self._signed_pdfs(intervention)), 1)
        self.assertEqual(len(self._mails()), 2)
        self.assertEqual(
            intervention.sign_event_ids.mapped("event_type").count("pdf_ready"), 1, "one signed PDF logged"
        )

    def test_without_the_scheduled_action_the_answer_produces_them(self):
        """An administrator deactivated the scheduled action: nobody would run the jobs, the
        signing request produces them as before."""
        self.env.ref(RETRY_CRON).sudo().active = False
        self._sign(jobs=False)
        self.assertTrue(self.intervention.signed_pdf_id)
        self.assertFalse(self.intervention.sign_pending_job)
        self.assertEqual(len(self._mails()), 2)


@tagged("-at_install", "post_install")
class TestSignedPdfBeingPrepared(FiSignHttpCase):
    """Between the answer and the signed PDF, the pages say that it is being prepared, then
    show it as soon as it exists."""

    def test_portal_and_verification_pages(self):
        signature = self._sign(jobs=False)
        token = self.intervention._portal_ensure_token()
        page_url = f"/my/interventions/{self.intervention.id}?access_token={token}"
        page = self.url_open(page_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_fi_signed_pdf_pending", page.text)
        self.assertNotIn('o_fi_signed_pdf"', page.text)
        self.assertIn("The signed PDF is being prepared", page.text)
        pdf_url = f"/my/interventions/{self.intervention.id}/signed_pdf?access_token={token}"
        self.assertEqual(self.url_open(pdf_url).status_code, 404, "no signed PDF yet")
        verify_url = f"/fi/verify/{signature.verify_token}"
        verify = self.url_open(verify_url)
        self.assertEqual(verify.status_code, 200)
        self.assertIn("o_fi_verify_pdf_pending", verify.text)
        # a file checked now is not called a forgery: there is nothing to compare it with yet
        self.authenticate(None, None)
        checked = self.url_open(
            verify_url,
            data={"csrf_token": http.Request.csrf_token(self)},
            files={"document": ("report.pdf", b"%PDF-1.4 anything", "application/pdf")},
        )
        self.assertNotIn("o_fi_verify_mismatch", checked.text)
        self.assertIn("o_fi_verify_pdf_pending", checked.text)

        self._run_sign_jobs()
        page = self.url_open(page_url)
        self.assertNotIn("o_fi_signed_pdf_pending", page.text)
        self.assertIn('o_fi_signed_pdf"', page.text)
        self.assertEqual(self.url_open(pdf_url).content, self.intervention.signed_pdf_id.raw)
        verify = self.url_open(verify_url)
        self.assertNotIn("o_fi_verify_pdf_pending", verify.text)
        self.assertIn(signature.pdf_hash, verify.text)
