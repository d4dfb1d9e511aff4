import hashlib
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.pdf import merge_pdf

_logger = logging.getLogger(__name__)

RETRY_DELAYS_MINUTES = (5, 15, 60, 240, 720)
CRON_BATCH_SIZE = 20


class FieldInterventionSignJobMixin(models.AbstractModel):
    """What follows a customer's decision and may fail: the signed PDF, then the emails.

    The decision is recorded first. Each step then runs in a savepoint: a failure (wkhtmltopdf
    down, no mail server) is written on the intervention and in its signature log, never undoes
    the signature, and is retried by a scheduled action with a growing delay.
    """

    _name = "field.intervention.sign.job.mixin"
    _description = "Intervention Signature Jobs"

    sign_pending_job = fields.Boolean(
        "Signature Jobs Pending",
        readonly=True,
        copy=False,
        index=True,
        help="The signed PDF or the signature emails could not be produced yet; a scheduled action retries them.",
    )
    sign_pdf_pending = fields.Boolean("Signed PDF Pending", readonly=True, copy=False)
    sign_mail_pending = fields.Boolean("Signature Emails Pending", readonly=True, copy=False)
    sign_job_error = fields.Text("Last Signature Job Error", readonly=True, copy=False)
    sign_job_attempts = fields.Integer("Signature Job Attempts", readonly=True, copy=False)
    sign_job_next_try = fields.Datetime("Next Retry", readonly=True, copy=False)

    def _fi_queue_decision_jobs(self, pdf):
        """Values that queue the jobs of a new decision (the PDF only for a signature)."""
        return {
            "sign_pdf_pending": pdf,
            "sign_mail_pending": True,
            "sign_pending_job": True,
            "sign_job_attempts": 0,
            "sign_job_error": False,
            "sign_job_next_try": fields.Datetime.now(),
        }

    def _fi_run_pending_jobs_soon(self):
        """Have the jobs just queued run right after the current transaction commits, by the
        retry scheduled action triggered now, not in the user's request: the customer's answer
        does not wait for the signed PDF (wkhtmltopdf takes seconds) nor for the emails.

        Nothing is lost if the server stops in between: the pending flags are committed with
        the decision and the scheduled action takes them at its next run. When an administrator
        has deactivated the scheduled action, nobody would run them: they are produced now."""
        cron_sudo = self.env.ref("field_intervention_sign.ir_cron_fi_sign_retry").sudo()
        if cron_sudo.active:
            cron_sudo._trigger()
        else:
            self._fi_process_pending_jobs()

    def _fi_process_pending_jobs(self):
        """Produce the signed PDF then send the emails, each in a savepoint. Called as superuser
        by the retry scheduled action and the retry button, after their access checks."""
        for rec in self:
            errors = []
            if rec.sign_pdf_pending:
                errors += rec._fi_try_step(rec._fi_generate_signed_pdf, "pdf_failed")
            if rec.sign_mail_pending and not rec.sign_pdf_pending:
                errors += rec._fi_try_step(rec._fi_send_decision_mails, "mail_failed")
            rec._fi_update_job_status(errors)

    def _fi_try_step(self, step, failure_event):
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                step()
        except Exception as error:  # noqa: BLE001  rendering/mail errors of any kind are retried
            _logger.warning("Signature job %s failed for intervention %s: %s", step.__name__, self.id, error)
            message = f"{step.__name__}: {error}"
            self._fi_log_event(failure_event, message)
            return [message]
        return []

    def _fi_update_job_status(self, errors):
        self.ensure_one()
        pending = self.sign_pdf_pending or self.sign_mail_pending
        attempts = self.sign_job_attempts + (1 if errors else 0)
        delay = RETRY_DELAYS_MINUTES[min(attempts, len(RETRY_DELAYS_MINUTES)) - 1] if attempts else 0
        self.write(
            {
                "sign_pending_job": pending,
                "sign_job_error": "\n".join(errors) or False,
                "sign_job_attempts": attempts,
                "sign_job_next_try": fields.Datetime.now() + timedelta(minutes=delay) if pending else False,
            }
        )
        if pending:
            self.env.ref("field_intervention_sign.ir_cron_fi_sign_retry").sudo()._trigger(self.sign_job_next_try)

    def _fi_generate_signed_pdf(self):
        """Render the report with the signature, append the evidence page, store and post it.
        Idempotent: a signature gets one signed PDF only."""
        self.ensure_one()
        signature = self.signature_id
        if not signature:
            self.sign_pdf_pending = False
            return
        attachment = signature.pdf_attachment_id
        if not attachment:
            # in the customer's language and time zone (the site's hours), whoever renders it:
            # the scheduled action runs in its own user's
            zone = self.partner_id.tz or self.company_id.partner_id.tz or self.env.context.get("tz") or self.env.user.tz
            customer = self.with_context(lang=self.partner_id.lang or self.env.lang, tz=zone)
            customer_env = customer.env
            evidence = signature.with_env(customer_env)._render_evidence_page()
            pdf = merge_pdf([customer._fi_render_report_pdf(), evidence])
            attachment = self.env["ir.attachment"].create(
                {
                    "name": customer_env._("%(name)s - signed.pdf", name=self._get_report_base_filename()),
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            signature._fi_attach_pdf(attachment, hashlib.sha256(pdf).hexdigest())
            self.message_post(
                body=self.env._("Signed report and signature evidence."),
                attachment_ids=attachment.ids,
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )
            self._fi_log_event(
                "pdf_ready", self.env._("Signed PDF stored (SHA-256 %(hash)s).", hash=signature.pdf_hash), signature
            )
        self.sign_pdf_pending = False
        self._on_signed_pdf_ready()

    def _fi_render_report_pdf(self):
        """Return the intervention report PDF as rendered now (with the signature block)."""
        self.ensure_one()
        # the report record, not its xmlid: the rendering looks its reference up a dozen times
        report = self.env.ref("field_intervention.action_report_field_intervention")
        renderer = self.env["ir.actions.report"].with_company(self.company_id)
        content, _report_type = renderer._render_qweb_pdf(report, self.ids)
        return content

    def _fi_send_decision_mails(self):
        """Queue the emails of the current decision (one savepoint: all or nothing)."""
        self.ensure_one()
        signature = self._fi_last_decision()
        templates = []
        if signature.status == "signed":
            templates.append(("mail_template_fi_signed_customer", self._fi_signed_mail_attachments(signature)))
            if self._fi_get_billing_email():
                templates.append(("mail_template_fi_signed_billing", signature.pdf_attachment_id))
            if signature.reserves:
                templates.append(("mail_template_fi_sign_reserves", signature.pdf_attachment_id))
        else:
            templates.append(("mail_template_fi_sign_refused", self.env["ir.attachment"]))
        for xmlid, attachment in templates:
            self._fi_send_template(self.env.ref(f"field_intervention_sign.{xmlid}"), attachment=attachment)
        self.sign_mail_pending = False
        self._fi_log_event(
            "mail_sent", self.env._("Emails queued: %(names)s.", names=", ".join(x for x, _a in templates)), signature
        )

    @api.model
    def _cron_fi_retry_sign_jobs(self):
        """Retry the signed PDFs and emails that failed, in batches."""
        domain = [("sign_pending_job", "=", True), ("sign_job_next_try", "<=", fields.Datetime.now())]
        records = self.search(domain, limit=CRON_BATCH_SIZE, order="sign_job_next_try, id")
        records._fi_process_pending_jobs()
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(records), remaining=remaining)
