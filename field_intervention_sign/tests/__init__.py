from . import test_signature_flow
from . import test_lock
from . import test_portal_http
