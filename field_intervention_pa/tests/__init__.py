from . import test_pa_bridge
from . import test_einvoice_checks
