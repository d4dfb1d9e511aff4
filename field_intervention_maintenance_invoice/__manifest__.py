{
    "name": "Field Intervention Maintenance Invoicing",
    "summary": "Bridge: a maintenance visit's invoice bills only what its contract does not cover; "
    "a fully covered visit makes no invoice",
    "version": "18.0.1.0.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention_maintenance", "field_intervention_invoice"],
    "data": ["security/ir.model.access.csv"],
    "auto_install": True,
    "installable": True,
}
