"""The contacts domain: pure Python, no Flask, no SQL."""
