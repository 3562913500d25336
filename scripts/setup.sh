#!/usr/bin/env bash
# `make setup`: make this machine ready to test and demo the addon. Idempotent; a second
# run only checks. Odoo 18.0 and PostgreSQL are prerequisites that it checks and explains;
# the project's own Python tools, the emulator and Chromium it installs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir -p "$LOCAL_DIR"

# 1. Odoo 18.0, importable by the python3 we use ---------------------------------------
command -v "$PYTHON" >/dev/null || die "$PYTHON not found. Install Python 3.10-3.12 with pip."
odoo_version=$("$PYTHON" -c 'import odoo.release as r; print(r.major_version)' 2>/dev/null) || odoo_version=""
if [ -z "$odoo_version" ]; then
    die "Odoo is not importable: '$PYTHON -c \"import odoo\"' failed.
This project needs Odoo 18.0 (community) installed for $PYTHON ($(command -v "$PYTHON")):
  1. get the Odoo 18.0 source, e.g.  git clone --depth 1 -b 18.0 https://github.com/odoo/odoo /opt/odoo18
  2. install its Python requirements:  $PYTHON -m pip install -r /opt/odoo18/requirements.txt
     (psycopg2-binary can replace psycopg2; python-ldap is not needed)
  3. make it importable:  $PYTHON -m pip install --no-deps -e /opt/odoo18
Then run this command again."
fi
[ "$odoo_version" = "18.0" ] || die "python3 imports Odoo $odoo_version, but this addon needs Odoo 18.0."

# 2. The project's Python tools and the emulator (skipped when nothing changed) ----------
stamp="$LOCAL_DIR/setup.stamp"
want=$( { cat "$REPO_ROOT/requirements-dev.txt" "$REPO_ROOT/gocardless_emulator/pyproject.toml"; \
          command -v "$PYTHON"; echo "$REPO_ROOT"; } | sha256sum | cut -c1-16)
imports_ok() {
    "$PYTHON" -c 'import gocardless_pro, openpyxl, freezegun, pytest_odoo, odoo_test_helper, pylint_odoo, websocket, gocardless_emulator' 2>/dev/null \
        && command -v ruff >/dev/null
}
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && imports_ok; then
    say "Python dependencies: up to date"
else
    say "Installing Python dependencies (requirements-dev.txt) and the emulator"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check \
        -r "$REPO_ROOT/requirements-dev.txt" -e "$REPO_ROOT/gocardless_emulator" \
        || die "pip could not install the packages of requirements-dev.txt; see its message above."
    imports_ok || die "the packages installed but do not import; check '$PYTHON -m pip check'."
    echo "$want" > "$stamp"
fi

# 3. Chromium, for the browser tour (Odoo's HttpCase looks for it on PATH) ---------------
find_chrome() {
    local b
    for b in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$b" >/dev/null && { command -v "$b"; return 0; }
    done
    return 1
}
if chrome=$(find_chrome); then
    say "Chromium: $chrome"
else
    say "Installing Chromium (Debian package 'chromium') for the browser tour"
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
        die "Chromium is missing and cannot be installed without root. Install it, e.g.: sudo apt-get install chromium"
    fi
    command -v apt-get >/dev/null || die "Chromium is missing and apt-get is not available: install Chromium or Google Chrome."
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null \
        || die "apt-get could not install chromium; see its message above."
    find_chrome >/dev/null || die "chromium was installed but is not on PATH."
fi

# 4. PostgreSQL: the machine's server, or a private cluster in .local/ ------------------
if pg_ready; then
    rm -f "$LOCAL_DIR/pg.env"
    say "PostgreSQL: the server of this machine accepts connections"
else
    "$REPO_ROOT/scripts/private_pg.sh" start
    load_pg_env
    pg_ready || die "the private PostgreSQL cluster started but refuses connections; see $LOCAL_DIR/pg.log"
    say "PostgreSQL: private cluster in .local/pgdata (socket $PGHOST, port $PGPORT)"
fi
