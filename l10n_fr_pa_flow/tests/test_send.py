from unittest.mock import patch

from odoo.tests import tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestSendPlatform(PaCommon):
    """Send on the invoice of a company connected to a platform: the platform is a sending
    method (with the invoice's deposit status) next to the email with the Factur-X PDF; Peppol
    only once the company is registered on it and the customer's endpoint is verified."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"email": "compta@syndic-lumiere.example.com"})
        # the Factur-X of core names the account the customer pays to
        if not cls.company.partner_id.bank_ids:
            cls.env["res.partner.bank"].create(
                {"partner_id": cls.company.partner_id.id, "acc_number": "FR7630006000011234567890189"}
            )
        cls.has_peppol = "peppol_verification_state" in cls.env["res.partner"]._fields

    def setUp(self):
        super().setUp()
        if self.has_peppol:
            # the customer answers on the Peppol network (no network here: the lookup is mocked)
            partner_model = type(self.env["res.partner"])
            self.startPatcher(patch.object(partner_model, "_get_participant_info", lambda self, ident: None))
            self.startPatcher(
                patch.object(partner_model, "_get_peppol_verification_state", lambda self, *args: "valid")
            )
            self.customer.write({"peppol_eas": "0009", "peppol_endpoint": "55210055400013"})

    def wizard(self, move, user=None, lang="en_US"):
        return (
            self.env["account.move.send.wizard"]
            .with_user(user or self.billing)
            .with_context(active_model="account.move", active_ids=move.ids, lang=lang)
            .create({})
        )

    @staticmethod
    def checked(wizard):
        return {key for key, values in wizard.sending_method_checkboxes.items() if values["checked"]}

    def test_platform_and_email_proposed_not_peppol(self):
        move = self.post_invoice()
        wizard = self.wizard(move)
        self.assertIn("l10n_fr_pa", wizard.sending_method_checkboxes)
        self.assertEqual(self.checked(wizard), {"l10n_fr_pa", "email"})
        self.assertEqual(wizard.sending_method_checkboxes["l10n_fr_pa"]["label"], "by Approved Platform (To Deposit)")
        self.assertEqual(wizard.invoice_edi_format, "facturx")
        self.assertNotIn("peppol", wizard.sending_method_checkboxes, "the company is not registered on Peppol")
        self.assertFalse([key for key in wizard.alerts or {} if key.startswith("account_peppol")])
        if self.env["res.lang"]._lang_get("fr_FR").active:
            label = self.wizard(move, lang="fr_FR").sending_method_checkboxes["l10n_fr_pa"]["label"]
            self.assertEqual(label, "par plateforme agréée (À déposer)")
        # an individual: no platform, the email
        wizard = self.wizard(self.post_invoice(partner=self.individual))
        self.assertNotIn("l10n_fr_pa", wizard.sending_method_checkboxes)
        self.assertEqual(self.checked(wizard), {"email"})

    def test_send_queues_one_deposit(self):
        """An invoice posted before the connection was set up is queued by Send, once."""
        self.company.l10n_fr_pa_enabled = False
        move = self.post_invoice()
        self.assertFalse(move.l10n_fr_pa_flow_ids)
        self.company.l10n_fr_pa_enabled = True
        wizard = self.wizard(move)
        self.assertEqual(
            wizard.sending_method_checkboxes["l10n_fr_pa"]["label"], "by Approved Platform (not deposited yet)"
        )
        action = wizard.action_send_and_print()
        self.assertEqual(action, {"type": "ir.actions.act_window_close"}, "no Peppol registration screen")
        self.assertEqual(len(self.flows(move)), 1)
        self.assertEqual(move.l10n_fr_pa_deposit_state, "queued")
        self.assertTrue(move.is_move_sent)
        self.assertTrue(
            move.message_ids.filtered(lambda message: self.customer in message.partner_ids),
            "the invoice is mailed too",
        )
        self.assertFalse(self.pa.requests, "Send makes no network call: the cron deposits")
        # a second Send: the queued deposit is left as it is
        self.wizard(move).action_send_and_print()
        self.assertEqual(len(self.flows(move)), 1)
        self.deposit()
        self.assertEqual(move.l10n_fr_pa_deposit_state, "sent")
        self.assertIn("(Deposited)", self.wizard(move).sending_method_checkboxes["l10n_fr_pa"]["label"])
        self.wizard(move).action_send_and_print()
        self.assertEqual(len(self.flows(move)), 1)
        self.assertEqual(len(self.pa.deposits()), 1)

    def test_batch_send_no_peppol_registration(self):
        """Sending several invoices: deposited and mailed, no Peppol registration screen, even
        for a customer account_peppol marked as sent by Peppol."""
        if self.has_peppol:
            self.customer.with_company(self.company).invoice_sending_method = "peppol"
        self.company.l10n_fr_pa_enabled = False
        moves = self.post_invoice() + self.post_invoice()
        self.company.l10n_fr_pa_enabled = True
        wizard = (
            self.env["account.move.send.batch.wizard"]
            .with_user(self.billing)
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({})
        )
        self.assertEqual(wizard.summary_data, {"l10n_fr_pa": {"count": 2, "label": "by Approved Platform"}})
        self.assertFalse([key for key in wizard.alerts or {} if key.startswith("account_peppol")])
        action = wizard.action_send_and_print()
        self.assertEqual(action["tag"], "display_notification", "no Peppol registration screen")
        self.env["account.move"]._cron_account_move_send()
        for move in moves:
            self.assertEqual(len(self.flows(move)), 1)
            self.assertTrue(move.message_ids.filtered(lambda message: self.customer in message.partner_ids))

    def test_peppol_when_company_registered(self):
        if not self.has_peppol:
            self.skipTest("account_peppol is not installed")
        self.env["ir.config_parameter"].sudo().set_param("account_peppol.edi.mode", "prod")
        self.company.account_peppol_proxy_state = "receiver"
        wizard = self.wizard(self.post_invoice())
        self.assertIn("peppol", wizard.sending_method_checkboxes)
        self.assertEqual(self.checked(wizard), {"l10n_fr_pa", "email"})
        # in account_peppol's demo mode, never
        self.env["ir.config_parameter"].sudo().set_param("account_peppol.edi.mode", "demo")
        self.assertNotIn("peppol", self.wizard(self.post_invoice()).sending_method_checkboxes)

    def test_company_without_platform_keeps_core(self):
        self.company.l10n_fr_pa_enabled = False
        wizard = self.wizard(self.post_invoice())
        self.assertNotIn("l10n_fr_pa", wizard.sending_method_checkboxes)
        if self.has_peppol:
            # account_peppol's own behaviour: the customer verified on Peppol is sent by Peppol
            self.assertIn("peppol", wizard.sending_method_checkboxes)
            self.assertEqual(self.checked(wizard), {"peppol"})
        else:
            self.assertEqual(self.checked(wizard), {"email"})
