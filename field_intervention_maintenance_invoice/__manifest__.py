{
    "name": "Field Intervention Maintenance Invoicing",
    "summary": "Bridge: the maintenance contracts' fees invoiced period by period (credited at termination); "
    "a maintenance visit's invoice bills only what its contract does not cover; "
    "a fully covered visit makes no invoice",
    "version": "18.0.1.1.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention_maintenance", "field_intervention_invoice"],
    "data": [
        "security/field_intervention_maintenance_invoice_security.xml",
        "security/ir.model.access.csv",
        "data/product_data.xml",
        "data/ir_cron_data.xml",
        "views/field_intervention_contract_fee_views.xml",
        "views/field_intervention_contract_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "auto_install": True,
    "installable": True,
}
