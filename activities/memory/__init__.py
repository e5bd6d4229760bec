"""Memory across runs: facts about a subject (a customer, a vendor, a market) that steps
read and write, kept in a real database (docs/memory.md).

    contracts.py        what the activities take and return
    activities.py       podium.memory_read / podium.memory_write (orchestration queue)
    store.py            the MemoryStore protocol, subject keys, search words
    sqlite_store.py     the embedded default (.podium/memory.db)
    postgres_store.py   PostgreSQL (psycopg 3), for workers on several hosts
    migrations.py       numbered SQL files in migrations/<dialect>/, applied at open
    settings.py         PODIUM_MEMORY_URL → the store, opened once per process
    values.py           a fact's value at rest: a payload through the codec
"""
