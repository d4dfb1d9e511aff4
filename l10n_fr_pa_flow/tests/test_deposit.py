import base64
import hashlib
import io
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from .common import PaCommon, blank_pdf


@tagged("post_install", "-at_install")
class TestDeposit(PaCommon):
    def test_posting_enqueues_without_network(self):
        move = self.post_invoice()
        flow = self.flows(move)
        self.assertEqual(flow.state, "queued")
        self.assertEqual(move.l10n_fr_pa_deposit_state, "queued")
        self.assertFalse(self.pa.requests, "posting makes no network call")
        # an individual, a supplier bill: not through the platform
        self.assertFalse(self.post_invoice(partner=self.individual).l10n_fr_pa_flow_ids)

    def test_deposit_happy_path(self):
        move = self.post_invoice()
        self.deposit()
        flow = self.flows(move)
        self.assertRecordValues(
            flow,
            [{"state": "sent", "ack_status": "Ok", "pa_flow_id": "F0001", "attempts": 1, "flow_syntax": "CII"}],
        )
        (info,) = self.pa.deposits()
        content = base64.b64decode(flow.file)
        self.assertEqual(
            info,
            {
                "trackingId": flow.tracking_id,
                "name": flow.file_name,
                "processingRule": "B2B",
                "flowSyntax": "CII",
                "flowProfile": "CIUS",
                "sha256": hashlib.sha256(content).hexdigest(),
            },
        )
        self.assertIn(b"CrossIndustryInvoice", content)
        self.assertEqual(self.pa.files["F0001"], content)
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")
        self.assertEqual(move.l10n_fr_pa_deposit_date, fields.Datetime.to_datetime("2026-12-01 09:00:00"))
        self.assertEqual(flow.attempt_ids.outcome, "sent")
        # one token for the session, then cached
        self.post_invoice()
        self.deposit()
        self.assertEqual(self.pa.tokens_issued, 1)

    def test_expired_token_refreshed_once(self):
        move = self.post_invoice()
        self.pa.tokens_issued = 0
        self.deposit()
        self.pa.expire_tokens = True
        self.post_invoice()
        self.deposit()
        self.assertEqual(self.pa.tokens_issued, 2)
        self.assertEqual(self.flows(move).state, "sent")

    def test_retry_on_503_same_tracking_id(self):
        with freeze_time("2026-12-10 09:00:00"):
            move = self.post_invoice()
        self.pa.deposit_answers = ["503", "timeout"]
        with freeze_time("2026-12-10 10:00:00"):
            self.deposit()
            flow = self.flows(move)
            self.assertEqual(flow.state, "queued")
            self.assertEqual(flow.attempts, 1)
            self.assertEqual(flow.next_try, fields.Datetime.now() + timedelta(seconds=60))
            self.assertIn("503", flow.last_error)
            self.deposit()  # not yet time
            self.assertEqual(len(self.pa.deposits()), 1)
        with freeze_time("2026-12-10 10:01:01"):
            self.deposit()
            self.assertEqual(flow.attempts, 2)
            self.assertEqual(flow.next_try, fields.Datetime.now() + timedelta(seconds=120))
        with freeze_time("2026-12-10 10:04:00"):
            self.deposit()
        self.assertEqual(flow.state, "sent")
        self.assertEqual([info["trackingId"] for info in self.pa.deposits()], [flow.tracking_id] * 3)
        self.assertEqual(flow.attempt_ids.sorted("id").mapped("outcome"), ["retry", "retry", "sent"])
        self.assertEqual(len(self.pa.flows), 1, "deposited once")

    def test_already_existing_flow_is_deposited(self):
        """The first attempt reached the platform but its answer was lost: the retry gets
        AlreadyExistingFlow, and the flow is the one the platform has."""
        move = self.post_invoice()
        self.deposit()
        flow = self.flows(move)
        # as if the transaction that recorded the first answer had been lost
        flow.sudo().write({"state": "queued", "pa_flow_id": False, "next_try": fields.Datetime.now()})
        self.deposit()
        self.assertRecordValues(flow, [{"state": "sent", "pa_flow_id": "F0001", "ack_status": "Ok"}])
        self.assertEqual(flow.attempt_ids.sorted("id").mapped("outcome"), ["sent", "duplicate"])
        accepted = [f for f in self.pa.flows.values() if f["acknowledgement"]["status"] == "Ok"]
        self.assertEqual(len(accepted), 1, "one invoice on the platform, beside the refused duplicate")
        self.assertEqual(len(self.pa.flows), 2)
        self.assertFalse(move.l10n_fr_pa_attention)

    def test_error_ack_reason_activity_redeposit(self):
        move = self.post_invoice()
        self.pa.deposit_answers = [("Error", "InvalidSchema")]
        self.deposit()
        flow = self.flows(move)
        self.assertRecordValues(flow, [{"state": "error", "reason_code": "InvalidSchema", "ack_status": "Error"}])
        self.assertEqual(move.l10n_fr_pa_deposit_state, "error")
        self.assertTrue(move.l10n_fr_pa_attention)
        self.assertIn("not valid (structure)", move.l10n_fr_pa_deposit_reason)
        self.assertIn("BR-FR-10", move.l10n_fr_pa_deposit_reason)
        self.assertTrue(move.activity_ids.user_id.has_group("account.group_account_invoice"))
        self.assertIn("rejected", move.message_ids[0].body)
        # after correction, billing deposits again: a new trackingId
        move.with_user(self.billing).action_l10n_fr_pa_deposit()
        new = self.flows(move) - flow
        self.assertEqual(flow.state, "cancelled")
        self.assertEqual(new.state, "queued")
        self.assertNotEqual(new.tracking_id, flow.tracking_id)
        self.deposit()
        self.assertEqual(new.state, "sent")
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")
        self.assertFalse(move.l10n_fr_pa_attention)
        # nothing to deposit again on a deposited invoice
        move.with_user(self.billing).action_l10n_fr_pa_deposit()
        self.assertEqual(len(self.flows(move)), 2)

    def test_rejected_request(self):
        move = self.post_invoice()
        self.pa.deposit_answers = ["422"]
        self.deposit()
        flow = self.flows(move)
        self.assertEqual(flow.state, "error")
        self.assertEqual(flow.reason_code, "UNPROCESSABLE_ENTITY")
        self.assertIn("Entity consistency error", flow.reason_message)

    def test_factur_x_rendered(self):
        """Without a PDF yet, the invoice PDF is rendered and the CII XML embedded in it."""
        self.company.l10n_fr_pa_flow_syntax = "Factur-X"
        move = self.post_invoice()
        report = type(self.env["ir.actions.report"])
        with patch.object(report, "_render_qweb_pdf", lambda self, *args, **kwargs: (blank_pdf(), "pdf")):
            self.deposit()
        flow = self.flows(move)
        self.assertEqual(flow.state, "sent")
        content = base64.b64decode(flow.file)
        self.assertTrue(content.startswith(b"%PDF"))
        reader = OdooPdfFileReader(io.BytesIO(content), strict=False)
        (name, xml), *__ = list(reader.getAttachments())
        self.assertEqual(name, "factur-x.xml")
        self.assertIn(b"CrossIndustryInvoice", xml)
        self.assertEqual(self.pa.deposits()[0]["flowSyntax"], "Factur-X")
        self.assertEqual(flow.file_name, move.name.replace("/", "_") + ".pdf")

    def test_factur_x_already_sent(self):
        """An invoice already sent has its Factur-X PDF: that file is deposited."""
        self.company.l10n_fr_pa_flow_syntax = "Factur-X"
        move = self.post_invoice()
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(OdooPdfFileReader(io.BytesIO(blank_pdf()), strict=False))
        # a valid one: the file that leaves is checked (test_einvoice_checks)
        xml = self.env["account.edi.xml.cii"]._export_invoice(move)[0]
        writer.addAttachment("factur-x.xml", xml, subtype="text/xml")
        buffer = io.BytesIO()
        writer.write(buffer)
        sent = buffer.getvalue()
        move.sudo().invoice_pdf_report_file = base64.b64encode(sent)
        self.deposit()
        flow = self.flows(move)
        self.assertEqual(base64.b64decode(flow.file), sent)

    def test_factur_x_sent_pdf_without_xml(self):
        """The PDF printed for a customer without Factur-X carries no XML: the platform would
        refuse it, so a Factur-X PDF is made for the deposit."""
        self.company.l10n_fr_pa_flow_syntax = "Factur-X"
        move = self.post_invoice()
        move.sudo().invoice_pdf_report_file = base64.b64encode(blank_pdf())
        report = type(self.env["ir.actions.report"])
        with patch.object(report, "_render_qweb_pdf", lambda self, *args, **kwargs: (blank_pdf(), "pdf")):
            self.deposit()
        flow = self.flows(move)
        reader = OdooPdfFileReader(io.BytesIO(base64.b64decode(flow.file)), strict=False)
        self.assertEqual([name for name, __ in reader.getAttachments()], ["factur-x.xml"])

    def test_activity_for_billing_not_the_technician(self):
        """An invoice created by a user who does no billing (a technician's signature): the
        platform's problems go to a billing user."""
        move = (
            self.env["account.move"]
            .with_user(self.employee)
            .sudo()
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": "2026-12-01",
                    "invoice_user_id": self.employee.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": self.service.id, "price_unit": 100.0, "tax_ids": self.tax.ids})
                    ],
                }
            )
        )
        move.action_post()
        self.pa.deposit_answers = [("Error", "InvalidSchema")]
        self.deposit()
        user = move.activity_ids.user_id
        self.assertEqual(len(user), 1)
        self.assertNotEqual(user, self.employee)
        self.assertTrue(user.has_group("account.group_account_invoice"))
