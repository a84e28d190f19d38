import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.db import connection

    from apps.embeddings.selectors import warm_encoder_when_ready

    try:
        warm_encoder_when_ready()
    finally:
        connection.close()  # this thread's own connection


# Each web process loads the text model in the background at start (about 10 s on a CPU), or as soon
# as a first one serves, instead of making the first reader's semantic search wait for it.
if os.environ.get("RETRIEVER_WARM_ENCODER", "1") == "1":
    threading.Thread(target=_warm_up, name="warm-encoder", daemon=True).start()
