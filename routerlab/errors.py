"""User-facing errors.

Every mistake a user can make (a bad path, an unknown model, a malformed file) raises
:class:`RouterlabError` with a one-line message that says what to fix. The CLI prints it as
``error: <message>`` and exits with code 2; notebooks show the same single line.
"""

from __future__ import annotations


class RouterlabError(Exception):
    """A user error: the message is one line and names the fix."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class NotFittedError(RouterlabError):
    """A router was used before ``fit``."""


class BackendError(RouterlabError):
    """A model call failed for a reason the user can act on (server down, no key, bad model)."""
