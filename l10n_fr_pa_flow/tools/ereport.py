"""French e-reporting files (DGFiP "flux 10", syntax FRR of the Flow Service, XSD v3.2).

Pure functions: the periods of the reporting schedule, the XML of a report built from plain
values, and a structural check of that XML (the order and cardinality of the official XSD's
elements, the rules G1.24, G1.53, G6.26, G6.29, G8.01 the tests assert).

The document has no namespace (``ereporting.xsd`` has no targetNamespace and its imports no
``elementFormDefault``). One file is one kind of data (rule G6.29): transactions (10.1 unitary
invoices to foreign businesses, 10.3 aggregated sales to individuals) or payments (10.2 unitary,
10.4 aggregated collections of services whose VAT is due on receipt).
"""

import calendar
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

TRANSACTIONS = "transactions"
PAYMENTS = "payments"
# VAT regimes of the company (the reporting schedule, DGFiP Dossier général v3.2 Tableau 13)
REGIME_MONTHLY = "monthly"
REGIME_QUARTERLY = "quarterly"
REGIME_SIMPLIFIED = "simplified"
REGIME_FRANCHISE = "franchise"
# TT-81 categories of aggregated transactions
GOODS = "TLB1"
SERVICES = "TPS1"
NOT_SUBJECT = "TNT1"
# G1.24: the VAT rates a report may carry
RATES = ("0", "20", "10", "5.5", "2.1", "13", "8.5", "19.6", "7", "20.6", "1.05", "0.9", "1.75", "9.2", "9.6")
BUSINESS_PROCESS_TYPE = "urn.cpro.gouv.fr:1p0:ereporting"
TRANSMISSION_ID = re.compile(r"^[A-Za-z0-9 +_/-]{1,50}$")  # G1.104


def period(regime, kind, day):
    """(start, end) of the reporting period of ``kind`` that holds ``day``: decades for the
    transactions of the normal monthly regime (the default), months for its payments and for the
    quarterly and simplified regimes, calendar pairs of months (Jan-Feb...) for the franchise."""
    last = calendar.monthrange(day.year, day.month)[1]
    if regime == REGIME_FRANCHISE:
        first_month = day.month - (day.month - 1) % 2
        start = date(day.year, first_month, 1)
        return start, date(day.year, first_month + 1, calendar.monthrange(day.year, first_month + 1)[1])
    if kind == TRANSACTIONS and regime not in (REGIME_QUARTERLY, REGIME_SIMPLIFIED):
        if day.day <= 10:
            return date(day.year, day.month, 1), date(day.year, day.month, 10)
        if day.day <= 20:
            return date(day.year, day.month, 11), date(day.year, day.month, 20)
        return date(day.year, day.month, 21), date(day.year, day.month, last)
    return date(day.year, day.month, 1), date(day.year, day.month, last)


def last_ended_period(regime, kind, today):
    """(start, end) of the latest period of ``kind`` that ended before ``today``."""
    start, __ = period(regime, kind, today)
    return period(regime, kind, start - timedelta(days=1))


def amount(value, digits=2):
    """An amount as the XSD wants it: a dot, ``digits`` decimals, rounded half up."""
    quantum = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(value or 0.0))).quantize(quantum, rounding=ROUND_HALF_UP) + 0)


def rate(value):
    """A VAT rate written with two decimals ('20.00', '5.50')."""
    return amount(value, 2)


def _day(value):
    return value.strftime("%Y%m%d")


def _sub(parent, tag, value=None, **attrs):
    node = etree.SubElement(parent, tag, {key: val for key, val in attrs.items() if val})
    if value is not None:
        node.text = str(value)
    return node


