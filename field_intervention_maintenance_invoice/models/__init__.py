from . import field_intervention
from . import field_intervention_invoice_check
from . import sale_order_line
