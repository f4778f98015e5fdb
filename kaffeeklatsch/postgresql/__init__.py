"""Django's PostgreSQL backend with statements prepared on the server."""
