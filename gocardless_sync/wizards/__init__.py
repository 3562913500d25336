from . import gocardless_customer_sync_wizard
from . import gocardless_customer_sync_wizard_line
