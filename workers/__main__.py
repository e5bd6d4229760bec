"""``python -m workers`` = ``podium worker``."""

from workers.main import main

main()
