"""``from kore_mock import kore_mock`` — the short import of kore-mock's test helper.

The same objects as ``mockserver.testing``; see the README's "Use it in your tests".
"""

from mockserver.testing import KoreMock, kore_mock, serve_wsgi

__all__ = ["KoreMock", "kore_mock", "serve_wsgi"]
