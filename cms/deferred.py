"""Work that runs after the answer is sent, so that how long the answer takes tells the client
nothing about what the work finds (signup: whether an address is known). A WSGI server calls a
response's close() once its last byte is written (gunicorn's sync workers before reading another
request; Django's test client too): the work runs in the same worker, with its database
connection, but the client has its answer already. So a failure is logged, never raised, and the
log names only the kind of error: its message may quote the data."""

import logging
from collections.abc import Callable

from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ThenResponse(Response):
    """A DRF Response that calls `then()` once it has been sent."""

    def __init__(self, *args, then: Callable[[], object], **kwargs):
        super().__init__(*args, **kwargs)
        self._then = then

    def close(self):
        then, self._then = self._then, None
        try:
            if then is not None:
                then()
        except Exception as error:
            logger.error("Work after the answer failed: %s.", type(error).__name__)
        finally:
            super().close()