def build_report(header, kind, start, end, aggregated=(), unitary=()):
    """The XML bytes of one report.

    :param dict header: ``id`` (TT-1), ``name``, ``issued_at`` (datetime), ``type_code`` (IN/RE),
        ``sender_id``, ``sender_scheme``, ``sender_name``, ``sender_role``, ``siren`` and
        ``company_name`` of the declarant
    :param kind: TRANSACTIONS or PAYMENTS
    :param aggregated: transactions: dicts ``date``, ``currency``, ``category``, ``due_code``,
        ``count``, ``subtotals`` [(rate, base, tax)]; payments: dicts ``date``, ``subtotals``
        [(rate, amount)]
    :param unitary: transactions: invoice dicts (see :func:`_invoice`); payments: dicts
        ``number``, ``issue_date``, ``date``, ``subtotals`` [(rate, amount)]
    """
    root = etree.Element("Report")
    document = _sub(root, "ReportDocument")
    _sub(document, "Id", header["id"])
    if header.get("name"):
        _sub(document, "Name", header["name"][:150])
    _sub(_sub(document, "IssueDateTime"), "DateTimeString", header["issued_at"].strftime("%Y%m%d%H%M%S"))
    _sub(document, "TypeCode", header["type_code"])
    sender = _sub(document, "Sender")
    _sub(sender, "Id", header["sender_id"], schemeId=header["sender_scheme"])
    _sub(sender, "Name", header["sender_name"][:150])
    _sub(sender, "RoleCode", header["sender_role"])
    issuer = _sub(document, "Issuer")
    _sub(issuer, "Id", header["siren"], schemeId="0002")
    _sub(issuer, "Name", header["company_name"][:150])
    _sub(issuer, "RoleCode", "SE")
    block = _sub(root, "TransactionsReport" if kind == TRANSACTIONS else "PaymentsReport")
    report_period = _sub(block, "ReportPeriod")
    _sub(report_period, "StartDate", _day(start))
    _sub(report_period, "EndDate", _day(end))
    if kind == TRANSACTIONS:
        for invoice in unitary:
            _invoice(block, invoice)
        for values in aggregated:
            _transactions(block, values)
    else:
        for values in unitary:
            node = _sub(block, "Invoice")
            _sub(node, "InvoiceID", values["number"])
            _sub(node, "IssueDate", _day(values["issue_date"]))
            _payment(node, values)
        for values in aggregated:
            _payment(_sub(block, "Transactions"), values)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _transactions(block, values):
    """TG-31: the sales to individuals of one day, currency and category."""
    node = _sub(block, "Transactions")
    _sub(node, "Date", _day(values["date"]))
    _sub(node, "TransactionsCurrency", values["currency"])
    if values.get("due_code"):
        _sub(node, "TaxDueDateTypeCode", values["due_code"])
    _sub(node, "CategoryCode", values["category"])
    subtotals = values["subtotals"]
    _sub(node, "TaxExclusiveAmount", amount(sum(Decimal(amount(base)) for __, base, __ in subtotals)))
    _sub(node, "TaxTotal", amount(sum(Decimal(amount(tax)) for __, __, tax in subtotals)))
    if values.get("count"):
        _sub(node, "TransactionsCount", values["count"])
    for tax_rate, base, tax in subtotals:
        subtotal = _sub(node, "TaxSubtotal")
        _sub(subtotal, "TaxPercent", rate(tax_rate))
        _sub(subtotal, "TaxableAmount", amount(base))
        _sub(subtotal, "TaxTotal", amount(tax))


def _payment(parent, values):
    """TG-35/TG-38: the collections of one day (10.4) or of one invoice (10.2), per VAT rate."""
    payment = _sub(parent, "Payment")
    _sub(payment, "Date", _day(values["date"]))
    for tax_rate, value in values["subtotals"]:
        subtotals = _sub(payment, "SubTotals")
        _sub(subtotals, "TaxPercent", rate(tax_rate))
        _sub(subtotals, "CurrencyCode", "EUR")
        _sub(subtotals, "Amount", amount(value))


def _invoice(block, values):
    """TG-8: one invoice to a foreign business (10.1).

    ``values``: ``number``, ``issue_date``, ``type_code``, ``currency``, ``due_date``,
    ``business_process``, ``reference`` (number, date) of the invoice a credit note corrects,
    ``seller`` and ``buyer`` dicts (``id``, ``scheme``, ``vat``, ``country``), ``untaxed``,
    ``tax_eur``, ``subtotals`` [dicts ``base``, ``tax``, ``category``, ``rate``,
    ``exemption_code``, ``exemption_reason``]."""
    node = _sub(block, "Invoice")
    _sub(node, "ID", values["number"][:35])
    _sub(node, "IssueDate", _day(values["issue_date"]))
    _sub(node, "TypeCode", values["type_code"])
    _sub(node, "CurrencyCode", values["currency"])
    if values.get("due_date"):
        _sub(node, "DueDate", _day(values["due_date"]))
    process = _sub(node, "BusinessProcess")
    _sub(process, "ID", values["business_process"])
    _sub(process, "TypeID", BUSINESS_PROCESS_TYPE)
    if values.get("reference"):
        reference = _sub(node, "ReferencedDocument")
        _sub(reference, "ID", values["reference"][0])
        _sub(reference, "IssueDate", _day(values["reference"][1]))
    for tag in ("Seller", "Buyer"):
        party = values[tag.lower()]
        party_node = _sub(node, tag)
        _sub(party_node, "CompanyId", party["id"], schemeId=party["scheme"])
        if party.get("vat"):
            _sub(party_node, "TaxRegistrationId", party["vat"], qualifyingId="VAT")
        _sub(_sub(party_node, "PostalAddress"), "CountryId", party["country"])
    totals = _sub(node, "MonetaryTotal")
    _sub(totals, "TaxExclusiveAmount", amount(values["untaxed"]))
    _sub(totals, "TaxAmount", amount(values["tax_eur"]), CurrencyCode="EUR")
    for subtotal in values["subtotals"]:
        subtotal_node = _sub(node, "TaxSubTotal")
        _sub(subtotal_node, "TaxableAmount", amount(subtotal["base"]))
        _sub(subtotal_node, "TaxAmount", amount(subtotal["tax"]))
        category = _sub(subtotal_node, "TaxCategory")
        _sub(category, "Code", subtotal["category"])
        _sub(category, "Percent", rate(subtotal["rate"]))
        if subtotal.get("exemption_reason"):
            _sub(category, "TaxExemptionReason", subtotal["exemption_reason"])
        if subtotal.get("exemption_code"):
            _sub(category, "TaxExemptionReasonCode", subtotal["exemption_code"])


