# mixins first: the models below inherit them
from . import gocardless_resource_mixin
from . import gocardless_sync_line_mixin
from . import account_move_line
from . import account_payment
from . import gocardless_account
from . import gocardless_customer
from . import gocardless_customer_push
from . import gocardless_customer_sync
from . import gocardless_event
from . import gocardless_export
from . import gocardless_export_builder
from . import gocardless_export_collector
from . import gocardless_export_line
from . import gocardless_export_skip
from . import gocardless_field_mapping
from . import gocardless_mandate
from . import gocardless_payment
from . import gocardless_sync_log
from . import gocardless_sync_log_line
from . import ir_http
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_partner_email

# the ledger (issue 15): entries booked for payments, refunds
from . import gocardless_ledger
from . import gocardless_payment_entry
from . import gocardless_refund
