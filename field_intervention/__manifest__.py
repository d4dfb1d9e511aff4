{
    "name": "Field Intervention",
    "summary": "Mission orders on tasks and phone-first intervention reports "
    "(bon d'intervention) with timesheets, parts, checklist, photos and PDF",
    "version": "18.0.1.0.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["project", "hr_timesheet", "product", "mail", "portal", "uom"],
    "data": [
        "security/field_intervention_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "report/field_intervention_report.xml",
        "report/field_intervention_templates.xml",
        "views/field_intervention_views.xml",
        "views/field_intervention_part_views.xml",
        "views/field_intervention_photo_views.xml",
        "views/field_intervention_checklist_template_views.xml",
        "views/project_project_views.xml",
        "views/project_task_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/field_intervention_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "field_intervention/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
