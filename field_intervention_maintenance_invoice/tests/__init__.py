from . import test_coverage_invoice
