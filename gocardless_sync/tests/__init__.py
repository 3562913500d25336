from . import test_account_connection
from . import test_customer_sync
from . import test_matching
from . import test_partner_email
from . import test_security
from . import test_balance_export
from . import test_payment_recording
from . import test_payment_collection
