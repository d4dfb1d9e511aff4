"""The official French e-invoicing rules judge our files: the FNFE-MPE validation artefacts
(github.com/fnfempe/France_RFE, XP Z12-012 V1.4: XSD, EN 16931 / Factur-X / EXTENDED-CTC-FR
schematrons, BR-FR Flux 2 and BR-FR CDV schematrons) run with Saxon over invoices, credit notes and
lifecycle messages.

    $FI_VENV/bin/python setup/official_rules.py --rules /path/to/France_RFE FILE_OR_DIR... \\
        [--en16931] [--warnings] [--quiet]

The rules are not part of this repository: fetch them yourself (``git clone
https://github.com/fnfempe/France_RFE``) and give the checkout's path. Files: Factur-X PDFs (the
embedded XML is judged), CII invoices, CDAR lifecycle messages, UBL invoices; a directory is read
recursively (``*.xml``, ``*.pdf``). The test suite writes every e-invoice file it builds to a
directory when ``FI_EINVOICE_DUMP=/dir`` is set.

What runs on a file, as the FNFE note says (the profile's XSD and schematron, then the French
rules), chosen by its guideline (BT-24) or root element:
  CII, Factur-X EN 16931 guideline  Factur-X/EN16931: XSD, FACTUR-X_EN16931, and CII/EN16931's
                                    EN16931-CII-validation; BR-FR-Flux2-Schematron-CII
  CII, Factur-X EXTENDED            Factur-X/EXTENDED: XSD, Factur-X_EXTENDED; BR-FR-Flux2 CII
  CII, Factur-X BASIC WL            Factur-X/BASICWL: XSD, FACTUR-X_BASIC-WL; BR-FR-Flux2 CII
  CII, EXTENDED-CTC-FR              CII D22B XSD, EXTENDED-CTC-FR-CII; BR-FR-Flux2 CII
  CDAR (lifecycle)                  CDAR D22B XSD, BR-FR-CDV-Schematron-CDAR
  UBL invoice or credit note        UBL EN16931 (or EXTENDED-CTC-FR) schematron; BR-FR-Flux2 UBL
``--en16931`` also runs CII/EN16931's EN 16931 rules on every CII whatever its guideline (an
EXTENDED file then meets the CEN rules its profile relaxes: read them as advice).
The BR-FR schematrons are the standard ("fatal") ones, not their transitional WARNING variants.

Each finding is a failed assertion (or, in the Factur-X schematrons, a report such as "element
marked as not used") with its rule id, its flag (none means fatal) and its location. Printed: per
file its findings, then the totals and the fatal findings per rule id with their files. Exit
status: 0 when no file has a fatal finding, 1 otherwise, 2 when the rules or saxonche are missing.
"""

