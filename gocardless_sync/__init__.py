from . import controllers
from . import models
from . import services
from . import wizards


def post_init_hook(env):
    """Give every existing company its GoCardless account (the integration screen)."""
    env["res.company"].search([])._gocardless_ensure_account()
