"""CDAR lifecycle messages (UN/CEFACT Cross Domain Acknowledgement And Response D22B) as the
French e-invoicing rules use them: one invoice status per message (XP Z12-012, "CDV").

Pure lxml: :func:`build_cdar` writes a message, :func:`parse_cdar` reads one. Element names and
their order are those of the D22B schema; the message carries, for the referenced invoice, its
number, type, date, seller SIREN, the status code and, for 212 "Encaissée", the amount collected
per VAT rate.

The acknowledgement type (MDT-77) follows the sender: "305" (transmission phase) for a status of
a platform (role WK), "23" (processing phase) for one of the seller or the buyer, whose
ExchangedDocument then names its issuer (MDT-38/40). A recipient other than a platform carries its
electronic address (MDT-73, scheme 0225).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
BUSINESS_PROCESS = "REGULATED"
GUIDELINE = "urn.cpro.gouv.fr:1p0:CDV:invoice"
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the SIREN
ADDRESS_SCHEME = "0225"  # French e-invoicing directory address
ACK_TRANSMISSION, ACK_PROCESSING = "305", "23"  # MDT-77: a platform's status, a party's status
COLLECTED_AMOUNT_TYPE = "MEN"  # "montant encaissé" of a 212 status
ROLE_SELLER, ROLE_BUYER, ROLE_PLATFORM = "SE", "BY", "WK"


class CdarError(ValueError):
    """The document is not a lifecycle message this module understands."""


@dataclass
class Party:
    siren: str
    role: str
    address: str = ""  # electronic address (MDT-73, URIID)
    address_scheme: str = ADDRESS_SCHEME


@dataclass
class CollectedAmount:
    """Part of a 212 "Encaissée": the amount collected (tax included) at one VAT rate."""

    amount: Decimal
    vat_rate: Decimal | None = None


@dataclass
class LifecycleMessage:
    """One status of one invoice."""

    message_id: str
    status_code: str
    invoice_number: str
    invoice_date: date
    seller_siren: str
    issued_at: datetime  # UTC, naive
    type_code: str = "380"
    status_label: str = ""
    name: str = ""
    sender: Party | None = None
    recipient: Party | None = None
    issuer: Party | None = None  # ExchangedDocument's issuer (MDT-38/40), for a 23
    ack_type_code: str = ""  # MDT-77; empty: from the sender's role
    reason_code: str = ""
    reason: str = ""
    amount: Decimal | None = None  # total collected (212); the sum of ``collected`` when given
    collected: list[CollectedAmount] = field(default_factory=list)  # per VAT rate
    currency: str = "EUR"
    extra: dict = field(default_factory=dict)


def _q(prefix, tag):
    return f"{{{NS[prefix]}}}{tag}"


def _sub(parent, prefix, tag, text=None, **attrib):
    element = etree.SubElement(parent, _q(prefix, tag), attrib)
    if text is not None:
        element.text = str(text)
    return element


def _party(parent, tag, party):
    element = _sub(parent, "ram", tag)
    if party.siren:
        _sub(element, "ram", "GlobalID", party.siren, schemeID=SIREN_SCHEME)
    _sub(element, "ram", "RoleCode", party.role)
    if party.address:
        uri = _sub(element, "ram", "URIUniversalCommunication")
        _sub(uri, "ram", "URIID", party.address, schemeID=party.address_scheme)


def ack_type_code(message):
    """MDT-77 of ``message``: its own, else 305 for a platform's status, 23 for a party's."""
    if message.ack_type_code:
        return message.ack_type_code
    return ACK_TRANSMISSION if message.sender is None or message.sender.role == ROLE_PLATFORM else ACK_PROCESSING


def _percent(value):
    return f"{Decimal(str(value)):.2f}"


def _datetime_204(value):
    if value.tzinfo:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y%m%d%H%M%S")


def build_cdar(message):
    """The XML bytes (UTF-8, with declaration) of ``message``."""
    root = etree.Element(_q("rsm", "CrossDomainAcknowledgementAndResponse"), nsmap=NS)
    context = _sub(root, "rsm", "ExchangedDocumentContext")
    _sub(_sub(context, "ram", "BusinessProcessSpecifiedDocumentContextParameter"), "ram", "ID", BUSINESS_PROCESS)
    _sub(_sub(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ram", "ID", GUIDELINE)

    document = _sub(root, "rsm", "ExchangedDocument")
    _sub(document, "ram", "ID", message.message_id)
    if message.name:
        _sub(document, "ram", "Name", message.name)
    issued = _sub(document, "ram", "IssueDateTime")
    _sub(issued, "udt", "DateTimeString", _datetime_204(message.issued_at), format="204")
    if message.sender:
        _party(document, "SenderTradeParty", message.sender)
    if message.issuer:
        _party(document, "IssuerTradeParty", message.issuer)
    if message.recipient:
        _party(document, "RecipientTradeParty", message.recipient)

    ack = _sub(root, "rsm", "AcknowledgementDocument")
    _sub(_sub(ack, "ram", "MultipleReferencesIndicator"), "udt", "Indicator", "false")
    _sub(ack, "ram", "TypeCode", ack_type_code(message))
    _sub(_sub(ack, "ram", "IssueDateTime"), "udt", "DateTimeString", _datetime_204(message.issued_at), format="204")
    reference = _sub(ack, "ram", "ReferenceReferencedDocument")
    _sub(reference, "ram", "IssuerAssignedID", message.invoice_number)
    _sub(reference, "ram", "TypeCode", message.type_code)
    formatted = _sub(reference, "ram", "FormattedIssueDateTime")
    _sub(formatted, "qdt", "DateTimeString", message.invoice_date.strftime("%Y%m%d"), format="102")
    _sub(reference, "ram", "ProcessConditionCode", message.status_code)
    if message.status_label:
        _sub(reference, "ram", "ProcessCondition", message.status_label)
    issuer = _sub(reference, "ram", "IssuerTradeParty")
    _sub(issuer, "ram", "GlobalID", message.seller_siren, schemeID=SIREN_SCHEME)
    collected = message.collected or ([CollectedAmount(message.amount)] if message.amount is not None else [])
    if message.reason_code or message.reason or collected:
        status = _sub(reference, "ram", "SpecifiedDocumentStatus")
        if message.reason_code:
            _sub(status, "ram", "ReasonCode", message.reason_code)
        if message.reason:
            _sub(status, "ram", "Reason", message.reason)
        _sub(status, "ram", "SequenceNumeric", 1)  # MDT-124-2: the one status detail of the message
        for part in collected:
            characteristic = _sub(status, "ram", "SpecifiedDocumentCharacteristic")
            _sub(characteristic, "ram", "TypeCode", COLLECTED_AMOUNT_TYPE)
            _sub(characteristic, "ram", "ValueAmount", f"{Decimal(part.amount):.2f}", currencyID=message.currency)
            if part.vat_rate is not None:
                _sub(characteristic, "ram", "ValuePercent", _percent(part.vat_rate))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _text(node, path):
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None and found.text else ""


def _read_party(node, path):
    element = node.find(path, NS)
    if element is None:
        return None
    uri = element.find("ram:URIUniversalCommunication/ram:URIID", NS)
    return Party(
        siren=_text(element, "ram:GlobalID"),
        role=_text(element, "ram:RoleCode"),
        address=_text(element, "ram:URIUniversalCommunication/ram:URIID"),
        address_scheme=(uri.get("schemeID") if uri is not None else None) or ADDRESS_SCHEME,
    )


def _parse_204(value):
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError as error:
        raise CdarError(f"bad date-time {value!r} (format 204: YYYYMMDDHHMMSS)") from error


def parse_cdar(content):
    """The :class:`LifecycleMessage` of the first referenced invoice of a CDAR document.

    :param bytes content: the XML document
    :raise CdarError: not a CDAR, or a required element is missing
    """
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise CdarError(f"not XML: {error}") from error
    if root.tag != _q("rsm", "CrossDomainAcknowledgementAndResponse"):
        raise CdarError(f"not a CDAR message: {root.tag}")
    reference = root.find("rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument", NS)
    if reference is None:
        raise CdarError("no ReferenceReferencedDocument")
    message_id = _text(root, "rsm:ExchangedDocument/ram:ID")
    issued = _text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") or _text(
        root, "rsm:AcknowledgementDocument/ram:IssueDateTime/udt:DateTimeString"
    )
    status_code = _text(reference, "ram:ProcessConditionCode")
    number = _text(reference, "ram:IssuerAssignedID")
    invoice_date = _text(reference, "ram:FormattedIssueDateTime/qdt:DateTimeString")
    seller = _text(reference, "ram:IssuerTradeParty/ram:GlobalID")
    missing = [
        name
        for name, value in (
            ("ExchangedDocument/ID", message_id),
            ("IssueDateTime", issued),
            ("ProcessConditionCode", status_code),
            ("IssuerAssignedID", number),
            ("FormattedIssueDateTime", invoice_date),
            ("IssuerTradeParty/GlobalID", seller),
        )
        if not value
    ]
    if missing:
        raise CdarError(f"missing {', '.join(missing)}")
    try:
        parsed_date = datetime.strptime(invoice_date, "%Y%m%d").date()
    except ValueError as error:
        raise CdarError(f"bad invoice date {invoice_date!r} (format 102: YYYYMMDD)") from error
    collected, currency = [], "EUR"
    for characteristic in reference.iterfind("ram:SpecifiedDocumentStatus/ram:SpecifiedDocumentCharacteristic", NS):
        value = characteristic.find("ram:ValueAmount", NS)
        if _text(characteristic, "ram:TypeCode") == COLLECTED_AMOUNT_TYPE and value is not None and value.text:
            rate = _text(characteristic, "ram:ValuePercent")
            try:
                collected.append(CollectedAmount(Decimal(value.text.strip()), Decimal(rate) if rate else None))
            except ArithmeticError as error:
                raise CdarError(f"bad amount {value.text!r} or VAT rate {rate!r}") from error
            currency = value.get("currencyID") or currency
    return LifecycleMessage(
        message_id=message_id,
        status_code=status_code,
        status_label=_text(reference, "ram:ProcessCondition"),
        invoice_number=number,
        invoice_date=parsed_date,
        seller_siren=seller,
        issued_at=_parse_204(issued),
        type_code=_text(reference, "ram:TypeCode") or "380",
        name=_text(root, "rsm:ExchangedDocument/ram:Name"),
        sender=_read_party(root, "rsm:ExchangedDocument/ram:SenderTradeParty"),
        recipient=_read_party(root, "rsm:ExchangedDocument/ram:RecipientTradeParty"),
        issuer=_read_party(root, "rsm:ExchangedDocument/ram:IssuerTradeParty"),
        ack_type_code=_text(root, "rsm:AcknowledgementDocument/ram:TypeCode"),
        reason_code=_text(reference, "ram:SpecifiedDocumentStatus/ram:ReasonCode"),
        reason=_text(reference, "ram:SpecifiedDocumentStatus/ram:Reason"),
        amount=sum((part.amount for part in collected), Decimal(0)) if collected else None,
        collected=collected,
        currency=currency,
    )
