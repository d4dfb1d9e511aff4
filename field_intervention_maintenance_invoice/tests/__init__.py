from . import test_contract_fee
from . import test_contract_fee_concurrency
from . import test_coverage_invoice
