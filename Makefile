# gocardless_sync: the only entry points. Each target does its own set-up.
#   make demo    the emulator + a demo database + Odoo on http://localhost:8069 (Ctrl-C stops)
#   make test    fresh database, install the addon, run every test, drop the database
#   make bench   the 10,000-customer benchmarks on a throwaway database
#   make lint    ruff and pylint-odoo
#   make pot     regenerate the translation template gocardless_sync/i18n/gocardless_sync.pot
#   make setup   only the set-up (idempotent; the other targets run it first)
SHELL := /bin/bash
PYTHON ?= python3
export PYTHON

.PHONY: help setup demo test bench lint pot

help:
	@sed -n '2,8p' Makefile | sed 's/^# //'

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

test: setup
	@scripts/test.sh

bench: setup
	@scripts/bench.sh

lint: setup
	@scripts/lint.sh

pot: setup
	@scripts/pot.sh
