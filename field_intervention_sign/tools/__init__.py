from . import evidence_pdf
from . import request_origin
from . import signature_input
