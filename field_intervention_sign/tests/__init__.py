from . import test_signature_flow
from . import test_lock
from . import test_portal_http
from . import test_mail_retry
from . import test_signed_pdf
from . import test_ui
from . import test_mail_leave_now
