import hashlib
import hmac
import json

from odoo.tests import HttpCase, tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestWebhook(PaCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.move = self.post_invoice()
        self.deposit()
        self.url = f"/l10n_fr_pa_flow/webhook/{self.company.id}"

    def post(self, remote, secret="hook-secret", signature=None):
        body = json.dumps({"flowInfo": remote}).encode()
        if signature is None:
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return self.url_open(
            self.url, data=body, headers={"Content-Type": "application/json", "X-PA-Signature": signature}
        )

    def test_signed_callback_recorded_once(self):
        remote = self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 10:00"))
        answer = self.post(remote)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json(), {"status": "ok"})
        self.assertEqual(self.move.l10n_fr_pa_status_ids.code, "205")
        self.assertEqual(self.move.l10n_fr_pa_status, "205")
        answer = self.post(remote)
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(len(self.move.l10n_fr_pa_status_ids), 1)

    def test_refused_callbacks(self):
        remote = self.pa.add_lifecycle(self.move, "210", self.at("2026-12-02 10:00"))
        for kwargs in ({"secret": "wrong"}, {"signature": ""}, {"signature": "sha256=00"}):
            answer = self.post(remote, **kwargs)
            self.assertEqual(answer.status_code, 403, kwargs)
        answer = self.url_open("/l10n_fr_pa_flow/webhook/999999", data=b"{}", headers={"X-PA-Signature": "x"})
        self.assertEqual(answer.status_code, 404)
        self.assertFalse(self.move.l10n_fr_pa_status_ids)
        self.assertFalse([path for method, path, what in self.pa.requests if path.startswith("/v1/flows/LC")])
