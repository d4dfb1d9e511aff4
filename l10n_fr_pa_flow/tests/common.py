import io
import json
from datetime import datetime
from unittest.mock import patch

import requests

from odoo import Command
from odoo.tests.common import TransactionCase
from odoo.tools.pdf import PdfFileWriter

from odoo.addons.l10n_fr_invoice.tests.common import FRENCH_COMPANY, FRENCH_CUSTOMER, dump_cii_exports, dump_einvoice
from odoo.addons.l10n_fr_pa_flow.tools import pa_client
from odoo.addons.l10n_fr_pa_flow.tools.cdar import LifecycleMessage, Party, build_cdar
from odoo.addons.mail.tests.common import mail_new_test_user

BASE_URL = "https://pa.test"
TOKEN_URL = "https://pa.test/oauth/token"


_BLANK_PDF = []


def blank_pdf():
    """A one-page PDF (reports render as HTML in tests), the same bytes each time."""
    if not _BLANK_PDF:
        writer = PdfFileWriter()
        writer.addBlankPage(200, 200)
        buffer = io.BytesIO()
        writer.write(buffer)
        _BLANK_PDF.append(buffer.getvalue())
    return _BLANK_PDF[0]


def response(status, payload=None, content=None):
    answer = requests.Response()
    answer.status_code = status
    answer._content = content if content is not None else json.dumps(payload or {}).encode()
    answer.headers["Content-Type"] = "application/json" if content is None else "application/octet-stream"
    return answer


class FakePa:
    """The platform as the tests need it, behind ``PaClient._http`` (the connector's one network
    method), the way core's account_peppol tests answer for their proxy."""

    def __init__(self):
        self.requests = []  # (method, path, what)
        self.flows = {}  # flowId -> Flow dict
        self.files = {}  # flowId -> bytes
        self.tracking = {}  # trackingId -> flowId
        self.deposit_answers = []  # queued answers of POST /v1/flows: "503", "timeout", ("Error", code)
        self.tokens_issued = 0
        self.expire_tokens = False
        self.submitted_at = "2026-12-01T09:00:00Z"

    def __call__(self, client, method, url, **kwargs):
        path = url.removeprefix(BASE_URL)
        if url == TOKEN_URL:
            self.requests.append((method, "token", kwargs.get("data")))
            self.tokens_issued += 1
            return response(
                200, {"access_token": f"tok{self.tokens_issued}", "token_type": "Bearer", "expires_in": 3600}
            )
        auth = kwargs.get("headers", {}).get("Authorization", "")
        if self.expire_tokens:
            self.expire_tokens = False
            self.requests.append((method, path, "401"))
            return response(401, {"errorCode": "EXPIRED_TOKEN"})
        assert auth.startswith("Bearer tok"), auth
        if path == "/v1/healthcheck":
            self.requests.append((method, path, None))
            return response(200, {})
        if path == "/v1/flows" and method == "POST":
            return self._deposit(kwargs["files"])
        if path == "/v1/flows/search":
            body = kwargs["json"]
            self.requests.append((method, path, body))
            return response(200, {"limit": body["limit"], "results": self._search(body)})
        if path.startswith("/v1/flows/"):
            flow_id = path.removeprefix("/v1/flows/")
            params = kwargs.get("params") or {}
            self.requests.append((method, path, params))
            if params.get("docType", "Metadata") == "Metadata":
                if flow_id not in self.flows:
                    return response(404, {"errorCode": "MISSING_RESOURCE"})
                return response(200, self.flows[flow_id])
            if flow_id not in self.files:
                return response(
                    404, {"errorCode": "MISSING_RESOURCE", "errorMessage": "Requested resource is Not Found"}
                )
            return response(200, content=self.files[flow_id])
        return response(404, {"errorCode": "MISSING_RESOURCE"})

    def _deposit(self, files):
        info = json.loads(files["flowInfo"][1])
        content = files["file"][1]
        dump_einvoice(content, "deposited")
        self.requests.append(("POST", "/v1/flows", info))
        answer = self.deposit_answers.pop(0) if self.deposit_answers else "ok"
        if answer == "timeout":
            raise requests.Timeout("read timeout")
        if answer in ("429", "503", "500"):
            return response(int(answer), {"errorCode": "UNAVAILABLE"})
        if answer == "422":
            return response(422, {"errorCode": "UNPROCESSABLE_ENTITY", "errorMessage": "Entity consistency error"})
        flow_id = f"F{len(self.flows) + 1:04d}"
        if info["trackingId"] in self.tracking:
            answer = ("Error", "AlreadyExistingFlow")
        ack = {"status": "Ok"}
        if isinstance(answer, tuple):
            ack = {
                "status": "Error",
                "details": [{"level": "Error", "item": "file", "reasonCode": answer[1], "reasonMessage": "BR-FR-10"}],
            }
        flow = {
            "flowId": flow_id,
            "trackingId": info["trackingId"],
            "submittedAt": self.submitted_at,
            "updatedAt": self.submitted_at,
            "flowType": "CustomerInvoiceLC" if info["flowSyntax"] == "CDAR" else "CustomerInvoice",
            "flowDirection": "Out",
            "flowSyntax": info["flowSyntax"],
            "acknowledgement": ack,
        }
        # a refused duplicate is a flow of the platform too, with the same trackingId
        self.flows[flow_id] = flow
        if ack["status"] == "Ok":
            self.files[flow_id] = content
            self.tracking.setdefault(info["trackingId"], flow_id)
        return response(202, {**flow, "sha256": info.get("sha256")})

    def _search(self, body):
        where = body["where"]
        results = list(self.flows.values())
        if where.get("trackingId"):
            # newest first, as a platform may list them: the refused duplicate before the original
            results = [flow for flow in reversed(results) if flow["trackingId"] == where["trackingId"]]
        if where.get("ackStatus"):
            results = [flow for flow in results if flow["acknowledgement"]["status"] == where["ackStatus"]]
        if where.get("flowType"):
            results = [flow for flow in results if flow["flowType"] in where["flowType"]]
        if where.get("updatedAfter"):
            results = [flow for flow in results if flow["updatedAt"] > where["updatedAfter"]]
        return sorted(results, key=lambda flow: flow["updatedAt"])[: body["limit"]]

    def add_lifecycle(self, move, code, when, flow_id=None, reason_code="", reason="", amount=None):
        """A lifecycle flow of the platform (flowDirection In) about ``move``."""
        flow_id = flow_id or f"LC{len(self.flows) + 1:04d}"
        siren = move.company_id.partner_id._l10n_fr_siren()
        self.files[flow_id] = build_cdar(
            LifecycleMessage(
                message_id=f"MSG-{flow_id}",
                status_code=code,
                invoice_number=move.name,
                invoice_date=move.invoice_date,
                seller_siren=siren,
                issued_at=when,
                sender=Party("999999999", "BY"),
                recipient=Party(siren, "SE"),
                reason_code=reason_code,
                reason=reason,
                amount=amount,
            )
        )
        self.flows[flow_id] = {
            "flowId": flow_id,
            "trackingId": f"pa-{flow_id}",
            "submittedAt": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updatedAt": f"2026-12-02T{len(self.flows):02d}:00:00Z",
            "flowType": "CustomerInvoiceLC",
            "flowDirection": "In",
            "flowSyntax": "CDAR",
            "acknowledgement": {"status": "Ok"},
        }
        return self.flows[flow_id]

    def deposits(self):
        return [what for method, path, what in self.requests if path == "/v1/flows"]


