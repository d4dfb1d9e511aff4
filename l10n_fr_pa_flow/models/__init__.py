from . import res_company
from . import res_config_settings
from . import res_partner
from . import l10n_fr_pa_trusted_mixin
from . import l10n_fr_pa_flow
from . import l10n_fr_pa_flow_attempt
from . import l10n_fr_pa_status
from . import account_move
