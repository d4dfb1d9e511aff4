from . import evidence_pdf
from . import signature_input
