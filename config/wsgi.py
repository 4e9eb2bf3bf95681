import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Move everything loaded at start-up out of the collector's reach: without this a
# full collection walks Django's import graph every few requests (~50 ms spikes).
gc.freeze()