# ----------------------------------------------------------------------------------------------
# Structural check: the element sequences of the XSD v3.2 this module writes (tag: [(child, min,
# max)], in order; max None: unbounded). Elements the XSD allows and we never write are listed
# too, so that a file of another producer passes when it is valid.
# ----------------------------------------------------------------------------------------------
N = None
SEQUENCES = {
    "Report": [("ReportDocument", 1, 1), ("TransactionsReport", 0, 1), ("PaymentsReport", 0, 1)],
    "ReportDocument": [
        ("Id", 1, 1),
        ("Name", 0, 1),
        ("IssueDateTime", 1, 1),
        ("TypeCode", 1, 1),
        ("Sender", 1, 1),
        ("Issuer", 1, 1),
    ],
    "IssueDateTime": [("DateTimeString", 1, 1)],
    "Sender": [("Id", 1, 1), ("Name", 1, 1), ("RoleCode", 1, 1), ("URIUniversalCommunication", 0, 1)],
    "Issuer": [("Id", 1, 1), ("Name", 1, 1), ("RoleCode", 1, 1)],
    "TransactionsReport": [("ReportPeriod", 1, 1), ("Invoice", 0, N), ("Transactions", 0, N)],
    "PaymentsReport": [("ReportPeriod", 1, 1), ("Invoice", 0, N), ("Transactions", 0, N)],
    "ReportPeriod": [("StartDate", 1, 1), ("EndDate", 1, 1)],
    "TransactionsReport/Transactions": [
        ("Date", 1, 1),
        ("TransactionsCurrency", 1, 1),
        ("TaxDueDateTypeCode", 0, 1),
        ("CategoryCode", 1, 1),
        ("TaxExclusiveAmount", 1, 1),
        ("TaxTotal", 1, 1),
        ("TransactionsCount", 0, 1),
        ("TaxSubtotal", 1, N),
    ],
    "TaxSubtotal": [("TaxPercent", 1, 1), ("TaxableAmount", 1, 1), ("TaxTotal", 1, 1)],
    "TransactionsReport/Invoice": [
        ("ID", 1, 1),
        ("IssueDate", 1, 1),
        ("TypeCode", 1, 1),
        ("CurrencyCode", 1, 1),
        ("DueDate", 0, 1),
        ("TaxDueDateTypeCode", 0, 1),
        ("IncludedNote", 0, N),
        ("BusinessProcess", 1, 1),
        ("ReferencedDocument", 0, N),
        ("Seller", 1, 1),
        ("Buyer", 1, 1),
        ("SellerTaxRepresentative", 0, 1),
        ("Delivery", 0, N),
        ("InvoicePeriod", 0, 1),
        ("AllowanceCharge", 0, N),
        ("MonetaryTotal", 1, 1),
        ("TaxSubTotal", 1, N),
        ("Line", 0, N),
    ],
    "BusinessProcess": [("ID", 1, 1), ("TypeID", 1, 1)],
    "ReferencedDocument": [("ID", 1, 1), ("IssueDate", 0, 1)],
    "Seller": [("CompanyId", 1, 1), ("TaxRegistrationId", 0, 1), ("PostalAddress", 1, 1)],
    "Buyer": [("CompanyId", 1, 1), ("TaxRegistrationId", 0, 1), ("PostalAddress", 1, 1)],
    "PostalAddress": [("CountryId", 1, 1)],
    "MonetaryTotal": [("TaxExclusiveAmount", 1, 1), ("TaxAmount", 1, 1)],
    "TaxSubTotal": [("TaxableAmount", 1, 1), ("TaxAmount", 1, 1), ("TaxCategory", 1, 1)],
    "TaxCategory": [
        ("Code", 1, 1),
        ("Percent", 1, 1),
        ("TaxExemptionReason", 0, 1),
        ("TaxExemptionReasonCode", 0, 1),
    ],
    "PaymentsReport/Invoice": [("InvoiceID", 1, 1), ("IssueDate", 1, 1), ("Payment", 1, 1)],
    "PaymentsReport/Transactions": [("Payment", 1, 1)],
    "Payment": [("Date", 1, 1), ("SubTotals", 1, N)],
    "SubTotals": [("TaxPercent", 1, 1), ("CurrencyCode", 0, 1), ("Amount", 1, 1)],
}
DATES = {"StartDate", "EndDate", "Date", "IssueDate", "DueDate"}
AMOUNT = re.compile(r"^-?\d{1,17}(\.\d{1,2})?$")
AMOUNTS = {"TaxExclusiveAmount", "TaxTotal", "TaxableAmount", "TaxAmount"}
PAYMENT_AMOUNT = re.compile(r"^-?\d{1,17}(\.\d{1,6})?$")


