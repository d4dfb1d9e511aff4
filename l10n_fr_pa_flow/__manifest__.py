{
    "name": "France - Approved Platform (PA) Flows",
    "summary": "Deposit customer invoices on an approved e-invoicing platform with the AFNOR Flow "
    "Service API (XP Z12-013), follow their lifecycle statuses and declare collections",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["l10n_fr_invoice", "mail"],
    "external_dependencies": {"python": ["requests", "lxml", "factur-x"]},
    "data": [
        "security/l10n_fr_pa_flow_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "views/l10n_fr_pa_flow_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/l10n_fr_pa_flow_demo.xml"],
    "installable": True,
}
