"""WSGI entry point: ``gunicorn kaffeeklatsch.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaffeeklatsch.settings")
application = get_wsgi_application()
