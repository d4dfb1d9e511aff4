from . import field_intervention_sign_event
from . import field_intervention_signature
from . import field_intervention_sign_job_mixin
from . import field_intervention
from . import ir_attachment
from . import res_company
from . import res_config_settings
from . import mail_mail