def check_report(data):
    """[(rule, message)]: what breaks the structure of the XSD or the rules G1.24 (rates), G1.53
    (totals of an aggregate), G6.26 (declarant SIREN), G6.29 (one kind per file), G8.01 (IN/RE)
    in the report ``data``; empty when it passes."""
    try:
        root = etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        return [("XML", str(error))]
    if root.tag != "Report":
        return [("XSD", f"the root element is {root.tag}, not Report")]
    problems = []
    _check_node(root, "Report", problems)
    _check_header(root, problems)
    _check_values(root, problems)
    _check_totals(root, problems)
    return problems


def _check_header(root, problems):
    blocks = [tag for tag in ("TransactionsReport", "PaymentsReport") if root.find(tag) is not None]
    if len(blocks) != 1:
        problems.append(("G6.29", "a report carries either transactions or payments (one of them)"))
    if root.findtext("ReportDocument/TypeCode") not in ("IN", "RE"):
        problems.append(("G8.01", "TypeCode is IN or RE"))
    if not TRANSMISSION_ID.match(root.findtext("ReportDocument/Id") or ""):
        problems.append(("G1.104", "the transmission Id has forbidden characters or is too long"))
    issuer = root.find("ReportDocument/Issuer/Id")
    if issuer is None or issuer.get("schemeId") != "0002" or not re.fullmatch(r"\d{9}", issuer.text or ""):
        problems.append(("G6.26", "the declarant (Issuer) is a SIREN, scheme 0002"))


def _check_values(root, problems):
    allowed_rates = {Decimal(value).normalize() for value in RATES}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if "}" in node.tag:
            problems.append(("XSD", f"{node.tag}: the report has no namespace"))
        elif node.tag in DATES and not re.fullmatch(r"\d{8}", node.text or ""):
            problems.append(("G1.36", f"{node.tag}: date {node.text!r} is not AAAAMMJJ"))
        elif node.tag in ("TaxPercent", "Percent") and _decimal(node.text).normalize() not in allowed_rates:
            problems.append(("G1.24", f"VAT rate {node.text} is not allowed"))
        elif node.tag in AMOUNTS and not AMOUNT.match(node.text or ""):
            problems.append(("G1.14", f"{node.tag}: amount {node.text!r}"))
        elif node.tag == "Amount" and not PAYMENT_AMOUNT.match(node.text or ""):
            problems.append(("G1.14", f"Amount: amount {node.text!r}"))


def _check_totals(root, problems):
    for transactions in root.iterfind("TransactionsReport/Transactions"):
        subtotals = transactions.findall("TaxSubtotal")
        for total, part in (("TaxExclusiveAmount", "TaxableAmount"), ("TaxTotal", "TaxTotal")):
            expected = sum(_decimal(node.findtext(part)) for node in subtotals)
            if abs(_decimal(transactions.findtext(total)) - expected) > Decimal("0.01"):
                day = transactions.findtext("Date")
                problems.append(("G1.53", f"{total} of {day} is not the sum of its subtotals"))


def _decimal(text):
    try:
        return Decimal(text or "0")
    except ArithmeticError:
        return Decimal("NaN")


def _check_node(node, path, problems):
    key = path if path in SEQUENCES else node.tag
    sequence = SEQUENCES.get(key)
    if sequence is None:
        return
    children = [child for child in node if isinstance(child.tag, str)]
    position = 0
    for tag, low, high in sequence:
        count = 0
        while position < len(children) and children[position].tag == tag:
            child = children[position]
            _check_node(child, f"{node.tag}/{tag}", problems)
            if not (child.text or "").strip() and not len(child):
                problems.append(("XSD", f"{node.tag}/{tag} is empty"))
            count += 1
            position += 1
        if count < low or (high is not None and count > high):
            problems.append(("XSD", f"{node.tag}/{tag}: {count} found, {low} to {high or 'n'} expected"))
    for child in children[position:]:
        problems.append(("XSD", f"{node.tag}/{child.tag} is not expected there"))
