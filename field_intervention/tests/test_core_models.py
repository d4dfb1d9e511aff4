import os

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged


@tagged("-at_install", "post_install")
class TestCoreModels(TransactionCase):
    """What our addons add to the models of core Odoo must not break the code that does not know
    them: Odoo's own modules and tests (core's at_install tests run while only the core module
    is loaded, on tables that hold our columns too), imports, other add-ons."""

    @classmethod
    def _our_modules(cls):
        """The installed modules of this repository (beside field_intervention)."""
        root = os.path.dirname(get_module_path("field_intervention"))
        installed = cls.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        return {name for name in installed if os.path.dirname(get_module_path(name) or "") == root}

    def test_no_required_column_on_core_models(self):
        """A required column of ours on a core table makes every creation by code that does not
        know it fail (``null value in column ... violates not-null constraint``): core's add-ons
        give such fields a default and handle an empty value instead."""
        ours = self._our_modules()
        self.assertIn("field_intervention", ours)
        offenders = []
        for model_name, model in self.env.registry.items():
            if model._abstract or not model._auto or model._original_module in ours:
                continue
            for name, field in model._fields.items():
                if not (field.store and field.column_type and set(field._modules) <= ours):
                    continue  # not a column, or a column that core defines too
                self.env.cr.execute(
                    "SELECT is_nullable FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                    [model._table, name],
                )
                row = self.env.cr.fetchone()
                if field.required or (row and row[0] == "NO"):
                    offenders.append(f"{model_name}.{name} ({field._module})")
        self.assertFalse(offenders, "required columns added by our addons to core models")
