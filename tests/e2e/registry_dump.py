"""Run inside ``odoo-bin shell`` (stdin): print, as one JSON line after ``REGISTRY:``, what the
addons of this repository put in the registry of the database.

For every model defined or extended by one of our addons: its fields (all of them for our own
models, the ones our addons add for the core models we extend) and the public methods our
addons define, i.e. those callable over RPC (``odoo.service.model.check_method_name``: no
leading underscore, no ``@api.private`` anywhere in the class hierarchy).
"""

import inspect
import json
import os

from odoo.modules.module import get_module_path

ROOT = os.environ["FI_REPO_ROOT"]
CRUD = {"create", "write", "unlink"}


def rpc_callable(cls, name):
    method = getattr(cls, name, None)
    if not callable(method) or name.startswith("_"):
        return False
    return not any(getattr(getattr(klass, name, None), "_api_private", False) for klass in cls.mro())


def dump(env):
    installed = env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
    ours = {name for name in installed if (get_module_path(name) or "").startswith(ROOT)}
    result = {"modules": sorted(ours), "models": {}}
    for model_name in sorted(env.registry):
        cls = env.registry[model_name]
        own_classes = [klass for klass in cls.mro() if getattr(klass, "_module", None) in ours]
        if not own_classes or cls._abstract:
            continue
        defined_by_us = cls._original_module in ours
        fields = {}
        for record in env["ir.model.fields"].sudo().search([("model", "=", model_name)]):
            field_modules = set((record.modules or "").replace(" ", "").split(","))
            if defined_by_us or field_modules & ours:
                field = cls._fields.get(record.name)
                fields[record.name] = {
                    "type": record.ttype,
                    "relation": record.relation or None,
                    "stored": bool(field and field.store),
                    "computed": bool(field and field.compute),
                }
        methods = sorted(
            {
                name
                for klass in own_classes
                for name, value in vars(klass).items()
                if inspect.isfunction(value) and rpc_callable(cls, name)
            }
            - CRUD
        )
        result["models"][model_name] = {
            "ours": defined_by_us,
            "transient": cls._transient,
            "fields": fields,
            "methods": methods,
        }
    return result


print("REGISTRY:" + json.dumps(dump(env)))  # noqa: F821 - env is the shell's
