{
    "name": "Field Intervention Mobile",
    "summary": "Offline phone app for technicians: the day's interventions on the phone, an "
    "idempotent queue of operations synced when the network returns, the customer's signature offline",
    "version": "18.0.1.0.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention_sign"],
    "data": [
        "security/field_intervention_mobile_security.xml",
        "security/ir.model.access.csv",
        "views/field_intervention_mobile_op_views.xml",
        "views/field_intervention_views.xml",
        "views/menus.xml",
        "views/app_templates.xml",
    ],
    "installable": True,
}
