import base64
import json
from datetime import timedelta
from urllib.parse import urlparse

from odoo import http
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.field_intervention_sign.controllers.portal import FieldInterventionPortal

from .common import FiSignHttpCase, make_signature_png


@tagged("-at_install", "post_install")
class TestPortalHttp(FiSignHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token = cls.intervention._portal_ensure_token()
        cls.other_token = cls.other_intervention._portal_ensure_token()

    def _json(self, url, **params):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        response = self.url_open(url, data=json.dumps(payload), headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        return response.json()["result"]

    def _sign_url(self, intervention=None):
        return f"/my/interventions/{(intervention or self.intervention).id}/sign"

    def _sign_json(self, intervention=None, **params):
        """Sign through the portal route, then run what the signature's scheduled action does
        right after the answer (the signed PDF, the emails)."""
        values = {"access_token": self.token, "name": "Jeanne Durand", "signature": self.signature_png}
        values.update(params)
        answer = self._json(self._sign_url(intervention), **values)
        self._run_sign_jobs()
        return answer

    def _assert_unchanged(self, intervention=None):
        intervention = intervention or self.intervention
        intervention.invalidate_recordset()
        self.assertEqual(intervention.state, "done")
        self.assertFalse(intervention.sudo().signature_ids)

    # ------------------------------------------------------------------
    # Pages and access
    # ------------------------------------------------------------------
    def test_token_page_and_report(self):
        response = self.url_open(f"/my/interventions/{self.intervention.id}?access_token={self.token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.intervention.name, response.text)
        self.assertIn("Remplacement de la résistance du four.", response.text)
        self.assertIn("field_intervention_sign.signature_form", response.text)
        self.assertEqual(self.intervention.sudo().sign_event_ids.mapped("event_type"), ["viewed"])
        # viewed once per session and day
        self.url_open(f"/my/interventions/{self.intervention.id}?access_token={self.token}")
        self.assertEqual(len(self.intervention.sudo().sign_event_ids), 1)
        html = self.url_open(f"/my/interventions/{self.intervention.id}?access_token={self.token}&report_type=html")
        self.assertEqual(html.status_code, 200)
        self.assertIn(self.intervention.name, html.text)

    def test_token_access_control(self):
        cases = {
            "no token": (f"/my/interventions/{self.intervention.id}", 403),
            "wrong token": (f"/my/interventions/{self.intervention.id}?access_token=wrong", 403),
            "other document's token": (
                f"/my/interventions/{self.intervention.id}?access_token={self.other_token}",
                403,
            ),
            "report with other token": (
                f"/my/interventions/{self.intervention.id}?access_token={self.other_token}&report_type=pdf",
                403,
            ),
            "signed pdf with other token": (
                f"/my/interventions/{self.intervention.id}/signed_pdf?access_token={self.other_token}",
                403,
            ),
            "missing record": ("/my/interventions/999999999?access_token=x", 404),
            "signed pdf of an unsigned report": (
                f"/my/interventions/{self.intervention.id}/signed_pdf?access_token={self.token}",
                404,
            ),
        }
        for label, (url, status) in cases.items():
            with self.subTest(label), mute_logger("odoo.http"):
                self.assertEqual(self.url_open(url).status_code, status)
        self.assertEqual(self.url_open("/my/interventions", allow_redirects=False).status_code, 303)

    def test_portal_user_sees_only_own_commercial_entity(self):
        self.authenticate("fis_portal", "fis_portal")
        response = self.url_open("/my/interventions")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.intervention.name, response.text)
        self.assertNotIn(self.other_intervention.name, response.text)
        self.assertEqual(self.url_open(f"/my/interventions/{self.intervention.id}").status_code, 200)
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open(f"/my/interventions/{self.other_intervention.id}").status_code, 403)
        # ...but a token still opens the one document it was issued for
        self.assertEqual(
            self.url_open(
                f"/my/interventions/{self.other_intervention.id}?access_token={self.other_token}"
            ).status_code,
            200,
        )
        counters = self._json("/my/counters", counters=["intervention_count"])
        self.assertEqual(counters["intervention_count"], 1)
        self.assertIn('href="/my/interventions"', self.url_open("/my").text)
        # record rules at the ORM level too
        Intervention = self.env["field.intervention"].with_user(self.portal_user)
        self.assertEqual(Intervention.search([]), self.intervention)

    def test_portal_list_filters_and_pager(self):
        interventions = self.intervention
        for days in range(1, 4):
            interventions |= self._create_done_intervention(
                start=self.intervention.date_start - timedelta(days=days * 10)
            )
        draft = self.env["field.intervention"].create({"task_id": self.task.id})
        self.authenticate("fis_portal", "fis_portal")
        self.patch(FieldInterventionPortal, "_items_per_page", 2)
        page1 = self.url_open("/my/interventions").text
        page2 = self.url_open("/my/interventions/page/2").text
        self.assertEqual(page1.count("o_fi_portal_row"), 2)
        self.assertEqual(page2.count("o_fi_portal_row"), 2)
        self.assertNotIn(draft.name, page1 + page2)
        # state filter
        self._sign(interventions[1])
        signed = self.url_open("/my/interventions?filterby=signed").text
        self.assertEqual(signed.count("o_fi_portal_row"), 1)
        self.assertIn(interventions[1].name, signed)
        # date filter
        oldest = interventions.sorted("intervention_date")[0]
        day = oldest.intervention_date.isoformat()
        dated = self.url_open(f"/my/interventions?date_from={day}&date_to={day}").text
        self.assertEqual(dated.count("o_fi_portal_row"), 1)
        self.assertIn(oldest.name, dated)
        # garbage in filters is ignored, not a crash
        self.assertEqual(self.url_open("/my/interventions?filterby=<x>&sortby=zzz&date_from=garbage").status_code, 200)

    # ------------------------------------------------------------------
    # Signing through the portal
    # ------------------------------------------------------------------
    def test_sign_with_token(self):
        result = self._sign_json(
            email="jeanne@durand.example.com",
            reserves="<script>alert('x')</script>",
            geo_consent=True,
            latitude=45.76,
            longitude=4.83,
        )
        self.assertTrue(result.get("force_refresh"), result)
        intervention = self.intervention
        intervention.invalidate_recordset()
        self.assertEqual(intervention.state, "signed")
        signature = intervention.signature_id
        self.assertEqual(signature.signer_role, "token")
        self.assertEqual(signature.ip_address, "127.0.0.1")
        self.assertTrue(signature.user_agent)
        self.assertTrue(signature.geo_consent)
        self.assertAlmostEqual(signature.latitude, 45.76)
        self.assertEqual(signature.user_id, self.env.ref("base.public_user"))
        self.assertEqual(signature.reserves, "<script>alert('x')</script>")
        self.assertTrue(intervention.signed_pdf_id)
        # reserves escaped on the portal page and in the chatter
        page = self.url_open(f"/my/interventions/{intervention.id}?access_token={self.token}").text
        self.assertNotIn("<script>alert('x')</script>", page)
        self.assertIn("&lt;script&gt;alert(", page)
        messages = intervention.message_ids.filtered(lambda m: "alert(" in (m.body or ""))
        self.assertTrue(messages)
        for message in messages:
            self.assertNotIn("<script>", message.body)
            self.assertIn("&lt;script&gt;", message.body)
        # double submission: same answer, still one signature
        again = self._sign_json(
            email="jeanne@durand.example.com",
            reserves="<script>alert('x')</script>",
            geo_consent=True,
            latitude=45.76,
            longitude=4.83,
        )
        self.assertTrue(again.get("force_refresh"), again)
        self.assertEqual(len(intervention.sudo().signature_ids), 1)
        # signed PDF download
        pdf = self.url_open(f"/my/interventions/{intervention.id}/signed_pdf?access_token={self.token}")
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf.content, intervention.signed_pdf_id.raw)

    def test_sign_as_portal_user(self):
        self.authenticate("fis_portal", "fis_portal")
        result = self._sign_json(access_token=None)
        self.assertTrue(result.get("force_refresh"), result)
        self.assertEqual(self.intervention.signature_id.signer_role, "portal_user")
        self.assertEqual(self.intervention.signature_id.user_id, self.portal_user)
        with mute_logger("odoo.http"):
            self.assertEqual(
                self._sign_json(self.other_intervention, access_token=None),
                {"error": "Invalid intervention or access link."},
            )
        self._assert_unchanged(self.other_intervention)

    def test_employee_cannot_sign_as_the_customer_in_the_portal(self):
        """An employee who can read the intervention (dispatcher, billing) is not the customer:
        the portal refuses, with or without the customer's token; the device flow is theirs."""
        self.authenticate("fis_manager", "fis_manager")
        for token in (None, self.token):
            result = self._sign_json(access_token=token)
            self.assertIn("Only the customer signs in the portal", result.get("error", ""), result)
        self._assert_unchanged(self.intervention)

    def test_employee_never_gets_the_customer_token(self):
        """The portal page an employee opens, the portal URL and the share link carry no token;
        the page offers no signature form but tells the employee to use the device flow."""
        self.authenticate("fis_tech", "fis_tech")
        page = self.url_open(f"/my/interventions/{self.intervention.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(self.token, page.text)
        self.assertIn("o_fi_employee_notice", page.text)
        self.assertNotIn("fi_modal_sign", page.text)
        tech_intervention = self.intervention.with_user(self.tech)
        self.assertNotIn("access_token", tech_intervention.get_portal_url())
        self.assertNotIn("access_token", tech_intervention._get_share_url(redirect=True))
        with self.assertRaises(AccessError):
            tech_intervention.read(["access_token"])
        with self.assertRaises(AccessError):
            tech_intervention.search([("access_token", "=like", self.token[:1] + "%")])

    def test_signed_pdf_served_only_from_the_evidence(self):
        """The route serves the PDF recorded in the signature evidence, and only while its bytes
        match the hash taken at signature time."""
        self._sign_json()
        intervention = self.intervention
        url = f"/my/interventions/{intervention.id}/signed_pdf?access_token={self.token}"
        self.assertEqual(self.url_open(url).content, intervention.signature_id.pdf_attachment_id.raw)
        with self.assertRaises(AccessError):
            intervention.with_user(self.tech).write({"signed_pdf_id": self.env["ir.attachment"].search([], limit=1).id})
        # the stored file no longer matches the evidence (changed on disk or in the database)
        other = self.env["ir.attachment"].create({"name": "other.pdf", "raw": b"%PDF-1.4 other"})
        self.env.cr.execute(
            "UPDATE ir_attachment SET store_fname = %s, checksum = %s WHERE id = %s",
            [other.store_fname, other.checksum, intervention.signature_id.pdf_attachment_id.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.url_open(url).status_code, 404)

    def test_sign_bad_input(self):
        huge = base64.b64encode(b"0" * (1024 * 1024 + 100)).decode()
        cases = {
            "missing token": ({"access_token": None}, "Invalid intervention"),
            "wrong token": ({"access_token": "x" * 36}, "Invalid intervention"),
            "other document's token": ({"access_token": self.other_token}, "Invalid intervention"),
            "no signature": ({"signature": ""}, "signature is missing"),
            "malformed base64": ({"signature": "@@@###"}, "not valid"),
            "not an image": ({"signature": base64.b64encode(b"hello world").decode()}, "not a valid image"),
            "empty image": ({"signature": make_signature_png(blank=True)}, "empty"),
            "oversized": ({"signature": huge}, "too large"),
            "html name": ({"name": "<img src=x onerror=alert(1)>"}, "without < or >"),
            "no name": ({"name": ""}, "name"),
            "bad email": ({"email": "not an email"}, "not valid"),
            "bad geolocation": ({"geo_consent": True, "latitude": 123.0, "longitude": 0.0}, "geolocation"),
            "wrong types": ({"name": ["x"], "signature": {"a": 1}}, "name"),
        }
        for label, (params, message) in cases.items():
            with self.subTest(label):
                result = self._sign_json(**params)
                self.assertIn(message, result.get("error", ""), result)
        with self.subTest("other customer's id with my token"):
            result = self._sign_json(self.other_intervention)
            self.assertIn("Invalid intervention", result["error"])
        self._assert_unchanged()
        self._assert_unchanged(self.other_intervention)

    def test_sign_not_done(self):
        draft = self.env["field.intervention"].create({"task_id": self.task.id})
        token = draft._portal_ensure_token()
        result = self._sign_json(draft, access_token=token)
        self.assertIn("Invalid intervention or access link", result["error"])
        self.assertFalse(draft.sudo().signature_ids)
        # a token opens a report only in the states a customer sees
        self.assertEqual(self.url_open(f"/my/interventions/{draft.id}?access_token={token}").status_code, 404)
        self.assertEqual(
            self.url_open(f"/my/interventions/{draft.id}?access_token={token}&report_type=pdf").status_code, 404
        )

    def test_payload_over_limit_rejected(self):
        result = self._sign_json(signature="A" * (3 * 1024 * 1024))
        self.assertIn("too large", result["error"])
        self._assert_unchanged()

    # ------------------------------------------------------------------
    # Refusal through the portal
    # ------------------------------------------------------------------
    def _refuse(self, intervention=None, **params):
        intervention = intervention or self.intervention
        if not getattr(self, "session", None):
            self.authenticate(None, None)
        data = {
            "csrf_token": http.Request.csrf_token(self),
            "access_token": self.token,
            "name": "Jeanne Durand",
            "reason": "Travail <b>non</b> terminé",
        }
        data.update(params)
        return self.url_open(f"/my/interventions/{intervention.id}/refuse", data=data)

    def test_refuse_with_token(self):
        response = self._refuse()
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_fi_refuse_ok", response.text)
        self.assertIn("Travail &lt;b&gt;non&lt;/b&gt; terminé", response.text)
        self.intervention.invalidate_recordset()
        self.assertEqual(self.intervention.state, "disputed")
        refusal = self.intervention.sudo().signature_ids
        self.assertEqual(refusal.status, "refused")
        self.assertEqual(refusal.refusal_reason, "Travail <b>non</b> terminé")

    def test_refuse_bad_input(self):
        with self.subTest("no reason"):
            response = self._refuse(reason="")
            self.assertIn("o_fi_refuse_error", response.text)
            self.assertIn("Give the reason", response.text)
        with self.subTest("html name"):
            response = self._refuse(name="<script>x</script>")
            self.assertIn("without &lt; or &gt;", response.text)
        with self.subTest("other document's token"), mute_logger("odoo.http"):
            self.assertEqual(self._refuse(access_token=self.other_token).status_code, 403)
        with self.subTest("no csrf"), mute_logger("odoo.http"):
            response = self._refuse(csrf_token="")
            self.assertEqual(response.status_code, 400)
        self._assert_unchanged()

    # ------------------------------------------------------------------
    # Verification page
    # ------------------------------------------------------------------
    def test_verification_page(self):
        self._sign(reserves="Secret reserve text")
        signature = self.intervention.signature_id
        url = urlparse(signature.verify_url).path
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.intervention.name, page.text)
        self.assertIn("Jeanne Durand", page.text)
        self.assertIn("Boulangerie Durand SARL", page.text)
        # no data leak: no reserves, no email, no IP, no link to the document
        for secret in ("Secret reserve text", "jeanne@durand.example.com", self.token, "Remplacement"):
            self.assertNotIn(secret, page.text)
        pdf = signature.pdf_attachment_id.raw
        self.authenticate(None, None)
        csrf = http.Request.csrf_token(self)
        match = self.url_open(
            url, data={"csrf_token": csrf}, files={"document": ("signed.pdf", pdf, "application/pdf")}
        )
        self.assertIn("o_fi_verify_match", match.text)
        tampered = self.url_open(
            url, data={"csrf_token": csrf}, files={"document": ("signed.pdf", pdf + b" ", "application/pdf")}
        )
        self.assertIn("o_fi_verify_mismatch", tampered.text)
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open("/fi/verify/" + "0" * 32).status_code, 404)
            self.assertEqual(self.url_open("/fi/verify/<script>").status_code, 404)
        # a refusal has no verification page
        refused = self._create_done_intervention()
        self._sign(refused, decision="refuse", refusal_reason="non", signature=False)
        refusal = refused.sudo().signature_ids
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open(f"/fi/verify/{refusal.verify_token}").status_code, 404)
