"""Work that runs after the answer is sent, so that how long the answer takes tells the client
nothing about what the work finds (signup: whether an address is known). A WSGI server calls a
response's close() once its last byte is written (gunicorn's sync workers before reading another
request; Django's test client too): the work runs in the same worker, with its database
connection, but the client has its answer already. So it cannot fail the request: a database
that refuses it for a moment (a lock, a restart) is tried again twice, and a failure is logged,
never raised, naming only the kind of error, whose message may quote the data."""

import logging
import time
from collections.abc import Callable

from django.db import OperationalError, connections
from rest_framework.response import Response

logger = logging.getLogger(__name__)

RETRY_PAUSES = (0.2, 1.0)  # seconds before each new try after an OperationalError


class ThenResponse(Response):
    """A DRF Response that calls `then()` once it has been sent."""

    def __init__(self, *args, then: Callable[[], object], **kwargs):
        super().__init__(*args, **kwargs)
        self._then = then

    def close(self):
        then, self._then = self._then, None
        try:
            if then is not None:
                _run(then)
        finally:
            super().close()


def _run(then: Callable[[], object]) -> None:
    for pause in (*RETRY_PAUSES, None):
        try:
            then()
            return
        except OperationalError as error:
            if pause is None:
                logger.error("Work after the answer failed: %s.", type(error).__name__)
                return
            for connection in connections.all(initialized_only=True):
                if connection.errors_occurred and not connection.is_usable():
                    connection.close()  # the next try opens a new one
            time.sleep(pause)
        except Exception as error:
            logger.error("Work after the answer failed: %s.", type(error).__name__)
            return
