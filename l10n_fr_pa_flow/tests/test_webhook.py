import hashlib
import hmac
import json
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import PaCommon


@tagged("post_install", "-at_install")
class TestWebhook(PaCommon, HttpCase):
    def setUp(self):
        super().setUp()
        self.move = self.post_invoice()
        self.deposit()
        self.url = f"/l10n_fr_pa_flow/webhook/{self.company.id}"

    def post(self, remote, secret="hook-secret", signature=None, url=None, body=None):
        body = body if body is not None else json.dumps({"flowInfo": remote}).encode()
        if signature is None:
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return self.url_open(
            url or self.url, data=body, headers={"Content-Type": "application/json", "X-PA-Signature": signature}
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
        self.assertFalse(self.move.l10n_fr_pa_status_ids)
        self.assertFalse([path for method, path, what in self.pa.requests if path.startswith("/v1/flows/LC")])

    def test_company_ids_cannot_be_told_apart(self):
        """An unknown company, a company without a platform and a wrong signature: the same
        answer, after the same signature check (hmac.compare_digest)."""
        remote = self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 10:00"))
        other = self.env["res.company"].create({"name": "Sans Plateforme", "country_id": self.env.ref("base.fr").id})
        answers = {
            "wrong signature": self.post(remote, secret="wrong"),
            "unknown company": self.post(remote, url="/l10n_fr_pa_flow/webhook/999999"),
            "company without a platform": self.post(remote, url=f"/l10n_fr_pa_flow/webhook/{other.id}"),
        }
        seen = {label: (answer.status_code, answer.text) for label, answer in answers.items()}
        self.assertEqual(len(set(seen.values())), 1, seen)
        self.assertEqual(seen["unknown company"][0], 403)
        compare = hmac.compare_digest
        with patch.object(hmac, "compare_digest", side_effect=compare) as compared:
            self.env["l10n_fr_pa.flow"]._l10n_fr_pa_webhook(999999, b"{}", "sha256=" + "0" * 64)
        self.assertEqual(compared.call_count, 1, "an unknown company costs a signature check too")
        self.assertFalse(self.move.l10n_fr_pa_status_ids)

    def test_headers_and_size_checked_before_the_body(self):
        remote = self.pa.add_lifecycle(self.move, "205", self.at("2026-12-02 10:00"))
        padding = " " * (1024 * 1024)  # a callback is a few hundred bytes
        big = json.dumps({"flowInfo": remote, "padding": padding}).encode()
        answer = self.post(remote, body=big)  # signed with the right secret, too large
        self.assertEqual(answer.status_code, 413, answer.text)
        answer = self.url_open(self.url, data=json.dumps({"flowInfo": remote}).encode())  # no signature
        self.assertEqual(answer.status_code, 403)
        self.assertFalse(self.move.l10n_fr_pa_status_ids)
        self.assertFalse([path for method, path, what in self.pa.requests if path.startswith("/v1/flows/LC")])

    def test_acknowledgement_comes_from_the_platform(self):
        """A callback about one of our deposits: the acknowledgement is the platform's (GET
        /v1/flows/{flowId}), not the callback's body, whoever signed it."""
        (flow,) = self.flows(self.move)
        self.assertEqual((flow.state, flow.ack_status), ("sent", "Ok"))
        forged = {
            **self.pa.flows[flow.pa_flow_id],
            "acknowledgement": {
                "status": "Error",
                "details": [{"level": "Error", "reasonCode": "InvalidSchema", "reasonMessage": "forged"}],
            },
        }
        answer = self.post(forged)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual((flow.state, flow.ack_status), ("sent", "Ok"))
        self.assertEqual(self.move.l10n_fr_pa_deposit_state, "sent")
        self.assertIn(("GET", f"/v1/flows/{flow.pa_flow_id}", {"docType": "Metadata"}), self.pa.requests)
        # the platform's own later verdict counts, whatever the body says
        self.pa.flows[flow.pa_flow_id]["acknowledgement"] = forged["acknowledgement"]
        self.post({**forged, "acknowledgement": {"status": "Ok"}})
        self.assertEqual((flow.state, flow.reason_code), ("error", "InvalidSchema"))
