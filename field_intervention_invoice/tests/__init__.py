from . import test_exactly_once
from . import test_invoice_cron
from . import test_invoice_direct
from . import test_invoice_sale
