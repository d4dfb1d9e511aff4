from . import evidence_pdf
