import hashlib
import io

from pypdf import PdfReader

from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.field_intervention_sign.tools import evidence_pdf

from .common import FiSignHttpCase, run_sign_jobs


@tagged("-at_install", "post_install")
class TestSignedPdf(FiSignHttpCase):
    """The real signed PDF: the report rendered by wkhtmltopdf plus the reportlab evidence page.

    An HttpCase: wkhtmltopdf fetches the report assets from this server, which only answers
    during a test when the registry is in test mode (a TransactionCase would hang).
    """

    fake_report = False

    def test_real_signed_pdf(self):
        intervention = self.intervention.with_context(force_report_rendering=True)
        # wkhtmltopdf fetches the report assets from this server
        self.env["ir.config_parameter"].sudo().set_param("report.url", f"http://127.0.0.1:{config['http_port']}")
        signature = (
            intervention.with_user(self.tech)
            ._fi_submit_signature(
                self._sign_values(
                    signer_name="Jeanne Durand-Évrard",
                    reserves="Porte rayée",
                ),
                {"user": self.tech},
            )
            .sudo()
        )
        # the signature's scheduled action renders it after the answer (here with this context)
        run_sign_jobs(intervention.env)
        self.assertFalse(intervention.sign_pending_job, intervention.sign_job_error)
        pdf = intervention.signed_pdf_id.raw
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(hashlib.sha256(pdf).hexdigest(), signature.pdf_hash)

        reader = PdfReader(io.BytesIO(pdf))
        self.assertGreaterEqual(len(reader.pages), 2)
        report_text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages[:-1])
        evidence = reader.pages[-1]
        evidence_text = " ".join(evidence.extract_text().split())
        # the report rendered at signature time carries the signature block
        self.assertIn(intervention.name, report_text)
        self.assertIn("Jeanne Durand-Évrard", report_text)
        self.assertIn("Porte rayée", report_text)
        # the evidence page
        for expected in (
            "Signature evidence",
            "Jeanne Durand-Évrard",
            intervention.name,
            signature.content_hash,
            "jeanne@durand.example.com",
            fieldsafe(signature.signed_on),
            signature.verify_url,
        ):
            self.assertIn(expected, evidence_text)

        # its QR code is exactly qrcode's rendering of the stored verification URL
        self.assertTrue(signature.verify_url.endswith(f"/fi/verify/{signature.verify_token}"))
        expected_qr = evidence_pdf.qr_image(signature.verify_url)
        images = [image.image.convert("RGB") for image in evidence.images]
        qr_images = [image for image in images if image.size == expected_qr.size]
        self.assertEqual(len(qr_images), 1)
        self.assertEqual(qr_images[0].tobytes(), expected_qr.tobytes())
        # the embedded signature image is there too
        self.assertEqual(len(images), 2)


def fieldsafe(value):
    return value.strftime("%Y-%m-%d %H:%M:%S")
