{
    "name": "Field Intervention Invoicing through an Approved Platform",
    "summary": "Bridge: platform refusals and disputes flag the interventions, to-cash KPIs "
    "(signature, deposit, approval, collection) and the invoices stuck at a step",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention_invoice", "l10n_fr_pa_flow"],
    "uninstall_hook": "uninstall_hook",
    "data": [
        "security/ir.model.access.csv",
        "security/field_intervention_pa_security.xml",
        "views/field_intervention_views.xml",
        "views/field_intervention_cash_report_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "auto_install": True,
    "installable": True,
}
