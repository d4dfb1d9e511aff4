{
    "name": "Field Intervention Signature",
    "summary": "Customer signature of intervention reports on the technician's phone and in "
    "the portal, with locking, evidence pack, signed PDF, QR verification and emails",
    "version": "18.0.1.0.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention"],
    "external_dependencies": {"python": ["qrcode", "reportlab"]},
    "data": [
        "security/field_intervention_sign_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "report/field_intervention_report_templates.xml",
        "views/field_intervention_sign_summary_templates.xml",
        "views/field_intervention_views.xml",
        "views/field_intervention_signature_views.xml",
        "views/field_intervention_sign_event_views.xml",
        "views/field_intervention_sign_wizard_views.xml",
        "views/res_config_settings_views.xml",
        "views/field_intervention_portal_templates.xml",
        "views/field_intervention_verify_templates.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/field_intervention_sign_demo.xml"],
    "assets": {
        "web.assets_backend": [
            "field_intervention_sign/static/src/js/geolocation_field.js",
            "field_intervention_sign/static/src/xml/geolocation_field.xml",
        ],
        "web.assets_frontend": [
            "field_intervention_sign/static/src/js/fi_signature_form.js",
            "field_intervention_sign/static/src/xml/fi_signature_form.xml",
        ],
        "web.assets_tests": [
            "field_intervention_sign/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
