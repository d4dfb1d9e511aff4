"""Who and where a signing request comes from, for the signature evidence.

The controllers and the device wizard read it from the HTTP request and pass it to the signing
flow; the models never read the request themselves.
"""


def request_origin(user, http_request=None):
    """The ``origin`` of the signing flow: ``user``, ``ip_address``, ``user_agent``.

    :param user: the res.users behind the request
    :param http_request: the werkzeug request (None outside a request: tests, shell, cron)
    """
    return {
        "user": user,
        "ip_address": (http_request.remote_addr or False) if http_request else False,
        "user_agent": (http_request.user_agent.string or False) if http_request else False,
    }
