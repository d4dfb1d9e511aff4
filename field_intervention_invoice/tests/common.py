import base64
import io
from datetime import datetime, timedelta
from unittest.mock import patch

from PIL import Image, ImageDraw

from odoo import Command
from odoo.tests.common import TransactionCase
from odoo.tools.pdf import PdfFileWriter

from odoo.addons.mail.tests.common import mail_new_test_user


def signature_png():
    """A small non-blank PNG signature, base64 encoded."""
    image = Image.new("RGBA", (120, 40), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((5, 30, 60, 5, 115, 30), fill=(0, 0, 0, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def blank_pdf():
    """A one-page PDF: reports render as HTML in tests unless forced."""
    writer = PdfFileWriter()
    writer.addBlankPage(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class FieldInterventionInvoiceCommon(TransactionCase):
    """A French company with a field-service project, two technicians, a billing user and a
    customer with a pricelist; helpers to build, finish and sign interventions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="Europe/Paris"))
        # the signed report is a real PDF (the report itself renders as HTML in tests)
        cls.startClassPatcher(
            patch.object(type(cls.env["field.intervention"]), "_fi_render_report_pdf", lambda self: blank_pdf())
        )
        cls.company = cls.env.company
        france = cls.env.ref("base.fr")
        cls.company.write(
            {
                "name": "Chauffage Services SAS",
                "country_id": france.id,
                "account_fiscal_country_id": france.id,
                "street": "1 rue du Four",
                "zip": "75006",
                "city": "Paris",
                "vat": "FR40303265045",
                "company_registry": "30326504500012",
                "siret": "30326504500012",
                "email": "facturation@chauffage.example.com",
                "phone": "+33 1 40 00 00 00",
            }
        )
        # its own address in the French e-invoicing directory (whatever the database had before)
        cls.company.partner_id.write({"peppol_eas": "0225", "peppol_endpoint": "303265045"})
        # invoices in euros (through the customer's pricelist) whatever the company currency
        cls.currency = cls.env.ref("base.EUR")
        cls.currency.active = True
        cls.currency.rate_ids.unlink()
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.currency.id,
                "name": "2020-01-01",
                "rate": 1.0,
                "company_id": cls.company.id,
            }
        )
        technician = "field_intervention.group_field_intervention_technician"
        cls.tech_a = mail_new_test_user(
            cls.env,
            login="fii_tech_a",
            name="Alice Tech",
            groups=technician,
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.tech_b = mail_new_test_user(
            cls.env,
            login="fii_tech_b",
            name="Bruno Tech",
            groups=technician,
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.billing = mail_new_test_user(
            cls.env,
            login="fii_billing",
            name="Bea Billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.manager = mail_new_test_user(
            cls.env,
            login="fii_manager",
            name="Marc Manager",
            groups="field_intervention.group_field_intervention_manager",
            company_id=cls.company.id,
            tz="Europe/Paris",
        )
        cls.env["hr.employee"].create(
            [{"name": user.name, "user_id": user.id, "company_id": cls.company.id} for user in (cls.tech_a, cls.tech_b)]
        )
        cls.income_account = cls.env["account.account"].create(
            {
                "name": "Prestations de services",
                "code": "706100",
                "account_type": "income",
            }
        )
        cls.tax_group = cls.env["account.tax.group"].create(
            {
                "name": "TVA",
                "country_id": france.id,
                "company_id": cls.company.id,
            }
        )
        cls.tax_20 = cls.env["account.tax"].create(
            {
                "name": "TVA 20% (test)",
                "amount": 20.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "country_id": france.id,
                "tax_group_id": cls.tax_group.id,
            }
        )
        cls.tax_10 = cls.env["account.tax"].create(
            {
                "name": "TVA 10% (test)",
                "amount": 10.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "country_id": france.id,
                "tax_group_id": cls.tax_group.id,
            }
        )
        uom_hour = cls.env.ref("uom.product_uom_hour")
        product_vals = {
            "property_account_income_id": cls.income_account.id,
            "taxes_id": [Command.set(cls.tax_20.ids)],
            "company_id": cls.company.id,
        }
        cls.labour_product = cls.env["product.product"].create(
            {
                **product_vals,
                "name": "Main d'oeuvre technicien",
                "type": "service",
                "uom_id": uom_hour.id,
                "uom_po_id": uom_hour.id,
                "list_price": 60.0,
                "invoice_policy": "delivery",
                "service_type": "timesheet",
            }
        )
        cls.travel_product = cls.env["product.product"].create(
            {
                **product_vals,
                "name": "Déplacement",
                "type": "service",
                "uom_id": uom_hour.id,
                "uom_po_id": uom_hour.id,
                "list_price": 40.0,
                "invoice_policy": "delivery",
            }
        )
        cls.part_a = cls.env["product.product"].create(
            {
                **product_vals,
                "name": "Filtre F-200",
                "type": "consu",
                "list_price": 12.5,
                "invoice_policy": "delivery",
            }
        )
        cls.part_b = cls.env["product.product"].create(
            {
                **product_vals,
                "name": "Joint J-10",
                "type": "consu",
                "list_price": 30.0,
                "invoice_policy": "delivery",
            }
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Tarif contrat",
                "currency_id": cls.currency.id,
                "company_id": cls.company.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.labour_product.id,
                            "compute_price": "fixed",
                            "fixed_price": 55.0,
                        }
                    )
                ],
            }
        )
        cls.customer = cls._create_customer("Boulangerie Martin SARL", "55210055400013")
        cls.site = cls.env["res.partner"].create(
            {
                "name": "Fournil Lyon",
                "parent_id": cls.customer.id,
                "type": "delivery",
                "street": "3 avenue Jean Jaurès",
                "zip": "69007",
                "city": "Lyon",
                "country_id": france.id,
            }
        )
        cls.project = cls.env["project.project"].create(
            {
                "name": "Maintenance chaufferies",
                "is_field_service": True,
                "allow_timesheets": True,
                "allow_billable": True,
                "company_id": cls.company.id,
                "labour_product_id": cls.labour_product.id,
                "travel_product_id": cls.travel_product.id,
                "intervention_invoice_policy": "per_intervention",
            }
        )
        cls.task = cls._create_task(cls.customer, cls.site)
        cls.date = datetime(2026, 3, 10, 8, 0)

    @classmethod
    def _create_customer(cls, name, siret, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "company_registry": siret,
                "vat": False,
                "street": "12 rue de la Paix",
                "zip": "75002",
                "city": "Paris",
                "country_id": cls.env.ref("base.fr").id,
                "property_product_pricelist": cls.pricelist.id,
                **vals,
            }
        )

    @classmethod
    def _create_task(cls, customer, site=None, **vals):
        return cls.env["project.task"].create(
            {
                "name": f"Entretien {customer.name}",
                "project_id": cls.project.id,
                "partner_id": customer.id,
                "intervention_site_id": (site or customer).id,
                "user_ids": [Command.set((cls.tech_a | cls.tech_b).ids)],
                **vals,
            }
        )

    @classmethod
    def _create_done_intervention(cls, task=None, start=None, hours=1.25, parts=None, travel=0.5, **vals):
        """A done intervention of two technicians (one timesheet each: 2 x hours), with parts
        [(product, quantity)] and travel hours."""
        start = start or cls.date
        half = timedelta(hours=hours / 2.0)
        if parts is None:
            parts = [(cls.part_a, 2.0), (cls.part_b, 1.0)]
        intervention = cls.env["field.intervention"].create(
            {
                "task_id": (task or cls.task).id,
                "technician_ids": [Command.set((cls.tech_a | cls.tech_b).ids)],
                "planned_date": start,
                "travel_duration": travel,
                "work_description": "Entretien annuel, remplacement du filtre.",
                "time_ids": [
                    Command.create({"date_start": start, "date_end": start + half}),
                    Command.create(
                        {
                            "date_start": start + half + timedelta(minutes=30),
                            "date_end": start + 2 * half + timedelta(minutes=30),
                        }
                    ),
                ],
                "part_ids": [Command.create({"product_id": product.id, "quantity": qty}) for product, qty in parts],
                **vals,
            }
        )
        intervention.action_done()
        return intervention

    @classmethod
    def _sign(cls, interventions, reserves=False, refuse=False):
        for intervention in interventions:
            intervention.with_user(cls.tech_a)._fi_submit_signature(
                {
                    "decision": "refuse" if refuse else "sign",
                    "signer_name": "Jean Martin",
                    "signer_email": "jean.martin@example.com",
                    "signer_role": "device",
                    "signature": signature_png(),
                    "reserves": reserves or "",
                    "refusal_reason": "Travail non conforme" if refuse else "",
                },
                {"user": cls.tech_a},
            )
        return interventions

    def _invoice_of(self, intervention):
        return intervention.sudo().invoice_id
