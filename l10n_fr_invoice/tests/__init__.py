from . import test_siren
from . import test_einvoice
from . import test_vat_on_debits
from . import test_report
