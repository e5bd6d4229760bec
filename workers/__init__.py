"""Worker processes: the orchestration queue plus one queue per model provider."""
