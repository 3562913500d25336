"""Plain-Python services (no Odoo imports): the API adapter and the matching engine."""

from . import api
