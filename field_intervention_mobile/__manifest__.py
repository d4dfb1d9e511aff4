{
    "name": "Field Intervention Mobile",
    "summary": "Offline-first phone app for technicians: the day's interventions, worked without "
    "network, signed by the customer on the phone, synchronised when the network returns",
    "version": "18.0.1.0.0",
    "category": "Services/Field Service",
    "license": "LGPL-3",
    "author": "Field Intervention Suite",
    "website": "https://github.com/field-intervention/field-intervention",
    "depends": ["field_intervention_sign"],
    "data": [
        "views/app_templates.xml",
    ],
    "installable": True,
}
