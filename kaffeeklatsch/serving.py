"""What gunicorn needs to serve Kaffeeklatsch: its logger, whose error and access
logs hold no token, query string or e-mail address (:mod:`kaffeeklatsch.logs`).

The repository's ``gunicorn.conf.py`` names it, so ``gunicorn kaffeeklatsch.wsgi``
started in the repository uses it; elsewhere pass
``--logger-class kaffeeklatsch.serving.Logger``.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from kaffeeklatsch.logs import PersonalDataFilter

_FILTER = PersonalDataFilter()


class Logger(glogging.Logger):
    """gunicorn's logger, with every line cleaned: the access log's request line
    carries the path (with a link's token) and the query string."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # On the loggers for what is logged to them, on their handlers for what
        # reaches them from elsewhere; gunicorn calls setup again on a reload, and a
        # filter is added only once.
        for logger in (self.error_log, self.access_log):
            logger.addFilter(_FILTER)
            for handler in logger.handlers:
                handler.addFilter(_FILTER)
