from . import res_company
from . import res_config_settings
from . import account_move
from . import field_intervention
from . import field_intervention_cash_report
from . import field_intervention_cash_kpi
