# ruff: noqa: F821 - run by "odoo shell", which defines env
"""Sample e-invoices of the kinds a French maintenance company issues, for the official rules
(setup/official_rules.py) to judge without running the test suite. An Odoo shell script, on a
database where field_intervention_invoice / l10n_fr_pa_flow are installed:

    FI_EINVOICE_DUMP=/tmp/einvoices fi_odoo shell -d DB --no-http < setup/einvoice_samples.py
    $FI_VENV/bin/python setup/official_rules.py --rules /path/to/France_RFE /tmp/einvoices

Writes one CII XML per kind (samples.<kind>.xml, as account_edi_ubl_cii exports it with the
suite's French extension) and rolls everything back: the database is left as it was.
"""

import os

from odoo import Command

folder = os.environ.get("FI_EINVOICE_DUMP") or "/tmp/einvoices"
os.makedirs(folder, exist_ok=True)
company = env.company
france = env.ref("base.fr")
company.write(
    {
        "name": "Chauffage Services SAS",
        "street": "1 rue du Four",
        "zip": "75006",
        "city": "Paris",
        "country_id": france.id,
        "vat": "FR40303265045",
        "siret": "30326504500012",
        "company_registry": "30326504500012",
        "email": "facturation@chauffage.example.com",
    }
)
company.partner_id.write({"peppol_eas": "0225", "peppol_endpoint": "303265045"})
chart = env["account.chart.template"].with_company(company)


def tax(xmlid):
    return chart.ref(xmlid)


def partner(name, **vals):
    address = {"street": "3 rue de la Paix", "zip": "75002", "city": "Paris", "country_id": france.id}
    return env["res.partner"].create({"name": name, "is_company": True, **address, **vals})


b2b = partner("Syndic Lumière SARL", siret="55210055400013", vat="FR96552100554")
vat_only = partner("Garage Durand SAS", vat="FR96552100554")
individual = env["res.partner"].create(
    {"name": "Jean Particulier", "street": "5 rue Haute", "zip": "69001", "city": "Lyon", "country_id": france.id}
)
eu_b2b = partner(
    "Heizung GmbH",
    vat="DE123456788",
    street="Hauptstraße 1",
    zip="10115",
    city="Berlin",
    country_id=env.ref("base.de").id,
)
outside_eu = partner(
    "Chauffage Genève SA", street="Rue du Rhône 1", zip="1204", city="Genève", country_id=env.ref("base.ch").id
)
service = env["product.product"].create({"name": "Maintenance chaudière", "type": "service", "list_price": 120.0})
part = env["product.product"].create({"name": "Vanne thermostatique", "type": "consu", "list_price": 35.0})
usd = env.ref("base.USD")
usd.active = True
if not usd.rate_ids:
    env["res.currency.rate"].create(
        {"currency_id": usd.id, "rate": 1.1, "name": "2026-01-01", "company_id": company.id}
    )


def line(product=None, price=100.0, quantity=1.0, taxes=("tva_normale",), **vals):
    values = {"quantity": quantity, "price_unit": price, "tax_ids": [Command.set([tax(x).id for x in taxes])], **vals}
    if product:
        values["product_id"] = product.id
    else:
        values["name"] = vals.get("name") or "Déplacement et main d'œuvre"
    return Command.create(values)


def invoice(customer, lines, move_type="out_invoice", **vals):
    move = env["account.move"].create(
        {"move_type": move_type, "partner_id": customer.id, "invoice_line_ids": lines, **vals}
    )
    move.action_post()
    return move


kinds = {
    "b2b": lambda: invoice(b2b, [line(service, 120.0, 2), line(part, 35.0, 3)]),
    "vat_only_customer": lambda: invoice(vat_only, [line(service, 120.0)]),
    "lines_without_product": lambda: invoice(b2b, [line(None, 80.0), line(None, 45.5, 2, name="Fournitures")]),
    "discounts": lambda: invoice(b2b, [line(service, 120.0, 2, discount=10.0), line(part, 35.0, 4, discount=25.0)]),
    "several_vat_rates": lambda: invoice(
        b2b,
        [
            line(service, 120.0),
            line(part, 35.0, 2, taxes=("tva_intermediaire",)),
            line(None, 50.0, taxes=("tva_reduite",)),
        ],
    ),
    "price_included_tax": lambda: invoice(b2b, [line(service, 144.0, taxes=("tva_normale_ttc",))]),
    "foreign_currency": lambda: invoice(b2b, [line(service, 150.0)], currency_id=usd.id),
    "credit_note": lambda: invoice(b2b, [line(service, 120.0)], move_type="out_refund"),
    "individual": lambda: invoice(individual, [line(service, 120.0), line(part, 35.0)]),
    "eu_business_reverse_charge": lambda: invoice(eu_b2b, [line(service, 500.0, taxes=("tva_sale_service_intra_0",))]),
    "outside_eu_export": lambda: invoice(outside_eu, [line(part, 500.0, taxes=("tva_sale_good_export_0",))]),
}
cii = env["account.edi.xml.cii"]
for kind, make in kinds.items():
    try:
        with env.cr.savepoint():
            move = make()
            xml, errors = cii._export_invoice(move)
    except Exception as error:  # noqa: BLE001 - one kind that cannot be built does not stop the others
        print(f"{kind}: not built: {error}")
        continue
    with open(os.path.join(folder, f"samples.{kind}.xml"), "wb") as file:
        file.write(xml)
    print(f"{kind}: {move.name} -> samples.{kind}.xml" + (f" (Odoo's export warnings: {errors})" if errors else ""))
env.cr.rollback()
