from . import field_intervention_sign_wizard
