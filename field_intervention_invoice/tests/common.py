from datetime import datetime, timedelta

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.field_intervention.tests.common import MANAGER_GROUP, TECHNICIAN_GROUP
from odoo.addons.field_intervention_sign.tests.common import FiSignCase, make_signature_png, run_sign_jobs
from odoo.addons.l10n_fr_invoice.tests.common import FRENCH_COMPANY, dump_cii_exports


class FieldInterventionInvoiceCommon(FiSignCase, AccountTestInvoicingCommon):
    """On top of field_intervention_sign's fixture and of Odoo's invoicing test base (a French
    company of its own with the French chart of accounts: accounts, taxes, journals): a
    field-service project billed per intervention, two technicians, a billing user and a
    customer with a contract pricelist; helpers to build, finish and sign interventions."""

    country_code = "FR"

    @classmethod
    def setup_independent_user(cls):
        # the fixture is built as the superuser, as the rest of the chain; each test acts as the
        # user who does the job (technician, billing)
        return None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({**FRENCH_COMPANY, "company_registry": FRENCH_COMPANY["siret"]})
        # its own address in the French e-invoicing directory (whatever the database had before)
        cls.company.partner_id.write({"peppol_eas": "0225", "peppol_endpoint": "303265045"})
        cls.tech_a = cls._fi_create_user("fii_tech_a", "Alice Tech", TECHNICIAN_GROUP)
        cls.tech_b = cls._fi_create_user("fii_tech_b", "Bruno Tech", TECHNICIAN_GROUP)
        cls.billing = cls._fi_create_user("fii_billing", "Bea Billing", "base.group_user,account.group_account_invoice")
        cls.manager = cls._fi_create_user("fii_manager", "Marc Manager", MANAGER_GROUP)
        cls._fi_create_employees(cls.tech_a | cls.tech_b)
        # accounts and taxes of the French chart loaded by the invoicing test base
        cls.income_account = cls.company_data["default_account_revenue"]
        cls.tax_20 = cls.company_data["default_tax_sale"]
        cls.tax_10 = cls.env["account.chart.template"].with_company(cls.company).ref("tva_intermediaire")
        uom_hour = cls.env.ref("uom.product_uom_hour")
        product_vals = {
            "property_account_income_id": cls.income_account.id,
            "taxes_id": [Command.set(cls.tax_20.ids)],
            "company_id": cls.company.id,
            "invoice_policy": "delivery",
        }
        service_vals = {**product_vals, "type": "service", "uom_id": uom_hour.id, "uom_po_id": uom_hour.id}
        cls.labour_product, cls.travel_product, cls.part_a, cls.part_b = cls.env["product.product"].create(
            [
                {
                    **service_vals,
                    "name": "Main d'oeuvre technicien",
                    "list_price": 60.0,
                    "service_type": "timesheet",
                },
                {**service_vals, "name": "Déplacement", "list_price": 40.0},
                {
                    **product_vals,
                    "name": "Filtre F-200",
                    "type": "consu",
                    "list_price": 12.5,
                },
                {
                    **product_vals,
                    "name": "Joint J-10",
                    "type": "consu",
                    "list_price": 30.0,
                },
            ]
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
        cls.site = cls._fi_create_site(cls.customer, "Fournil Lyon", type="delivery")
        cls.project = cls._fi_create_project(
            "Maintenance chaufferies",
            privacy_visibility="portal",
            allow_billable=True,
            labour_product_id=cls.labour_product.id,
            travel_product_id=cls.travel_product.id,
            intervention_invoice_policy="per_intervention",
        )
        cls.task = cls._create_task(cls.customer, cls.site)
        cls.date = datetime(2026, 3, 10, 8, 0)

    def setUp(self):
        super().setUp()
        dump_cii_exports(self)

    @classmethod
    def _create_customer(cls, name, siret, **vals):
        """A French company customer on the contract pricelist."""
        return cls._fi_create_customer(
            name, company_registry=siret, vat=False, property_product_pricelist=cls.pricelist.id, **vals
        )

    @classmethod
    def _create_task(cls, customer, site=None, **vals):
        return cls._fi_create_task(
            f"Entretien {customer.name}", customer, site or customer, cls.tech_a | cls.tech_b, **vals
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
    def _sign(cls, interventions, reserves=False, refuse=False, invoice=True):
        """Sign (or refuse) on the technician's device, then run what the signature's scheduled
        action does right after the answer (the signed PDF, the emails); with ``invoice``, then
        what the invoicing scheduled action triggered by the signed PDF does."""
        for intervention in interventions:
            intervention.with_user(cls.tech_a)._fi_submit_signature(
                {
                    "decision": "refuse" if refuse else "sign",
                    "signer_name": "Jean Martin",
                    "signer_email": "jean.martin@example.com",
                    "signer_role": "device",
                    "signature": make_signature_png(),
                    "reserves": reserves or "",
                    "refusal_reason": "Travail non conforme" if refuse else "",
                },
                {"user": cls.tech_a},
            )
        run_sign_jobs(cls.env)
        if invoice:
            cls._run_invoicing_triggered_by_signature(interventions)
        return interventions

    @classmethod
    def _run_invoicing_triggered_by_signature(cls, interventions):
        """What the invoicing scheduled action, triggered by the signed PDF, does with these
        interventions (tests have no cron runner)."""
        interventions.sudo().filtered(
            lambda rec: rec.invoice_policy == "per_intervention" and rec.invoice_status == "to_invoice"
        )._fi_invoice_isolated()

    def _invoice_of(self, intervention):
        return intervention.sudo().invoice_id
