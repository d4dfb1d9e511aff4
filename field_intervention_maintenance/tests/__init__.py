from . import test_equipment
from . import test_contract
from . import test_planning
from . import test_planning_concurrency
from . import test_portal
from . import test_coverage
from . import test_boiler_certificate
from . import test_renewal
