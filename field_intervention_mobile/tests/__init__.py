from . import test_api_day
from . import test_api_sync
from . import test_conflicts
from . import test_app_shell
from . import test_mail_leave_now
from . import test_shared_phone
from . import test_api_sync_refusals
from . import test_readonly_routes
