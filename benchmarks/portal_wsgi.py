"""WSGI entry point of the benchmarks' portal: CKAN's application for the configuration
file named by ``CKAN_INI`` (the ckan wheel ships no ``wsgi.py``; this is the one CKAN's
deployment guide writes). ``gunicorn --pythonpath benchmarks portal_wsgi:application``."""

from __future__ import annotations

import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

CONFIG_PATH = os.environ["CKAN_INI"]
fileConfig(CONFIG_PATH, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(CONFIG_PATH).get_config())
