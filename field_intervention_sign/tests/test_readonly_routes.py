from urllib.parse import urlparse

from odoo import http
from odoo.tests import tagged

from .common import FiSignHttpCase
from .readonly_routes import ReadonlyRoutesMixin


@tagged("-at_install", "post_install")
class TestReadonlyRoutes(ReadonlyRoutesMixin, FiSignHttpCase):
    """The customer's pages that only read run in a read-only transaction, so that a replica
    (``db_replica_host``) may serve them; the pages that write stay on the primary."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.intervention._portal_ensure_token()
        cls.signed = cls._fi_create_done_intervention()
        cls.signed_token = cls.signed._portal_ensure_token()
        cls._sign(cls.signed)  # and the signed PDF, made by the signature's scheduled action

    def test_declared_routes(self):
        base = f"/my/interventions/{self.intervention.id}"
        for path, method in (
            ("/my/interventions", "GET"),
            ("/my/interventions/page/2", "GET"),
            (f"{base}/signed_pdf", "GET"),
            ("/fi/verify/" + "a" * 32, "POST"),
        ):
            self.assertIs(self.fi_route_readonly(path, method), True, path)
        # the page logs the customer's view: only its report (report_type) is read-only
        self.assertTrue(callable(self.fi_route_readonly(base)))
        for path in (f"{base}/sign", f"{base}/refuse"):
            self.assertIs(self.fi_route_readonly(path, "POST"), False, path)

    def test_pages_served_readonly(self):
        signed = self.signed
        self.assertTrue(signed.signed_pdf_id)
        verify_path = urlparse(signed.signature_id.verify_url).path
        base = f"/my/interventions/{signed.id}"
        self.authenticate(None, None)
        with self.fi_cursor_modes() as modes:
            for suffix in ("&report_type=html", "&report_type=pdf&download=1"):
                self.assertEqual(self.url_open(f"{base}?access_token={self.signed_token}{suffix}").status_code, 200)
            pdf = self.url_open(f"{base}/signed_pdf?access_token={self.signed_token}")
            self.assertEqual(pdf.content, signed.signed_pdf_id.raw)
            self.assertIn(signed.name, self.url_open(verify_path).text)
            csrf = http.Request.csrf_token(self)
            match = self.url_open(
                verify_path,
                data={"csrf_token": csrf},
                files={"document": ("signed.pdf", pdf.content, "application/pdf")},
            )
            self.assertIn("o_fi_verify_match", match.text)
            self.authenticate("fis_portal", "fis_portal")
            listing = self.url_open("/my/interventions?filterby=signed")
            self.assertIn(signed.name, listing.text)
        self.assert_served_readonly(modes, [base, f"{base}/signed_pdf", verify_path, "/my/interventions"])

    def test_writing_pages_stay_on_the_primary(self):
        """The page of a report logs the customer's view: served read/write, the view logged."""
        path = f"/my/interventions/{self.intervention.id}"
        with self.fi_cursor_modes() as modes:
            self.assertEqual(self.url_open(f"{path}?access_token={self.token}").status_code, 200)
        self.assertEqual(modes, [(path, False)])
        self.assertEqual(self.intervention.sudo().sign_event_ids.mapped("event_type"), ["viewed"])

    def test_back_office_openers_readonly(self):
        """The buttons that only open a list run read-only over /web/dataset/call_button."""
        self.authenticate("fis_manager", "fis_manager")
        with self.fi_cursor_modes() as modes:
            for model, method, record in (
                ("field.intervention", "action_view_photos", self.intervention),
                ("project.task", "action_view_interventions", self.task),
                ("project.project", "action_view_interventions", self.project),
            ):
                action = self.make_jsonrpc_request(
                    "/web/dataset/call_button",
                    {"model": model, "method": method, "args": [record.ids], "kwargs": {}},
                )
                self.assertEqual(action["type"], "ir.actions.act_window")
        self.assert_served_readonly(modes, ["/web/dataset/call_button"])
