from odoo.tests import tagged

from .common import FiSignHttpCase


@tagged("-at_install", "post_install")
class TestSignTours(FiSignHttpCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_device_signature_tour(self):
        self.start_tour(
            f"/odoo/field.intervention/{self.intervention.id}",
            "field_intervention_sign_device_tour",
            login="fis_tech",
        )
        signature = self.intervention.signature_id.sudo()
        self.assertEqual(self.intervention.state, "signed")
        self.assertEqual(signature.signer_role, "device")
        self.assertEqual(signature.signer_name, "Jeanne Durand")
        self.assertEqual(signature.reserves, "Porte du four rayée")
        self.assertEqual(signature.user_id, self.tech)
        self.assertFalse(self.intervention.signed_pdf_id, "the answer does not wait for it")
        self._run_sign_jobs()
        self.assertTrue(self.intervention.signed_pdf_id)

    def test_portal_token_signature_tour(self):
        self.start_tour(
            self.intervention.get_portal_url(),
            "field_intervention_sign_portal_token_tour",
        )
        signature = self.intervention.signature_id.sudo()
        self.assertEqual(self.intervention.state, "signed")
        self.assertEqual(signature.signer_role, "token")
        self.assertEqual(signature.reserves, "Rayure sur la porte")
        self.assertTrue(signature.user_agent)
        # the signed PDF, produced right after the answer, then shown on the page
        self._run_sign_jobs()
        page = self.url_open(self.intervention.get_portal_url())
        self.assertIn('o_fi_signed_pdf"', page.text)
        self.assertNotIn("o_fi_signed_pdf_pending", page.text)

    def test_portal_user_signature_tour(self):
        self.start_tour("/my/interventions", "field_intervention_sign_portal_user_tour", login="fis_portal")
        signature = self.intervention.signature_id.sudo()
        self.assertEqual(signature.signer_role, "portal_user")
        self.assertEqual(signature.user_id, self.portal_user)
