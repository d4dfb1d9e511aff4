from . import res_partner
from . import res_company
from . import res_config_settings
from . import account_move
from . import account_move_line
from . import account_edi_common
from . import account_edi_xml_cii
