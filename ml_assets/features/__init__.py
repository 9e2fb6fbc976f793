"""Features defined once: feature views (offline Delta, online SQLite) and request-time features."""
