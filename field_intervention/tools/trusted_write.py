"""Protected fields: values that only the models' own methods set.

Workflow and evidence fields (status, number, timer, signature links, job flags, billing claims...)
are refused in ``create()``/``write()`` coming from a user's environment: over XML-RPC or JSON-RPC
any user who can write a record can send any field. The models' transition methods check what
they must, then write those fields inside :func:`trusted_write`.

The permission is a context variable of the running thread, not a context key: a client can send
any context key, it cannot set this.
"""

import contextvars
from contextlib import contextmanager

from odoo.exceptions import AccessError

_TRUSTED = contextvars.ContextVar("field_intervention_trusted_write", default=False)


@contextmanager
def trusted_write():
    """Let the code of the block set protected fields (the caller has done its checks)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def is_trusted(env):
    """True for superuser code and inside :func:`trusted_write`."""
    return env.su or _TRUSTED.get()


def check_protected(model, vals_list, protected, hint):
    """Refuse, outside trusted code, values of the ``protected`` fields of ``model``.

    :param model: a recordset of the model whose values are checked (its env is the caller's)
    :param vals_list: the values of create() (a list) or write() (a list of one dict)
    :param protected: names of the protected fields, or a callable ``name -> bool``
    :param str hint: what to do instead, ending the translated error message
    :raise AccessError: naming the refused fields
    """
    if is_trusted(model.env):
        return
    is_protected = protected if callable(protected) else protected.__contains__
    refused = sorted({name for vals in vals_list for name in vals if is_protected(name)})
    if not refused:
        return
    labels = [model._fields[name]._description_string(model.env) if name in model._fields else name for name in refused]
    raise AccessError(
        model.env._(
            "%(fields)s (%(model)s) cannot be set directly: %(hint)s",
            fields=", ".join(labels),
            model=model._description,
            hint=hint,
        )
    )
