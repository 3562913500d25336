from werkzeug.exceptions import RequestEntityTooLarge

from odoo import models
from odoo.http import request

# Routing key of a route whose raw body is read, capped, before Odoo parses any form: its
# value is the largest body accepted, in bytes (the GoCardless webhook).
RAW_BODY_ROUTING_KEY = "gocardless_raw_body_max"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """Read the body of a route marked with ``RAW_BODY_ROUTING_KEY`` before anything else.

        Odoo's HTTP dispatcher parses form bodies (``application/x-www-form-urlencoded``,
        ``multipart/form-data``) into parameters before the controller runs, which consumes
        the raw bytes a webhook signature is computed on. Reading the body here, with
        werkzeug's cache, keeps them: the form parser then works on the cached copy, and the
        controller's ``get_data()`` returns the bytes as they arrived.

        At most ``cap + 1`` bytes are read (``max_content_length``, which werkzeug enforces
        on the stream as it reads, also for a chunked body without Content-Length, and
        refuses at once from the Content-Length header): a larger body is a 413 and is
        never held in memory."""
        cap = rule.endpoint.routing.get(RAW_BODY_ROUTING_KEY)
        if cap:
            httprequest = request.httprequest
            httprequest.max_content_length = cap + 1
            # raises RequestEntityTooLarge past cap + 1 bytes
            if len(httprequest.get_data(cache=True)) > cap:
                raise RequestEntityTooLarge()
        return super()._pre_dispatch(rule, args)
