"""Plain-Python services (no Odoo imports): the API adapter, the matching engine and the
balance export's files."""

from . import api
from . import export_files