class PaCommon(TransactionCase):
    """A French company connected to a (fake) platform, a French business customer, a billing
    user and helpers to post invoices and run the crons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        france = cls.env.ref("base.fr")
        cls.company.write(
            {
                **FRENCH_COMPANY,
                "country_id": france.id,
                "account_fiscal_country_id": france.id,
                "l10n_fr_pa_enabled": True,
                "l10n_fr_pa_base_url": BASE_URL,
                "l10n_fr_pa_token_url": TOKEN_URL,
                "l10n_fr_pa_client_id": "client",
                "l10n_fr_pa_client_secret": "secret",
                "l10n_fr_pa_webhook_secret": "hook-secret",
                "l10n_fr_pa_flow_syntax": "CII",
                "l10n_fr_pa_poll_cursor": False,
            }
        )
        cls.currency = cls.company.currency_id
        cls.customer = cls.env["res.partner"].create({**FRENCH_CUSTOMER, "country_id": france.id})
        cls.individual = cls.env["res.partner"].create({"name": "Jean Particulier", "country_id": france.id})
        # VAT on services due on receipt of payment (the French chart's "20% S"): their
        # collections are declared (212)
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "TVA 20 % (PA test)",
                "amount": 20.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "tax_exigibility": "on_payment",
                "cash_basis_transition_account_id": cls.env["account.account"]
                .search([("company_ids", "in", cls.company.ids), ("account_type", "=", "liability_current")], limit=1)
                .id,
            }
        )
        cls.service = cls.env["product.product"].create(
            {"name": "Maintenance chaudière", "type": "service", "list_price": 100.0}
        )
        cls.goods = cls.env["product.product"].create({"name": "Vanne", "type": "consu", "list_price": 50.0})
        cls.billing = mail_new_test_user(
            cls.env,
            login="pa_billing",
            name="Bianca Billing",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
        )
        cls.employee = mail_new_test_user(
            cls.env, login="pa_employee", name="Eddy Employee", groups="base.group_user", company_id=cls.company.id
        )

    def setUp(self):
        super().setUp()
        dump_cii_exports(self)
        pa_client._TOKENS.clear()
        self.pa = FakePa()
        pa = self.pa

        def fake_http(client, method, url, **kwargs):
            return pa(client, method, url, **kwargs)

        self.startPatcher(patch.object(pa_client.PaClient, "_http", fake_http))
        # the crons are triggered by posting: run them by hand here
        self.startPatcher(patch.object(type(self.env["ir.cron"]), "_trigger", lambda self, at=None: None))

    def post_invoice(self, partner=None, product=None, move_type="out_invoice", price=100.0, lines=None, user=None):
        """A posted invoice (by ``user``, else the superuser): one line of ``product`` at ``price``
        with the test VAT, or the line values ``lines``."""
        lines = lines or [
            {
                "product_id": (product or self.service).id,
                "quantity": 1,
                "price_unit": price,
                "tax_ids": [Command.set(self.tax.ids)],
            }
        ]
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or self.customer).id,
                "invoice_date": "2026-12-01",
                "invoice_line_ids": [Command.create(vals) for vals in lines],
            }
        )
        (move.with_user(user) if user else move).action_post()
        return move

    def deposit(self):
        self.env["l10n_fr_pa.flow"]._cron_deposit()

    def poll(self):
        self.env["l10n_fr_pa.flow"]._cron_poll_lifecycle()

    def flows(self, move, flow_type="CustomerInvoice"):
        return move.l10n_fr_pa_flow_ids.filtered(lambda flow: flow.flow_type == flow_type).sorted("id")

    @staticmethod
    def at(text):
        return datetime.strptime(text, "%Y-%m-%d %H:%M")
