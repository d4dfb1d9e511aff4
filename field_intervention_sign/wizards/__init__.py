from . import field_intervention_sign_wizard
from . import field_intervention_sign_request
