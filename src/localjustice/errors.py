"""The project's own exception for failures a user can act on.

The CLI and the web app render these as plain messages; anything else is a bug and keeps its
traceback. Messages never carry personal values.
"""


class LocalJusticeError(Exception):
    """A failure with a message that tells the user what to do."""
