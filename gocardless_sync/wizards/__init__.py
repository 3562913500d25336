from . import gocardless_customer_sync_wizard
from . import gocardless_customer_sync_wizard_line
from . import gocardless_customer_link_wizard
from . import gocardless_customer_link_wizard_line
from . import gocardless_mandate_confirm_wizard
