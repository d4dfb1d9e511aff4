from . import invoicing_batch