import argparse
import collections
import hashlib
import io
import os
import re
import signal
import sys

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
CDAR_ROOT = (
    "{urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100}"
    "CrossDomainAcknowledgementAndResponse"
)
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
}
CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL_NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
BASE = "FNFE_RFE_INVOICE"
BR_FR_CII = "BR-FR-Flux2-Schematron-CII.xslt"
EN16931_CII = ("EN 16931 (CII)", "CII/EN16931/2xslt/EN16931-CII-validation.xslt")
# guideline (BT-24) -> (profile name, XSD, schematron XSLTs), paths under FNFE_RFE_INVOICE
CII_PROFILES = {
    "en16931": (
        "Factur-X EN 16931",
        "Factur-X/EN16931/1xsd/Factur-X_EN16931.xsd",
        [
            ("Factur-X EN 16931", "Factur-X/EN16931/2xslt/FACTUR-X_EN16931.xslt"),
            EN16931_CII,
            ("BR-FR Flux 2 (CII)", f"Factur-X/EN16931/2xslt/{BR_FR_CII}"),
        ],
    ),
    "extended": (
        "Factur-X EXTENDED",
        "Factur-X/EXTENDED/1xsd/Factur-X_EXTENDED.xsd",
        [
            ("Factur-X EXTENDED", "Factur-X/EXTENDED/2xslt/Factur-X_EXTENDED.xslt"),
            ("BR-FR Flux 2 (CII)", f"Factur-X/EXTENDED/2xslt/{BR_FR_CII}"),
        ],
    ),
    "basicwl": (
        "Factur-X BASIC WL",
        "Factur-X/BASICWL/1xsd/Factur-X_BASICWL.xsd",
        [
            ("Factur-X BASIC WL", "Factur-X/BASICWL/2xslt/FACTUR-X_BASIC-WL.xslt"),
            ("BR-FR Flux 2 (CII)", f"Factur-X/BASICWL/2xslt/{BR_FR_CII}"),
        ],
    ),
    "extended-ctc-fr": (
        "CII EXTENDED-CTC-FR",
        "CII/1xsd-CII_D22B_uncoupled/CrossIndustryInvoice_100pD22B.xsd",
        [
            ("EXTENDED-CTC-FR (CII)", "CII/EXTENDED-CTC-FR/2xslt/EXTENDED-CTC-FR-CII.xslt"),
            ("BR-FR Flux 2 (CII)", f"CII/EXTENDED-CTC-FR/2xslt/{BR_FR_CII}"),
        ],
    ),
}
CDAR_PROFILE = (
    "CDAR (lifecycle)",
    "CDAR/1xsd-CDAR_D22B_uncoupled/CrossDomainAcknowledgementAndResponse_100pD22B.xsd",
    [("BR-FR CDV (CDAR)", "CDAR/2xslt/BR-FR-CDV-Schematron-CDAR.xslt")],
)
UBL_PROFILES = {
    "en16931": (
        "UBL EN 16931",
        None,
        [
            ("EN 16931 (UBL)", "UBL/EN16931/2xslt/EN16931-UBL-validation.xslt"),
            ("BR-FR Flux 2 (UBL)", "UBL/EN16931/2xslt/BR-FR-Flux2-Schematron-UBL.xslt"),
        ],
    ),
    "extended-ctc-fr": (
        "UBL EXTENDED-CTC-FR",
        None,
        [
            ("EXTENDED-CTC-FR (UBL)", "UBL/EXTENDED-CTC-FR/2xslt/EXTENDED-CTC-FR-UBL.xslt"),
            ("BR-FR Flux 2 (UBL)", "UBL/EXTENDED-CTC-FR/2xslt/BR-FR-Flux2-Schematron-UBL.xslt"),
        ],
    ),
}
RULE_IN_TEXT = re.compile(r"^\s*\[?\s*([A-Z][A-Z0-9]*(?:-[A-Za-z0-9]+)+(?:[_/][A-Z]+-[0-9]+)?)\s*\]?")
# the Factur-X schematrons' reports (no flag, so errors) on what the profile does not use
NOT_USED = re.compile(r"marked as not used")


def guideline_kind(guideline):
    """Profile key of a guideline (BT-24) value, None when the rules hold nothing for it."""
    value = (guideline or "").strip().lower()
    if "extended-ctc-fr" in value:
        return "extended-ctc-fr"
    if value.endswith("factur-x.eu:1p0:extended"):
        return "extended"
    if value.endswith("factur-x.eu:1p0:basicwl"):
        return "basicwl"
    if value.startswith("urn:cen.eu:en16931:2017"):
        return "en16931"
    return None


class Finding:
    __slots__ = ("flag", "location", "rule", "text", "where")

    def __init__(self, rule, flag, location, text, where):
        self.rule, self.flag, self.location, self.text, self.where = rule, flag, location, text, where

    @property
    def fatal(self):
        return self.flag not in ("warning", "information", "info")


