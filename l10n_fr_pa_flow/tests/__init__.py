from . import test_cdar
from . import test_deposit
from . import test_lifecycle
from . import test_collection
from . import test_security
from . import test_webhook
from . import test_final
from . import test_status_trust
