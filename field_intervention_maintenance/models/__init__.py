from . import res_company
from . import res_config_settings
from . import field_intervention_equipment
from . import field_intervention_contract
from . import field_intervention_contract_line
from . import field_intervention_visit
from . import field_intervention
from . import project_task
