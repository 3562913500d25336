#!/usr/bin/env bash
# `make lint`: ruff (style, imports, formatting) and pylint-odoo's mandatory checks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
say "ruff check"
ruff check .
say "ruff format --check"
ruff format --check .
say "pylint-odoo (mandatory checks of .pylintrc-mandatory)"
"$PYTHON" -m pylint --rcfile=.pylintrc-mandatory gocardless_sync
say "addon README.rst up to date"
"$PYTHON" scripts/gen_addon_readme.py --check
say "lint: clean"
