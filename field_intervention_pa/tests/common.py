from unittest.mock import patch

from odoo.addons.field_intervention_invoice.tests.common import FieldInterventionInvoiceCommon
from odoo.addons.l10n_fr_pa_flow.tests.common import BASE_URL, TOKEN_URL, FakePa
from odoo.addons.l10n_fr_pa_flow.tools import pa_client


class FieldInterventionPaCommon(FieldInterventionInvoiceCommon):
    """The invoice suite's company connected to the (fake) approved platform: ``self.pa``
    answers the platform's API; scheduled actions are not woken up (the tests run them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "l10n_fr_pa_enabled": True,
                "l10n_fr_pa_base_url": BASE_URL,
                "l10n_fr_pa_token_url": TOKEN_URL,
                "l10n_fr_pa_client_id": "client",
                "l10n_fr_pa_client_secret": "secret",
                "l10n_fr_pa_flow_syntax": "CII",
                "l10n_fr_pa_poll_cursor": False,
                "fi_billing_user_id": cls.billing.id,
            }
        )
        # services owe their VAT on receipt, as the demo's (the French chart's "20% S"): their
        # collections are declared (212)
        on_payment = cls.env["account.chart.template"].with_company(cls.company).ref("tva_normale_encaissement")
        (cls.labour_product | cls.travel_product).taxes_id = on_payment
        # the test company is the one connected here (the database's others, the demo's, are not)
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).l10n_fr_pa_enabled = False

    def setUp(self):
        super().setUp()
        pa_client._TOKENS.clear()
        self.pa = FakePa()
        pa = self.pa
        self.startPatcher(
            patch.object(pa_client.PaClient, "_http", lambda client, method, url, **kw: pa(client, method, url, **kw))
        )
        self.startPatcher(patch.object(type(self.env["ir.cron"]), "_trigger", lambda self, at=None: None))
