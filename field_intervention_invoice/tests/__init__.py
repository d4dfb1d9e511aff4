from . import test_invoice_direct
