"""The one exception the command line turns into a clean one-line message and exit code."""


class TaprootError(Exception):
    """A failure the user can act on; its message is printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
