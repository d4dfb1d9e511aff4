from . import test_state_machine
from . import test_timesheet
from . import test_security
from . import test_bad_input
from . import test_report
from . import test_query_count
from . import test_ui
from . import test_core_models
