from . import field_intervention_mobile_op
from . import field_intervention_photo
from . import field_intervention_signature
from . import field_intervention
