"""``python -m podium.workers`` = ``podium worker``."""

from podium.workers.main import main

main()
