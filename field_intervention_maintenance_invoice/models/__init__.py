from . import field_intervention
from . import field_intervention_contract
from . import field_intervention_contract_fee
from . import field_intervention_invoice_check
from . import res_company
from . import res_config_settings
from . import sale_order_line
