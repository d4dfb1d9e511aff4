import functools
import subprocess

from lxml import html as lxml_html

from odoo import models

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

INTERVENTION_REPORTS = ("field_intervention.report_field_intervention",)


@functools.cache
def wkhtmltopdf_has_unpatched_qt():
    """Debian's wkhtmltopdf is built on an unpatched Qt: it takes one input document only and
    ignores separate headers and footers (with a warning). A patched build says so in its
    version ("0.12.6 (with patched qt)")."""
    try:
        version = subprocess.run([_get_wkhtmltopdf_bin(), "--version"], capture_output=True, check=False).stdout
    except OSError:
        return False
    return b"patched qt" not in version


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _prepare_html(self, html, report_model=False):
        """The intervention report carries the company identity in its body and has no
        header/footer: do not hand empty ones to wkhtmltopdf."""
        bodies, res_ids, header, footer, paperformat_args = super()._prepare_html(html, report_model=report_model)
        if self.report_name in INTERVENTION_REPORTS:
            header = footer = None
        return bodies, res_ids, header, footer, paperformat_args

    def _run_wkhtmltopdf(
        self,
        bodies,
        report_ref=False,
        header=None,
        footer=None,
        landscape=False,
        specific_paperformat_args=None,
        set_viewport_size=False,
    ):
        """On an unpatched wkhtmltopdf (Debian's), several records printed at once (one body
        each) are joined into one document, a page break before each record, which that build
        refuses otherwise ("does not support more than one input document"); it would ignore
        the header and footer and warn: they are not handed to it."""
        if wkhtmltopdf_has_unpatched_qt():
            header = footer = None
            if len(bodies) > 1:
                bodies = [self._fi_join_bodies(bodies)]
        return super()._run_wkhtmltopdf(
            bodies,
            report_ref=report_ref,
            header=header,
            footer=footer,
            landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size,
        )

    def _fi_join_bodies(self, bodies):
        """One HTML document of the bodies of ``_prepare_html`` (same head): the first one's,
        with the others' contents appended, each starting a new page."""
        document = lxml_html.document_fromstring(bodies[0])
        target = document.body
        for body in bodies[1:]:
            for index, element in enumerate(lxml_html.document_fromstring(body).body):
                if index == 0:
                    element.set("style", f"page-break-before: always; {element.get('style') or ''}")
                target.append(element)
        return lxml_html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")
