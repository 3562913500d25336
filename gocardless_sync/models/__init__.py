from . import gocardless_account
from . import gocardless_customer
from . import gocardless_mandate
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_partner_email
