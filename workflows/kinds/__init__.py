"""Step kinds: one module per kind (``base`` holds the registry; ``all`` the built-ins)."""
