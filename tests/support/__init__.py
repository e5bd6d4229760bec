"""Helpers for tests (function agents the test workers import)."""
