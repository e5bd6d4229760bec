# Podium worker image (used by docker-compose.yml: `docker compose up --scale worker=3`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY podium podium
COPY activities activities
COPY compiler compiler
COPY workflows workflows
COPY workers workers
COPY starters starters
# the postgres extra: psycopg, for the shared memory store (PODIUM_MEMORY_URL)
RUN pip install --no-cache-dir ".[postgres]"
COPY agents agents
COPY specs specs
# API keys come from the environment at run time (see docker-compose.yml), never the image.
ENTRYPOINT ["podium"]
CMD ["worker"]
