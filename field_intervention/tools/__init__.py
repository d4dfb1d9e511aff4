from . import trusted_write
