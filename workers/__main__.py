"""``python -m workers`` = ``podium worker``."""

from podium.workers.main import main

main()
