import hashlib
import os
from unittest.mock import patch

from lxml import etree

import odoo
from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..tools.einvoice_check import NS

# The French company and business customer the suite's test bases share (valid SIRET and VAT
# numbers: the SIREN rule checks them)
FRENCH_COMPANY = {
    "name": "Chauffage Services SAS",
    "street": "1 rue du Four",
    "zip": "75006",
    "city": "Paris",
    "vat": "FR40303265045",
    "siret": "30326504500011",
    "email": "facturation@chauffage.example.com",
    "phone": "+33 1 40 00 00 00",
}
FRENCH_CUSTOMER = {
    "name": "Syndic Lumière SARL",
    "is_company": True,
    "street": "3 rue de la Paix",
    "zip": "75002",
    "city": "Paris",
    "siret": "55210055400013",
    "vat": "FR96552100554",
}


def dump_einvoice(content, subfolder=""):
    """Test runs only: with FI_EINVOICE_DUMP=/dir set, every e-invoice file a test builds (CII XML,
    Factur-X PDF, CDAR) is written to /dir (what was deposited: to /dir/deposited), named after
    the test, for the official rules (setup/official_rules.py) to judge. Without it, nothing."""
    folder = os.environ.get("FI_EINVOICE_DUMP")
    if not folder or not content:
        return
    data = content if isinstance(content, bytes) else content.encode()
    test = odoo.modules.module.current_test
    name = ".".join(test.id().split(".")[2:3] + test.id().split(".")[-2:]) if test and test is not True else "run"
    extension = "pdf" if data.startswith(b"%PDF") else "xml"
    folder = os.path.join(folder, subfolder)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{name}-{hashlib.sha256(data).hexdigest()[:10]}.{extension}"), "wb") as file:
        file.write(data)


def dump_cii_exports(case):
    """With FI_EINVOICE_DUMP set, ``case`` dumps every CII account_edi_ubl_cii exports during its test."""
    if not os.environ.get("FI_EINVOICE_DUMP"):
        return
    model = type(case.env["account.edi.xml.cii"])
    export_invoice = model._export_invoice

    def export_and_dump(self, invoice):
        xml, errors = export_invoice(self, invoice)
        dump_einvoice(xml)
        return xml, errors

    case.startPatcher(patch.object(model, "_export_invoice", export_and_dump))


class L10nFrInvoiceCommon(AccountTestInvoicingCommon):
    """A French company of its own with the French chart of accounts (Odoo's invoicing test
    base), French and foreign customers, a service and a good, and the chart's two VAT of 20 %:
    due on the invoice ("20%") and due on payment ("20% S")."""

    country_code = "FR"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(FRENCH_COMPANY)
        # the account customers pay to (BT-84)
        cls.env["res.partner.bank"].create(
            {"partner_id": cls.company.partner_id.id, "acc_number": "FR76 3000 6000 0112 3456 7890 189"}
        )
        france = cls.env.ref("base.fr")
        cls.customer = cls.env["res.partner"].create({**FRENCH_CUSTOMER, "country_id": france.id})
        cls.individual = cls.env["res.partner"].create(
            {
                "name": "Jean Particulier",
                "country_id": france.id,
                "street": "2 rue Haute",
                "zip": "69001",
                "city": "Lyon",
            }
        )
        chart = cls.env["account.chart.template"].with_company(cls.company)
        cls.tax_on_invoice = chart.ref("tva_normale")
        cls.tax_on_payment = chart.ref("tva_normale_encaissement")
        cls.service = cls.env["product.product"].create(
            {"name": "Maintenance chaudière", "type": "service", "list_price": 100.0}
        )
        cls.goods = cls.env["product.product"].create({"name": "Vanne", "type": "consu", "list_price": 50.0})

    def setUp(self):
        super().setUp()
        dump_cii_exports(self)

    @classmethod
    def make_invoice(cls, partner=None, lines=None, move_type="out_invoice", post=True):
        """An invoice of the company: by default one service at 100.00 with the VAT due on
        the invoice."""
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or cls.customer).id,
                "invoice_date": "2026-12-01",
                "invoice_line_ids": [
                    Command.create(vals)
                    for vals in lines
                    or [
                        {
                            "product_id": cls.service.id,
                            "quantity": 1,
                            "price_unit": 100.0,
                            "tax_ids": [Command.set(cls.tax_on_invoice.ids)],
                        }
                    ]
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def cii(self, move):
        xml, errors = self.env["account.edi.xml.cii"]._export_invoice(move)
        self.assertFalse(errors)
        return etree.fromstring(xml)

    @staticmethod
    def text(tree, path):
        return [
            node.strip() if isinstance(node, str) else (node.text or "").strip()
            for node in tree.xpath(path, namespaces=NS)
        ]
