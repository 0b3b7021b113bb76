"""kore-mock: a stateful stand-in for Kore.ai's AgentAssist contacts API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kore-mock")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
