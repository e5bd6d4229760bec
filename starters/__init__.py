"""Entry points: the ``podium`` CLI and plain starter scripts shaped ``main(client=None)``."""
