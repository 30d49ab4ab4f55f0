"""`chapbook serve`: the live preview (builder, HTTP server, watch loop)."""