class Judge:
    def __init__(self, rules_dir, en16931=False):
        self.base = os.path.join(rules_dir, BASE)
        if not os.path.isdir(self.base):
            raise SystemExit(f"{rules_dir}: no {BASE} folder, not a checkout of fnfempe/France_RFE")
        try:
            from saxonche import PySaxonProcessor
        except ImportError:
            raise SystemExit(
                "saxonche is not installed: $FI_VENV/bin/pip install saxonche==13.1.1 (Saxon-HE for Python, "
                "from PyPI; a 39 MB wheel, left out of requirements.txt as only this tool needs it)"
            ) from None
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor()
        self.en16931 = en16931
        self.executables = {}
        self.schemas = {}

    def path(self, relative):
        path = os.path.join(self.base, relative)
        if not os.path.isfile(path):
            raise SystemExit(f"{path} is missing: is the France_RFE checkout complete and recent (V1.4)?")
        return path

    def _executable(self, relative):
        if relative not in self.executables:
            self.executables[relative] = self.xslt.compile_stylesheet(stylesheet_file=self.path(relative))
        return self.executables[relative]

    def _schema(self, relative):
        if relative not in self.schemas:
            self.schemas[relative] = etree.XMLSchema(etree.parse(self.path(relative)))
        return self.schemas[relative]

    def profile(self, root):
        """(profile name, XSD, schematrons) of a parsed file, or (reason, None, []) when none applies."""
        if root.tag == CII_ROOT:
            guideline = root.findtext(
                "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=CII_NS
            )
            kind = guideline_kind(guideline)
            if not kind:
                return f"CII with an unknown guideline {guideline!r}", None, [EN16931_CII]
            name, xsd, sets = CII_PROFILES[kind]
            if self.en16931 and EN16931_CII not in sets:
                sets = [*sets, EN16931_CII]
            return name, xsd, sets
        if root.tag == CDAR_ROOT:
            return CDAR_PROFILE
        if root.tag in UBL_ROOTS:
            customization = root.findtext("cbc:CustomizationID", namespaces=UBL_NS)
            return UBL_PROFILES["extended-ctc-fr" if guideline_kind(customization) == "extended-ctc-fr" else "en16931"]
        return f"no official rules for a {etree.QName(root).localname} file", None, []

    def judge(self, data):
        """(profile name, findings, skipped) of one file's bytes (a PDF or an XML)."""
        findings = []
        if data[:5] == b"%PDF-":
            xml = embedded_xml(data)
            if xml is None:
                missing = Finding("FX-NO-XML", "fatal", "/", "no factur-x.xml embedded in the PDF", "Factur-X")
                return "PDF", [missing], False
            data = xml
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as error:
            return "XML", [Finding("XML-SYNTAX", "fatal", "/", str(error), "XML")], False
        name, xsd, sets = self.profile(root)
        if xsd:
            schema = self._schema(xsd)
            if not schema.validate(root):
                for error in schema.error_log:
                    findings.append(Finding("XSD", "fatal", f"line {error.line}", error.message, "XSD"))
        for label, relative in sets:
            findings.extend(self._schematron(label, relative, data))
        return name, findings, not sets and not xsd

    def _schematron(self, label, relative, data):
        node = self.processor.parse_xml(xml_text=data.decode("utf-8"))
        svrl = self._executable(relative).transform_to_string(xdm_node=node)
        findings = []
        for element in etree.fromstring(svrl.encode()).iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
            text = " ".join("".join(element.findtext(f"{{{SVRL}}}text") or "").split())
            rule = element.get("id")
            if not rule:
                match = RULE_IN_TEXT.match(text)
                not_used = NOT_USED.search(text)
                rule = match.group(1) if match else ("FX-NOT-USED" if not_used else "(no id)")
            flag = (element.get("flag") or "fatal").lower()
            findings.append(Finding(rule, flag, element.get("location") or "", text, label))
        return findings


def embedded_xml(pdf):
    """The Factur-X XML of a PDF (factur-x.xml, or the first XML attachment), else None."""
    import facturx
    from pypdf import PdfReader

    try:
        __, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    except Exception:  # noqa: BLE001 - a PDF the library cannot read: pypdf below
        xml = None
    if xml:
        return xml

    attachments = PdfReader(io.BytesIO(pdf)).attachments
    for name in sorted(attachments, key=lambda name: name != "factur-x.xml"):
        if name.lower().endswith(".xml"):
            return attachments[name][0]
    return None


