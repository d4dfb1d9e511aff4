"""Client of the AFNOR "Flow Service" API (XP Z12-013) of an approved platform (PA).

Every request goes through :meth:`PaClient._http` (the one method that touches the network, the
one tests patch). Authentication: OAuth2 client credentials; the Bearer token is cached per
connection until it expires, and a 401 answer refreshes it once.
"""

import json
import logging
import threading
import time

import requests

_logger = logging.getLogger(__name__)

TIMEOUT = (5, 30)  # seconds: connect, read
TOKEN_MARGIN = 30  # seconds: a token this close to its end is renewed first
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

_TOKENS = {}  # (token URL, client id, secret digest) -> (access token, expiry as time.monotonic())
_TOKENS_LOCK = threading.Lock()


class PaError(Exception):
    """A failed call, with what the caller should do about it.

    :param str kind: ``transient`` (retry later: 429, 5xx, timeout, network), ``auth``
        (credentials or rights refused), ``rejected`` (the PA refuses the request itself)
    :param str message: translated, for the user
    """

    def __init__(self, kind, message, status=None, code=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code

    @property
    def transient(self):
        return self.kind == "transient"


class PaClient:
    """One PA connection (a company's settings)."""

    def __init__(self, env, base_url, token_url, client_id, client_secret):
        self.env = env
        self.base_url = (base_url or "").rstrip("/")
        self.token_url = token_url or ""
        self.client_id = client_id or ""
        self.client_secret = client_secret or ""

    # -- transport -------------------------------------------------------------------------
    def _http(self, method, url, **kwargs):
        """The one network call: ``requests.request`` with timeouts."""
        timeout = kwargs.pop("timeout", TIMEOUT)
        return requests.request(method, url, timeout=timeout, **kwargs)

    def _send(self, method, url, **kwargs):
        _ = self.env._
        try:
            return self._http(method, url, **kwargs)
        except requests.Timeout as error:
            raise PaError("transient", _("The platform did not answer in time (%(url)s).", url=url)) from error
        except requests.ConnectionError as error:
            raise PaError("transient", _("The platform cannot be reached (%(url)s).", url=url)) from error
        except requests.RequestException as error:
            raise PaError("transient", _("Network error with the platform: %(error)s", error=error)) from error

    # -- authentication ----------------------------------------------------------------------
    def _cache_key(self):
        return (self.token_url, self.client_id, hash(self.client_secret))

    def token(self, refresh=False):
        """A valid access token (cached until it expires)."""
        _ = self.env._
        if not (self.base_url and self.token_url and self.client_id and self.client_secret):
            raise PaError("auth", _("The platform connection is not configured (Accounting settings)."))
        key = self._cache_key()
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
            if cached and not refresh and cached[1] > time.monotonic():
                return cached[0]
        response = self._send(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            headers={"Accept": "application/json"},
        )
        if response.status_code in TRANSIENT_STATUSES:
            raise PaError(
                "transient",
                _("The platform's login service is unavailable (HTTP %(status)s).", status=response.status_code),
                status=response.status_code,
            )
        payload = self._json(response)
        token = payload.get("access_token") if response.status_code == 200 else None
        if not token:
            raise PaError(
                "auth",
                _("The platform refused the client id and secret (HTTP %(status)s).", status=response.status_code),
                status=response.status_code,
            )
        lifetime = max(int(payload.get("expires_in") or 300) - TOKEN_MARGIN, 1)
        with _TOKENS_LOCK:
            _TOKENS[key] = (token, time.monotonic() + lifetime)
        return token

    def forget_token(self):
        with _TOKENS_LOCK:
            _TOKENS.pop(self._cache_key(), None)

    # -- calls -----------------------------------------------------------------------------
    @staticmethod
    def _json(response):
        try:
            payload = response.json()
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}

    def call(self, method, path, expect=(200,), **kwargs):
        """Call ``path`` of the API with the Bearer token; return the response.

        :raise PaError: on any answer outside ``expect``
        """
        url = self.base_url + path
        headers = dict(kwargs.pop("headers", {}))
        response = None
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {self.token(refresh=attempt == 2)}"
            response = self._send(method, url, headers=headers, **kwargs)
            if response.status_code != 401:
                break
        if response.status_code in expect:
            return response
        raise self._error(response)

    def _error(self, response):
        _ = self.env._
        status = response.status_code
        payload = self._json(response)
        code = payload.get("errorCode") or ""
        detail = payload.get("errorMessage") or code or response.reason or ""
        if status in TRANSIENT_STATUSES:
            return PaError(
                "transient",
                _("The platform is busy or unavailable (HTTP %(status)s): it will be retried.", status=status),
                status=status,
                code=code,
            )
        if status in (401, 403):
            return PaError(
                "auth",
                _(
                    "The platform refused the access (HTTP %(status)s): check the client id and secret "
                    "and the rights of this account.",
                    status=status,
                ),
                status=status,
                code=code,
            )
        return PaError(
            "rejected",
            _("The platform refused the request (HTTP %(status)s): %(detail)s", status=status, detail=detail),
            status=status,
            code=code,
        )

    # -- the routes of the standard ------------------------------------------------------------
    def healthcheck(self):
        """GET /v1/healthcheck (with the token: it checks the credentials too)."""
        return self.call("GET", "/v1/healthcheck")

    def post_flow(self, flow_info, filename, content, mimetype):
        """POST /v1/flows (multipart: ``flowInfo`` JSON + ``file``); the FullFlowInfo answer."""
        files = {
            "flowInfo": (None, json.dumps(flow_info), "application/json"),
            "file": (filename, content, mimetype),
        }
        response = self.call("POST", "/v1/flows", expect=(200, 201, 202), files=files)
        return self._json(response)

    def search(self, where, limit=100):
        """POST /v1/flows/search: the SearchFlowContent answer."""
        response = self.call("POST", "/v1/flows/search", json={"limit": limit, "where": where})
        return self._json(response)

    def get_flow(self, flow_id):
        """GET /v1/flows/{flowId}?docType=Metadata: the platform's own record of the flow (its
        direction, trackingId, acknowledgement), as a dict."""
        response = self.call(
            "GET", f"/v1/flows/{requests.utils.quote(flow_id, safe='')}", params={"docType": "Metadata"}
        )
        return self._json(response)

    def download(self, flow_id, doc_type="Original"):
        """GET /v1/flows/{flowId}?docType=...: the file's bytes."""
        response = self.call("GET", f"/v1/flows/{requests.utils.quote(flow_id, safe='')}", params={"docType": doc_type})
        return response.content
