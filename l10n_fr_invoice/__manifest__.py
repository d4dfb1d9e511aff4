{
    "name": "France - Invoice Rules",
    "summary": "What French law asks of a customer invoice: SIREN and SIRET, business customers and "
    "their e-invoicing address (0225), legal mentions, VAT on debits from the taxes, the Factur-X "
    "French extension and the EN 16931 / BR-FR checks any invoice can run",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["account_edi_ubl_cii", "l10n_fr_account"],
    "external_dependencies": {"python": ["lxml", "factur-x", "num2words", "python-stdnum"]},
    "data": [
        "data/cii_22_templates.xml",
        "report/report_invoice.xml",
        "views/res_config_settings_views.xml",
    ],
    "installable": True,
}
