"""The bundled demo: a local news site (static files under site/) and the server that serves it."""
