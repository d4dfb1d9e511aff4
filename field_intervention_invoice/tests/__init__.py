from . import test_exactly_once
from . import test_facturx
from . import test_invoice_cron
from . import test_invoice_direct
from . import test_invoice_sale
from . import test_kpi
from . import test_report_pdf
from . import test_security
