"""The PA simulator (setup/pa_simulator.py) against the AFNOR Flow Service OpenAPI 1.1.0: it refuses
what the OpenAPI refuses, with the OpenAPI's status codes and Error body, and serves the happy
path; and it checks the invoices it receives as a platform does (XSD -> Error acknowledgement,
EN 16931 / BR-FR rules, referential, uniqueness, directory -> 213 Rejetée with XP Z12-012's reason
codes). Real HTTP on loopback, the simulator started as the demo and the e2e tests start it."""

import hashlib
import hmac
import io
import json
import sys
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from lxml import etree
from pypdf import PdfWriter

from .odoo_server import ROOT
from .pa_client import Pa, PaSimulator

SELLER, BUYER = "552100554", "493000012"
CDAR = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS = {"rsm": CDAR, "ram": RAM, "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
ERROR_STATUSES = {400, 401, 403, 404, 413, 422, 429, 500, 503}

sys.path.insert(0, str(ROOT / "setup"))
import pa_simulator

EN16931 = "urn:cen.eu:en16931:2017"
EXTENDED = "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"
NOTES = {
    "PMT": "Indemnité forfaitaire pour frais de recouvrement : 40 EUR",
    "PMD": "Pénalités de retard : trois fois le taux d'intérêt légal",
    "AAB": "Pas d'escompte pour paiement anticipé",
}


def party(tag, name, siren, address, street="3 rue de la République"):
    address = f'<ram:URIUniversalCommunication><ram:URIID schemeID="0225">{address}</ram:URIID>' \
        "</ram:URIUniversalCommunication>" if address else ""  # fmt: skip
    legal = f'<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{siren}</ram:ID>' \
        "</ram:SpecifiedLegalOrganization>" if siren else ""  # fmt: skip
    return f"""<ram:{tag}><ram:Name>{name}</ram:Name>{legal}
    <ram:PostalTradeAddress><ram:PostcodeCode>69002</ram:PostcodeCode><ram:LineOne>{street}</ram:LineOne>
     <ram:CityName>Lyon</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>{address}
   </ram:{tag}>"""


def line_xml(line_id, name, price, rate="20"):
    tax = (f"<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>"
           f"<ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent></ram:ApplicableTradeTax>"
           if rate is not None else "")  # fmt: skip
    product = f"<ram:Name>{name}</ram:Name>" if name else ""
    return f"""<ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>{line_id}</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct>{product}</ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{price}</ram:ChargeAmount>
    </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">1</ram:BilledQuantity>
   </ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>{tax}
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{price}</ram:LineTotalAmount>
    </ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>"""


def cii(number="FAC/2026/00042", type_code="380", price="100.00", *, lines=None, guideline=EN16931, process="S1",
        notes=NOTES, seller=SELLER, buyer=BUYER, buyer_address=None, grand_total=None, vat_rate="20"):  # fmt: skip
    """A complete EN 16931 invoice of a French seller to a French business buyer, valid for the
    XSD and the rules; the keywords break one thing at a time. ``lines``: [(name, price, rate)]."""
    lines = lines or [("Entretien chaudière", price, vat_rate)]
    net = sum(Decimal(amount) for __, amount, __ in lines)
    taxed = {}
    for __, amount, rate in lines:
        if rate is not None:
            taxed[rate] = taxed.get(rate, Decimal(0)) + Decimal(amount)
    breakdown = "".join(
        f"<ram:ApplicableTradeTax><ram:CalculatedAmount>{base * Decimal(rate) / 100:.2f}</ram:CalculatedAmount>"
        f"<ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{base:.2f}</ram:BasisAmount>"
        f"<ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>{rate}</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax>"
        for rate, base in taxed.items()
    )
    vat = sum((base * Decimal(rate) / 100).quantize(Decimal("0.01")) for rate, base in taxed.items())
    total = grand_total or f"{net + vat:.2f}"
    process_xml = (f"<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>{process}</ram:ID>"
                   "</ram:BusinessProcessSpecifiedDocumentContextParameter>" if process else "")  # fmt: skip
    notes_xml = "".join(f"<ram:IncludedNote><ram:Content>{content}</ram:Content><ram:SubjectCode>{code}"
                        "</ram:SubjectCode></ram:IncludedNote>" for code, content in notes.items())  # fmt: skip
    lines_xml = "".join(line_xml(index, *line) for index, line in enumerate(lines, 1))
    buyer_address = buyer if buyer_address is None else buyer_address
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="{RAM}" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
  xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
 <rsm:ExchangedDocumentContext>{process_xml}
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20261203</udt:DateTimeString></ram:IssueDateTime>{notes_xml}
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>{lines_xml}
  <ram:ApplicableHeaderTradeAgreement>
   {party("SellerTradeParty", "Chauffage SA", seller, seller)}
   {party("BuyerTradeParty", "Copropriété", buyer, buyer_address)}
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>{breakdown}
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>{net:.2f}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{net:.2f}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">{vat:.2f}</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>{total}</ram:GrandTotalAmount><ram:DuePayableAmount>{total}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>""".encode()


def facturx(number="FAC/2026/00042", **kwargs):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", cii(number, **kwargs))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class WebhookReceiver:
    """A loopback HTTP server that keeps the webhook calls it receives."""

    def __init__(self):
        self.calls = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((self.headers, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/l10n_fr_pa_flow/webhook/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    simulator = PaSimulator(tmp_path_factory.mktemp("pa"), webhook_secret="s3cret")
    simulator.start()
    yield simulator.url
    simulator.stop()


@pytest.fixture
def pa(simulator):
    client = Pa(simulator)
    client.control("reset", {})
    client.control("config", {"webhookUrl": None, "webhookOnDeposit": False, "checks": True, "directory": None})
    return client


def assert_error(response, status, code=None):
    """The OpenAPI's Error body: required errorCode (string), errorMessage (string) if present."""
    assert response.status_code == status, (response.status_code, response.text)
    assert status in ERROR_STATUSES
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["errorCode"], str) and body["errorCode"]
    assert isinstance(body.get("errorMessage", ""), str)
    if code:
        assert body["errorCode"] == code, body
    return body


# ---------------------------------------------------------------------------------------------
def frr(type_code="IN", issued="20261211063000", base="100.00", tax="20.00", block=None):
    """An e-reporting file (10.3, one day of sales to individuals), as the DGFiP XSD v3.2 has it."""
    block = (
        block
        or f"""<TransactionsReport>
  <ReportPeriod><StartDate>20261201</StartDate><EndDate>20261210</EndDate></ReportPeriod>
  <Transactions><Date>20261203</Date><TransactionsCurrency>EUR</TransactionsCurrency><CategoryCode>TPS1</CategoryCode>
   <TaxExclusiveAmount>{base}</TaxExclusiveAmount><TaxTotal>{tax}</TaxTotal>
   <TaxSubtotal><TaxPercent>20.00</TaxPercent><TaxableAmount>100.00</TaxableAmount><TaxTotal>20.00</TaxTotal></TaxSubtotal>
  </Transactions>
 </TransactionsReport>"""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Report>
 <ReportDocument><Id>ER-{SELLER}-20261201-20261210-T-{type_code}{uuid.uuid4().hex[:6]}</Id>
  <IssueDateTime><DateTimeString>{issued}</DateTimeString></IssueDateTime><TypeCode>{type_code}</TypeCode>
  <Sender><Id schemeId="0002">{SELLER}</Id><Name>Chauffage SA</Name><RoleCode>SE</RoleCode></Sender>
  <Issuer><Id schemeId="0002">{SELLER}</Id><Name>Chauffage SA</Name><RoleCode>SE</RoleCode></Issuer>
 </ReportDocument>
 {block}
</Report>""".encode()


def test_token_client_credentials(pa):
    assert pa.get_token("demo", "wrong").status_code == 401
    assert pa.get_token("other", "demo").json() == {"error": "invalid_client"}
    response = pa.http.post(f"{pa.url}/oauth/token", data={"grant_type": "password"}, timeout=10)
    assert response.json() == {"error": "unsupported_grant_type"}
    response = pa.http.post(
        f"{pa.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=("demo", "demo"), timeout=10
    )
    body = response.json()
    assert response.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] > 0
    ok = pa.http.get(f"{pa.url}/v1/healthcheck", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert ok.status_code == 200


def test_bearer_on_every_route(pa):
    routes = [("GET", "/v1/healthcheck"), ("POST", "/v1/flows"), ("POST", "/v1/flows/search"),
              ("GET", f"/v1/flows/{uuid.uuid4()}")]  # fmt: skip
    for method, path in routes:
        assert_error(pa.http.request(method, pa.url + path, timeout=10), 401, "MISSING_TOKEN")
        response = pa.http.request(method, pa.url + path, headers={"Authorization": "Bearer forged"}, timeout=10)
        assert_error(response, 401, "INVALID_TOKEN")
        response = pa.http.request(method, pa.url + path, headers={"Authorization": "Basic ZGVtbzpkZW1v"}, timeout=10)
        assert_error(response, 401)
    assert pa.control("requests")["requests"][-1]["status"] == 401


def test_happy_path_deposit_lifecycle_download(pa):
    pdf = facturx("FAC/2026/00042")
    info = pa.flow_info(pdf)
    response = pa.deposit(pdf, info)
    assert response.status_code == 202, response.text
    ack = response.json()
    # FullFlowInfo: flowId + submittedAt + the FlowInfo; the Flow's acknowledgement added
    assert len(ack["flowId"]) <= 36 and ack["submittedAt"].endswith("Z")
    for key in ("trackingId", "name", "processingRule", "flowSyntax", "flowProfile", "sha256"):
        assert ack[key] == info[key]
    assert ack["acknowledgement"] == {"status": "Ok"}
    # the invoice flow and its "200 Déposée" lifecycle flow, found by search
    found = pa.search({"trackingId": info["trackingId"]}).json()
    assert [flow["flowId"] for flow in found["results"]] == [ack["flowId"]]
    assert found["results"][0]["flowType"] == "CustomerInvoice" and found["results"][0]["flowDirection"] == "Out"
    lifecycle = pa.search({"flowType": ["CustomerInvoiceLC"], "flowDirection": ["In"]}).json()["results"]
    assert len(lifecycle) == 1 and lifecycle[0]["flowSyntax"] == "CDAR"
    assert lifecycle[0]["acknowledgement"]["status"] == "Ok" and lifecycle[0]["updatedAt"] >= ack["submittedAt"]
    metadata = pa.get(lifecycle[0]["flowId"])
    assert metadata.status_code == 200 and metadata.json() == lifecycle[0]
    download = pa.get(lifecycle[0]["flowId"], "Original")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;filename=")
    cdar = etree.fromstring(download.content)
    reference = "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
    assert cdar.findtext(f"{reference}/ram:IssuerAssignedID", namespaces=NS) == "FAC/2026/00042"
    assert cdar.findtext(f"{reference}/ram:ProcessConditionCode", namespaces=NS) == "200"
    assert cdar.findtext(f"{reference}/ram:ProcessCondition", namespaces=NS) == "Déposée"
    assert cdar.findtext(f"{reference}/ram:IssuerTradeParty/ram:GlobalID", namespaces=NS) == SELLER
    assert cdar.findtext("rsm:ExchangedDocument/ram:SenderTradeParty/ram:RoleCode", namespaces=NS) == "WK"
    # the original invoice is downloadable as sent, the other documents do not exist here
    assert pa.get(ack["flowId"], "Original").content == pdf
    assert_error(pa.get(ack["flowId"], "ReadableView"), 404, "MISSING_RESOURCE")
    assert_error(pa.get(str(uuid.uuid4())), 404, "MISSING_RESOURCE")
    # what the simulator read from the Factur-X
    flows = pa.control("flows")["flows"]
    invoice = flows[0]["invoice"]
    assert invoice["number"] == "FAC/2026/00042" and invoice["date"] == "20261203"
    assert (invoice["sellerSiren"], invoice["buyerSiren"], invoice["totalAmount"]) == (SELLER, BUYER, "120.00")


def test_deposit_refusals_per_openapi(pa):
    pdf = facturx()
    good = pa.flow_info(pdf)
    assert_error(pa.deposit(pdf, {**good, "flowSyntax": "PDF"}), 400, "INVALID_FIELD_VALUE")
    assert_error(pa.deposit(pdf, {key: v for key, v in good.items() if key != "flowSyntax"}), 400)
    assert_error(pa.deposit(pdf, {**good, "processingRule": "b2b"}), 400)
    assert_error(pa.deposit(pdf, {**good, "flowProfile": "EN16931"}), 400)
    assert_error(pa.deposit(pdf, {**good, "sha256": good["sha256"].upper()}), 400, "INVALID_FIELD_FORMAT")
    assert_error(pa.deposit(pdf, {**good, "trackingId": "x" * 37}), 400, "INVALID_FIELD_FORMAT")
    assert_error(pa.deposit(pdf, {**good, "name": "n" * 256}), 400)
    assert_error(pa.deposit(pdf, {**good, "flowType": "CustomerInvoice"}), 400, "INVALID_FIELD")
    assert_error(pa.deposit(pdf, "{not json"), 400, "INVALID_FIELD_FORMAT")
    assert_error(pa.deposit(pdf, good, info_type="text/plain"), 400, "INVALID_CONTENT_TYPE")
    assert_error(pa.deposit(pdf, good, file_type="application/octet-stream"), 400, "INVALID_CONTENT_TYPE")
    # a PDF declared as CII: consistent request, inconsistent entity
    assert_error(pa.deposit(pdf, {**good, "flowSyntax": "CII"}), 422, "UNPROCESSABLE_ENTITY")
    # parts missing, or not multipart at all
    response = pa.http.post(f"{pa.url}/v1/flows", files={"flowInfo": (None, json.dumps(good), "application/json")},
                            headers=pa.auth(), timeout=10)  # fmt: skip
    assert_error(response, 400, "MISSING_REQUIRED_FIELD")
    response = pa.http.post(f"{pa.url}/v1/flows", json=good, headers=pa.auth(), timeout=10)
    assert_error(response, 400, "INVALID_CONTENT_TYPE")
    pa.control("config", {"maxFileSize": 1000})
    assert_error(pa.deposit(pdf, good), 413, "FILE_SIZE_EXCEEDED")
    pa.control("config", {"maxFileSize": 10 * 1024 * 1024})
    headers = {**pa.auth(), "X-Request-Id": "not-a-uuid"}
    assert_error(pa.http.get(f"{pa.url}/v1/healthcheck", headers=headers, timeout=10), 400)
    assert pa.control("flows")["flows"] == []  # nothing refused was stored


def test_acknowledgement_errors(pa):
    """Checks on the content are answered the standard's way: a flow with an Error ack."""
    pdf = facturx()

    def reason(response):
        assert response.status_code == 202, response.text
        ack = response.json()["acknowledgement"]
        assert ack["status"] == "Error" and len(ack["details"]) >= 1
        detail = ack["details"][0]
        assert set(detail) == {"level", "item", "reasonCode", "reasonMessage"} and detail["level"] == "Error"
        return detail["reasonCode"]

    assert reason(pa.deposit(pdf, {**pa.flow_info(pdf), "sha256": "0" * 64})) == "ChecksumMismatch"
    assert reason(pa.deposit(b"", pa.flow_info(b""))) == "EmptyFlow"
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.write(blank)
    assert reason(pa.deposit(blank.getvalue())) == "InvalidSchema"  # a PDF without factur-x.xml
    assert reason(pa.deposit(b"<a>", file_type="application/xml", syntax="CII")) == "InvalidSchema"
    # the same trackingId twice: one accepted flow, the second acknowledged AlreadyExistingFlow
    info = pa.flow_info(pdf)
    first = pa.deposit(pdf, info).json()
    assert first["acknowledgement"]["status"] == "Ok"
    second = pa.deposit(pdf, info)
    assert reason(second) == "AlreadyExistingFlow"
    assert first["flowId"] in second.json()["acknowledgement"]["details"][0]["reasonMessage"]
    accepted = pa.search({"trackingId": info["trackingId"], "ackStatus": "Ok"}).json()["results"]
    assert [flow["flowId"] for flow in accepted] == [first["flowId"]]
    errors = pa.search({"ackStatus": "Error", "flowType": ["CustomerInvoice"]}).json()["results"]
    assert len(errors) == 5
    # a forced rejection with the reason code asked for, once
    pa.control("mode", {"mode": "reject", "reasonCode": "VirusFound", "count": 1})
    assert reason(pa.deposit(pdf)) == "VirusFound"
    assert pa.deposit(pdf).json()["acknowledgement"]["status"] == "Ok"


def test_search_checks_and_pagination(pa):
    bad = [
        {},  # where is required
        {"where": {}},  # at least one filter
        {"where": {"flowType": ["CustomerInvoiceLC"]}, "limit": 101},
        {"where": {"flowType": "CustomerInvoiceLC"}},  # an array
        {"where": {"flowType": ["Invoice"]}},
        {"where": {"flowDirection": ["Inbound"]}},
        {"where": {"ackStatus": "OK"}},
        {"where": {"updatedAfter": "2026-12-03 10:00:00"}},
        {"where": {"trackingId": "t" * 37}},
        {"where": {"flowId": "x"}},  # no longer a criterion in 1.1.0
    ]
    for body in bad:
        response = pa.http.post(f"{pa.url}/v1/flows/search", json=body, headers=pa.auth(), timeout=10)
        assert_error(response, 400)
    response = pa.http.post(f"{pa.url}/v1/flows/search", data="{}", headers=pa.auth(), timeout=10)
    assert_error(response, 400, "INVALID_CONTENT_TYPE")
    for index in range(5):
        assert pa.deposit(facturx(f"FAC/2026/1000{index}")).status_code == 202
    seen, after = [], "2000-01-01T00:00:00Z"
    while True:
        page = pa.search({"updatedAfter": after, "flowType": ["CustomerInvoiceLC"]}, limit=2).json()
        assert page["limit"] == 2 and page["filters"]["updatedAfter"] == after
        if not page["results"]:
            break
        assert len(page["results"]) <= 2
        seen += [flow["flowId"] for flow in page["results"]]
        after = page["results"][-1]["updatedAt"]
    assert len(seen) == len(set(seen)) == 5


def test_faults_then_recovery(pa):
    pdf = facturx()
    info = pa.flow_info(pdf)
    pa.control("mode", {"mode": "fail", "status": 429, "count": 2})
    assert_error(pa.deposit(pdf, info), 429, "TOO_MANY_REQUESTS")
    assert_error(pa.deposit(pdf, info), 429)
    assert pa.deposit(pdf, info).json()["acknowledgement"]["status"] == "Ok"
    logged = [r["status"] for r in pa.control("requests")["requests"] if r.get("trackingId") == info["trackingId"]]
    assert logged == [429, 429, 202]
    pa.control("mode", {"mode": "fail", "status": 503})  # until changed
    for __ in range(3):
        assert_error(pa.deposit(pdf, info), 503, "RESOURCE_ERROR")
    pa.control("mode", {"mode": "down"})
    with pytest.raises(requests.ConnectionError):
        pa.deposit(pdf, info)
    with pytest.raises(requests.ConnectionError):
        pa.get_token()
    pa.control("mode", {"mode": "accept"})
    # stored, answered too late for the client: the retry is acknowledged AlreadyExistingFlow
    pa.control("mode", {"mode": "delay", "seconds": 3, "count": 1})
    with pytest.raises(requests.Timeout):
        pa.http.post(
            f"{pa.url}/v1/flows",
            files={"flowInfo": (None, json.dumps(pa.flow_info(pdf, tracking="late-1")), "application/json"),
                   "file": ("f.pdf", pdf, "application/pdf")},
            headers=pa.auth(), timeout=1,
        )  # fmt: skip
    retry = pa.deposit(pdf, pa.flow_info(pdf, tracking="late-1")).json()
    time.sleep(2.5)  # the late answer is logged when it is written
    attempts = [r for r in pa.control("requests")["requests"] if r.get("trackingId") == "late-1"]
    assert sorted(r.get("ackStatus") for r in attempts) == ["Error", "Ok"]
    assert retry["acknowledgement"]["details"][0]["reasonCode"] == "AlreadyExistingFlow"
    accepted = [f for f in pa.control("flows")["flows"] if f["flow"]["acknowledgement"]["status"] == "Ok"
                and f["flow"]["flowType"] == "CustomerInvoice"]  # fmt: skip
    assert sorted(f["flow"]["trackingId"] for f in accepted) == sorted([info["trackingId"], "late-1"])


def test_lifecycle_webhook_signed_and_cdar_deposit(pa):
    receiver = WebhookReceiver()
    try:
        pa.control("config", {"webhookUrl": receiver.url, "webhookSecret": "s3cret"})
        pdf = facturx("FAC/2026/00077", price="200.00")
        pa.deposit(pdf)
        emitted = pa.control(
            "lifecycle",
            {"invoice": "FAC/2026/00077", "code": 210, "reasonCode": "REF_PRIX", "reason": "Prix erroné",
             "statusDate": "2026-12-01T09:00:00Z", "duplicate": True},
        )  # fmt: skip
        assert [d["status"] for d in emitted["webhook"]] == [200, 200]
        assert len(receiver.calls) == 2 and receiver.calls[0][1] == receiver.calls[1][1]
        headers, body = receiver.calls[0]
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-PA-Signature"] == f"sha256={expected}"
        flow = json.loads(body)["flowInfo"]  # WebhookCallbackContent
        assert flow == emitted["flow"] and flow["flowType"] == "CustomerInvoiceLC"
        cdar = etree.fromstring(pa.get(flow["flowId"], "Original").content)
        reference = "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"
        assert cdar.findtext(f"{reference}/ram:ProcessConditionCode", namespaces=NS) == "210"
        assert cdar.findtext(f"{reference}/ram:SpecifiedDocumentStatus/ram:ReasonCode", namespaces=NS) == "REF_PRIX"
        assert cdar.findtext("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", namespaces=NS) == (
            "20261201090000"
        )
        assert cdar.findtext("rsm:ExchangedDocument/ram:SenderTradeParty/ram:RoleCode", namespaces=NS) == "BY"
    finally:
        receiver.stop()
    # the seller's "212 Encaissée" with the amount collected, as our connector sends it
    invoice = {"number": "FAC/2026/00077", "typeCode": "380", "date": "20261203", "sellerSiren": SELLER,
               "buyerSiren": BUYER, "currency": "EUR"}  # fmt: skip
    message = pa_simulator.build_cdar(invoice, "212", "Encaissée", amount="240.00")
    response = pa.deposit(message, file_type="application/xml", syntax="CDAR")
    assert response.json()["acknowledgement"] == {"status": "Ok"}, response.text
    received = [f for f in pa.control("flows")["flows"] if f["flow"]["flowSyntax"] == "CDAR"
                and f["flow"]["flowDirection"] == "Out"]  # fmt: skip
    assert received[0]["cdar"]["references"][0]["amounts"] == [
        {"typeCode": "MEN", "amount": "240.00", "currency": "EUR"}
    ]
    assert received[0]["flow"]["flowType"] == "CustomerInvoiceLC"
    # a status for an invoice the platform never received, or not the seller's to send
    unknown = pa_simulator.build_cdar({**invoice, "number": "NOPE"}, "212", "Encaissée", amount="1.00")
    ack = pa.deposit(unknown, file_type="application/xml", syntax="CDAR").json()["acknowledgement"]
    assert ack["details"][0]["reasonCode"] == "InvoiceLCRuleError"
    approved = pa_simulator.build_cdar(invoice, "205", "Approuvée")
    ack = pa.deposit(approved, file_type="application/xml", syntax="CDAR").json()["acknowledgement"]
    assert ack["details"][0]["reasonCode"] == "InvoiceLCAccessDenied"
    no_amount = pa_simulator.build_cdar(invoice, "212", "Encaissée")
    ack = pa.deposit(no_amount, file_type="application/xml", syntax="CDAR").json()["acknowledgement"]
    assert ack["details"][0]["reasonCode"] == "InvoiceLCRuleError"


# ---------------------------------------------------------------------------------------------
# The platform's checks of the invoices it receives
# ---------------------------------------------------------------------------------------------
def lifecycle_of(pa, number):
    """[(code, reasonCode, reason)] of the lifecycle flows the platform emitted for the invoice
    ``number``, read from their CDAR as the connector does."""
    found = []
    for flow in pa.search({"flowType": ["CustomerInvoiceLC"], "flowDirection": ["In"]}).json()["results"]:
        cdar = etree.fromstring(pa.get(flow["flowId"], "Original").content)
        reference = cdar.find("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NS)
        if reference.findtext("ram:IssuerAssignedID", namespaces=NS) == number:
            found.append((
                reference.findtext("ram:ProcessConditionCode", namespaces=NS),
                reference.findtext("ram:SpecifiedDocumentStatus/ram:ReasonCode", namespaces=NS),
                reference.findtext("ram:SpecifiedDocumentStatus/ram:Reason", namespaces=NS),
            ))  # fmt: skip
    return found


def deposit_ok(pa, data, syntax="CII"):
    file_type = "application/pdf" if syntax == "Factur-X" else "application/xml"
    response = pa.deposit(data, file_type=file_type, syntax=syntax)
    assert response.status_code == 202, response.text
    ack = response.json()["acknowledgement"]
    assert ack == {"status": "Ok"}, ack
    return response.json()


def test_valid_invoices_are_accepted(pa):
    """A complete invoice passes the XSD of its profile and the rules: "200 Déposée" only."""
    deposit_ok(pa, facturx("FAC/2026/00100"), "Factur-X")
    deposit_ok(pa, cii("FAC/2026/00101", guideline=EXTENDED), "CII")
    deposit_ok(pa, cii("FAC/2026/00102", lines=[("Main d'oeuvre", "150.00", "20"), ("Filtre", "12.50", "5.5")]))
    deposit_ok(pa, cii("AV/2026/00001", type_code="381"))
    for number in ("FAC/2026/00100", "FAC/2026/00101", "FAC/2026/00102", "AV/2026/00001"):
        assert lifecycle_of(pa, number) == [("200", None, None)], number
    assert all(flow["rejection"] is None for flow in pa.control("flows")["flows"])


def test_xsd_invalid_file_gets_an_error_acknowledgement(pa):
    """What the platform cannot read as its format says is not deposited: an Error
    acknowledgement InvalidSchema (IRR_SYNTAX), no lifecycle."""
    cases = {
        "line without item name": cii("FAC/2026/00110", lines=[("", "100.00", "20")]),
        "EN 16931 line without VAT": cii("FAC/2026/00111", lines=[("Pièce", "100.00", None)]),
        "MINIMUM profile": cii("FAC/2026/00112", guideline="urn:factur-x.eu:1p0:minimum"),
        "unknown profile": cii("FAC/2026/00113", guideline="urn:example:invoice"),
    }
    for case, data in cases.items():
        response = pa.deposit(data, file_type="application/xml", syntax="CII")
        assert response.status_code == 202, response.text
        ack = response.json()["acknowledgement"]
        assert ack["status"] == "Error", case
        assert ack["details"][0]["reasonCode"] == "InvalidSchema", (case, ack)
    first = pa.deposit(cases["line without item name"], file_type="application/xml", syntax="CII").json()
    assert "XSD" in first["acknowledgement"]["details"][0]["reasonMessage"]
    assert "SpecifiedTradeProduct" in first["acknowledgement"]["details"][0]["reasonMessage"]
    # the same file in a Factur-X PDF
    ack = pa.deposit(facturx("FAC/2026/00114", lines=[("", "10.00", "20")])).json()["acknowledgement"]
    assert ack["details"][0]["reasonCode"] == "InvalidSchema"
    assert pa.search({"flowType": ["CustomerInvoiceLC"]}).json()["results"] == []


def test_semantic_rules_reject_with_213(pa):
    """A readable, XSD-valid file that breaks EN 16931 / BR-FR rules is deposited ("200
    Déposée"), then rejected: "213 Rejetée", reason REJ_SEMAN and the rules' ids."""
    cases = {
        # EXTENDED allows a line without VAT in its XSD: EN 16931 rules do not
        "FAC/2026/00120": (
            {"guideline": EXTENDED, "lines": [("Main d'oeuvre", "100.00", "20"), ("Pièce", "50.00", None)]},
            ["BR-CO-04"],
        ),
        "FAC/2026/00121": ({"grand_total": "130.00"}, ["BR-CO-15"]),
        "FAC/2026/00122": ({"process": None, "notes": {}}, ["BR-FR-05", "BR-FR-08"]),
        "FAC/2026/00123": ({"buyer": None, "buyer_address": "493000012"}, ["BR-FR-11", "BR-FR-21"]),
        "FAC 2026 124": ({}, ["BR-FR-02"]),
        "FAC/2026/00125": ({"vat_rate": "19"}, ["BR-FR-16"]),
    }
    for number, (options, rules) in cases.items():
        flow = deposit_ok(pa, cii(number, **options))
        lifecycle = lifecycle_of(pa, number)
        assert [(code, reason) for code, reason, __ in lifecycle] == [("200", None), ("213", "REJ_SEMAN")], number
        for rule in rules:
            assert rule in lifecycle[1][2], (number, rule, lifecycle[1][2])
        (stored,) = [f for f in pa.control("flows")["flows"] if f["flow"]["flowId"] == flow["flowId"]]
        assert sorted({r["rule"] for r in stored["rejection"]["rules"]}) == rules, stored["rejection"]
    # the CDAR of the rejection, as the standard's example (XP Z12-014 UC2)
    lifecycle = pa.search({"flowType": ["CustomerInvoiceLC"], "flowDirection": ["In"]}).json()["results"]
    cdar = etree.fromstring(pa.get(lifecycle[1]["flowId"], "Original").content)
    reference = cdar.find("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NS)
    assert reference.findtext("ram:ProcessCondition", namespaces=NS) == "Rejetée"
    assert cdar.findtext("rsm:ExchangedDocument/ram:SenderTradeParty/ram:RoleCode", namespaces=NS) == "WK"
    # a rejected invoice was not issued: corrected, it is deposited again under its number
    deposit_ok(pa, cii("FAC/2026/00121"))
    assert [code for code, __, __ in lifecycle_of(pa, "FAC/2026/00121")] == ["200", "213", "200"]


def test_directory_and_referential(pa):
    """What the ERP cannot check before: the buyer's address in the directory (REJ_ADR), a
    SIREN that does not exist (REJ_COH), an invoice number already issued (REJ_UNI)."""
    pa.control("config", {"directory": [SELLER, "493000012_COMPTA"]})
    deposit_ok(pa, cii("FAC/2026/00130"))  # to 493000012: the buyer receives at 493000012_COMPTA only
    ((__, __, __), (code, reason_code, reason)) = lifecycle_of(pa, "FAC/2026/00130")
    assert (code, reason_code) == ("213", "REJ_ADR") and "BT-49" in reason and "493000012" in reason
    deposit_ok(pa, cii("FAC/2026/00130", buyer_address="493000012_COMPTA"))
    assert [c for c, __, __ in lifecycle_of(pa, "FAC/2026/00130")] == ["200", "213", "200"]
    # the directory registers the buyer's SIREN: its invoices to the SIREN are received
    pa.control("config", {"directory": [SELLER, "493000012", "493000012_COMPTA"]})
    deposit_ok(pa, cii("FAC/2026/00131"))
    assert [c for c, __, __ in lifecycle_of(pa, "FAC/2026/00131")] == ["200"]
    # the default directory: every valid SIREN, and its routing codes
    pa.control("config", {"directory": None})
    deposit_ok(pa, cii("FAC/2026/00132", buyer="493000013"))  # 9 digits (BR-FR-11), not a SIREN
    ((__, __, __), (code, reason_code, reason)) = lifecycle_of(pa, "FAC/2026/00132")
    assert (code, reason_code) == ("213", "REJ_COH") and "BT-47" in reason
    deposit_ok(pa, cii("FAC/2026/00133", buyer_address="493000012_ACHATS"))
    assert [c for c, __, __ in lifecycle_of(pa, "FAC/2026/00133")] == ["200"]
    # the same invoice number of the same seller, the same year: not issued twice
    deposit_ok(pa, cii("FAC/2026/00133", price="80.00"))
    assert [(c, r) for c, r, __ in lifecycle_of(pa, "FAC/2026/00133")] == [("200", None), ("200", None),
                                                                          ("213", "REJ_UNI")]  # fmt: skip
    # a 213 sent through the control API rejects the invoice too: its number may come again
    pa.control("lifecycle", {"invoice": "FAC/2026/00131", "code": 213, "reasonCode": "REJ_COH", "reason": "BT-48"})
    deposit_ok(pa, cii("FAC/2026/00131", price="90.00"))
    assert [c for c, __, __ in lifecycle_of(pa, "FAC/2026/00131")] == ["200", "213", "200"]
    # the platform's checks off: a file readable is enough
    pa.control("config", {"checks": False})
    deposit_ok(pa, cii("FAC/2026/00134", grand_total="1.00", process=None))
    assert [c for c, __, __ in lifecycle_of(pa, "FAC/2026/00134")] == ["200"]
    response = pa.http.post(f"{pa.url}/_sim/config", json={"directory": "493000012"}, timeout=10)
    assert response.status_code == 400


def test_control_api_checks(pa):
    for payload in ({"mode": "explode"}, {"mode": "fail", "status": 418}, {"mode": "fail", "count": 0}):
        response = pa.http.post(f"{pa.url}/_sim/mode", json=payload, timeout=10)
        assert response.status_code == 400
    response = pa.http.post(f"{pa.url}/_sim/lifecycle", json={"invoice": "NONE", "code": 205}, timeout=10)
    assert response.status_code == 400
    response = pa.http.post(f"{pa.url}/_sim/lifecycle", json={"invoice": "NONE", "code": 299}, timeout=10)
    assert response.status_code == 400
    assert_error(pa.http.get(f"{pa.url}/v1/nothing", headers=pa.auth(), timeout=10), 404)


def test_ereporting_frr_deposits(pa):
    """E-reporting files (FRR) are accepted when they pass the DGFiP rules the simulator checks,
    their flowType read from their content; a file that breaks a rule gets an Error ack."""

    def ack(data):
        response = pa.deposit(data, pa.flow_info(data, syntax="FRR", processingRule="NotApplicable"),
                              file_type="application/xml")  # fmt: skip
        assert response.status_code == 202, response.text
        return response.json()

    report = frr()
    good = ack(report)
    assert good["acknowledgement"] == {"status": "Ok"}, good
    flow = pa.get(good["flowId"]).json()
    assert (flow["flowType"], flow["flowSyntax"]) == ("AggregatedCustomerTransactionReport", "FRR")
    assert pa.get(good["flowId"], "Original").content == report
    duplicate = ack(report)["acknowledgement"]  # the same transmission Id again (G8.05)
    assert duplicate["details"][0]["reasonCode"] == "AlreadyExistingFlow", duplicate
    assert ack(frr("RE"))["acknowledgement"]["status"] == "Ok"
    payments = """<PaymentsReport>
     <ReportPeriod><StartDate>20261201</StartDate><EndDate>20261210</EndDate></ReportPeriod>
     <Transactions><Payment><Date>20261205</Date><SubTotals><TaxPercent>20.00</TaxPercent><Amount>120.00</Amount>
     </SubTotals></Payment></Transactions></PaymentsReport>"""
    assert pa.get(ack(frr(block=payments))["flowId"]).json()["flowType"] == "AggregatedCustomerPaymentReport"
    for data, rule in (
        (frr("MO"), "G8.01"),
        (frr(issued="20261210120000"), "G7.43"),
        (frr(base="90.00"), "G1.53"),
        (frr(block=payments.replace("20.00", "19.00")), "G1.24"),
        (frr().replace(b"</TransactionsReport>", b"</TransactionsReport>" + payments.encode()), "G6.29"),
        (b"<Report xmlns='urn:x'/>", "XSD"),
    ):
        answer = ack(data)["acknowledgement"]
        assert answer["status"] == "Error" and answer["details"][0]["reasonCode"] == "InvalidSchema", answer
        assert answer["details"][0]["reasonMessage"].startswith(rule), answer
    # no lifecycle invoice status for a report
    assert not pa.search({"flowType": ["CustomerInvoiceLC"]}).json()["results"]
