from odoo.tests import tagged

from .common import L10nFrInvoiceCommon


@tagged("post_install", "-at_install")
class TestSiren(L10nFrInvoiceCommon):
    """One SIREN rule, checked with python-stdnum: from the SIRET, the company registry or the
    French VAT number; a contact gives its company's."""

    def make_partner(self, **vals):
        return self.env["res.partner"].create({"name": "Client", "is_company": True, **vals})

    def test_siren_from_siret_registry_or_vat(self):
        cases = [
            ({"siret": "55210055400013"}, "552100554"),
            ({"company_registry": "552 100 554 00013"}, "552100554"),
            ({"company_registry": "552100554"}, "552100554"),
            ({"vat": "FR96552100554"}, "552100554", "the SIREN inside a French VAT number"),
            ({"vat": "FR 96 552 100 554"}, "552100554"),
            ({"vat": "BE0477472701"}, False, "a foreign VAT number holds no SIREN"),
            ({}, False),
        ]
        for vals, expected, *why in cases:
            with self.subTest(vals=vals):
                self.assertEqual(self.make_partner(**vals)._l10n_fr_siren(), expected, why)

    def test_checksums(self):
        """A mistyped SIRET or SIREN is no SIREN (stdnum's Luhn check); the VAT number is read next."""
        self.assertFalse(self.make_partner(siret="55210055400012")._l10n_fr_siren())
        self.assertFalse(self.make_partner(company_registry="552100555")._l10n_fr_siren())
        self.assertEqual(self.make_partner(siret="55210055400012", vat="FR96552100554")._l10n_fr_siren(), "552100554")
        self.assertFalse(self.make_partner(siret="55210055400012")._l10n_fr_siret())
        self.assertEqual(self.make_partner(siret="55210055400013")._l10n_fr_siret(), "55210055400013")

    def test_contact_gives_its_company(self):
        contact = self.env["res.partner"].create({"name": "Compta", "parent_id": self.customer.id, "type": "invoice"})
        self.assertEqual(contact._l10n_fr_siren(), "552100554")
        self.assertTrue(contact._l10n_fr_is_french_business())

    def test_business_and_address(self):
        self.assertTrue(self.customer._l10n_fr_is_french_business())
        self.assertFalse(self.individual._l10n_fr_is_business())
        vat_only = self.env["res.partner"].create(
            {"name": "Garage", "country_id": self.env.ref("base.fr").id, "vat": "FR96552100554"}
        )
        self.assertTrue(vat_only._l10n_fr_is_french_business(), "a VAT number makes a business")
        self.assertEqual(vat_only._l10n_fr_einvoice_address(), ("0225", "552100554"))
        routed = self.env["res.partner"].create(
            {
                "name": "Achats",
                "parent_id": self.customer.id,
                "type": "invoice",
                "peppol_eas": "0225",
                "peppol_endpoint": "552100554_ACHATS",
            }
        )
        self.assertEqual(routed._l10n_fr_einvoice_address(), ("0225", "552100554_ACHATS"))
        self.assertEqual(routed.peppol_eas, "0225", "core does not reset a directory address")

    def test_directory_address_format(self):
        partner = self.make_partner(country_id=self.env.ref("base.fr").id)
        self.assertTrue(partner._build_error_peppol_endpoint("0225", "552100554 ACHATS"))
        self.assertFalse(partner._build_error_peppol_endpoint("0225", "552100554_ACHATS"))
