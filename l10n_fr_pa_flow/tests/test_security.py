from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestSecurity(PaCommon):
    def setUp(self):
        super().setUp()
        self.move = self.post_invoice()
        self.deposit()
        self.pa.add_lifecycle(self.move, "200", self.at("2026-12-01 09:05"))
        self.poll()
        self.flow = self.flows(self.move)
        self.status = self.move.l10n_fr_pa_status_ids

    def test_billing_reads_but_cannot_write_evidence(self):
        flow = self.flow.with_user(self.billing)
        status = self.status.with_user(self.billing)
        self.assertEqual(flow.state, "sent")
        self.assertEqual(status.code, "200")
        with self.assertRaises(AccessError):
            flow.write({"state": "queued"})
        with self.assertRaises(AccessError):
            status.write({"code": "212"})
        with self.assertRaises(AccessError):
            self.env["l10n_fr_pa.flow"].with_user(self.billing).create(
                {"company_id": self.company.id, "move_id": self.move.id, "flow_type": "CustomerInvoice"}
            )
        with self.assertRaises(AccessError):
            self.env["l10n_fr_pa.status"].with_user(self.billing).create(
                {
                    "company_id": self.company.id,
                    "move_id": self.move.id,
                    "code": "212",
                    "source": "platform",
                    "date": "2026-12-01",
                    "pa_flow_id": "forged",
                }
            )
        with self.assertRaises(AccessError):
            status.unlink()
        with self.assertRaises(AccessError):
            flow.attempt_ids.write({"outcome": "sent"})

    def test_billing_cannot_set_invoice_platform_fields(self):
        move = self.move.with_user(self.billing)
        for values in (
            {"l10n_fr_pa_status": "212"},
            {"l10n_fr_pa_collected_sent": 0.0},
            {"l10n_fr_pa_deposit_state": "queued"},
        ):
            with self.assertRaises(AccessError):
                move.write(values)
        self.assertEqual(self.move.l10n_fr_pa_status, "200")
        # the model's own guard, even where core's rights would let it through
        with self.assertRaises(AccessError):
            self.flow.with_user(self.billing).sudo(False).write({"reason_code": "x"})

    def test_non_accountant_cannot_call_actions(self):
        with self.assertRaises(AccessError):
            self.move.with_user(self.employee).action_l10n_fr_pa_deposit()
        settings = self.env["res.config.settings"].create({})
        with self.assertRaises(AccessError):
            settings.with_user(self.billing).action_l10n_fr_pa_test_connection()

    def test_secrets_hidden_from_billing(self):
        company = self.company.with_user(self.billing)
        with self.assertRaises(AccessError):
            company.read(["l10n_fr_pa_client_secret"])
        with self.assertRaises(AccessError):
            company.read(["l10n_fr_pa_webhook_secret"])

    def test_secret_addresses_set_by_administrators_only(self):
        """An "Access Rights" administrator edits companies, but cannot send the client secret
        elsewhere by changing the platform's addresses."""
        rights_admin = mail_new_test_user(
            self.env, login="pa_rights_admin", groups="base.group_user,base.group_erp_manager"
        )
        company = self.company.with_user(rights_admin)
        company.write({"sequence": 7})  # the company itself is theirs to edit
        for field in ("l10n_fr_pa_token_url", "l10n_fr_pa_base_url"):
            with self.assertRaises(AccessError):
                company.write({field: "https://attacker.example.com/token"})
        # posting an invoice still knows whether the company deposits
        self.assertTrue(self.company.with_user(self.billing)._l10n_fr_pa_ready())

    def test_test_connection(self):
        settings = self.env["res.config.settings"].create({})
        result = settings.action_l10n_fr_pa_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn(("GET", "/v1/healthcheck", None), self.pa.requests)
        self.company.l10n_fr_pa_base_url = False
        result = settings.action_l10n_fr_pa_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("not configured", result["params"]["message"])