def collect(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            for folder, __, names in os.walk(path):
                files.extend(os.path.join(folder, name) for name in names if name.lower().endswith((".xml", ".pdf")))
        else:
            files.append(path)
    return sorted(files)


def short(location):
    """An SVRL location without its namespace-URI predicates: /rsm:X[1]/ram:Y[2] style."""
    location = re.sub(r"\*:([\w-]+)\[namespace-uri\(\)='[^']*'\]", r"\1", location)
    return re.sub(r"\[1\]", "", location)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", default=os.environ.get("FI_FRANCE_RFE"), help="checkout of fnfempe/France_RFE")
    parser.add_argument("--en16931", action="store_true", help="also the EN 16931 CII rules on every CII")
    parser.add_argument("--warnings", action="store_true", help="print each warning too, not only their count")
    parser.add_argument("--quiet", action="store_true", help="only the totals and the fatal findings per rule")
    parser.add_argument("paths", nargs="+", help="files or directories (*.xml, *.pdf)")
    args = parser.parse_args(argv)
    if not args.rules:
        parser.error("--rules /path/to/France_RFE (or FI_FRANCE_RFE) is required")
    try:
        judge = Judge(args.rules, args.en16931)
    except SystemExit as error:
        print(f"official_rules: {error}", file=sys.stderr)
        return 2
    files = collect(args.paths)
    if not files:
        print("official_rules: no *.xml or *.pdf file in " + " ".join(args.paths), file=sys.stderr)
        return 2
    fatal_by_rule = collections.defaultdict(list)  # (rule, schematron) -> [(file, finding)]
    warning_by_rule = collections.Counter()
    profiles = collections.Counter()
    failed_files = skipped = 0
    verdicts = {}  # sha256 -> (profile, findings, skipped)
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in verdicts:  # the same bytes under two names (built, then deposited): judged once
            verdicts[digest] = judge.judge(data)
        profile, findings, was_skipped = verdicts[digest]
        profiles[profile] += 1
        skipped += was_skipped
        fatal = [finding for finding in findings if finding.fatal]
        warnings = [finding for finding in findings if not finding.fatal]
        failed_files += bool(fatal)
        for finding in fatal:
            fatal_by_rule[finding.rule, finding.where].append((path, finding))
        warning_by_rule.update(finding.rule for finding in warnings)
        if args.quiet:
            continue
        state = "SKIPPED" if was_skipped else ("FAIL" if fatal else "ok")
        print(f"{state:7} {path} [{profile}] fatal {len(fatal)}, warnings {len(warnings)}")
        for finding in fatal + (warnings if args.warnings else []):
            print(f"    {finding.flag.upper():7} {finding.rule} ({finding.where}) at {short(finding.location)}")
            print(f"            {finding.text[:400]}")
        if warnings and not args.warnings:
            counts = collections.Counter(finding.rule for finding in warnings)
            print("    warnings: " + ", ".join(f"{rule} x{count}" for rule, count in sorted(counts.items())))
    total_fatal = sum(len(items) for items in fatal_by_rule.values())
    print()
    kinds = ", ".join(f"{name}: {count}" for name, count in sorted(profiles.items()))
    print(
        f"TOTAL {len(files)} files, {len(verdicts)} distinct ({kinds}); "
        f"{failed_files} with fatal findings, {total_fatal} fatal, {sum(warning_by_rule.values())} warnings"
        + (f", {skipped} skipped (no official rules)" if skipped else "")
    )
    for (rule, where), items in sorted(fatal_by_rule.items()):
        names = sorted({os.path.basename(path) for path, __ in items})
        print(f"  FATAL {rule} ({where}): {len(items)} in {len(names)} files: {items[0][1].text[:300]}")
        locations = sorted({short(finding.location) for __, finding in items})
        print(
            "        at " + "; ".join(locations[:3]) + (f" and {len(locations) - 3} more" if len(locations) > 3 else "")
        )
        print("        files: " + ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else ""))
    if warning_by_rule:
        print("  warnings: " + ", ".join(f"{rule} x{count}" for rule, count in sorted(warning_by_rule.items())))
    return 1 if fatal_by_rule else 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # piped into head: stop quietly
    sys.exit(main())
