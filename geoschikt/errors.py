"""Public exceptions. The CLI turns every GeoschiktError into one line and exit code 2."""


class GeoschiktError(Exception):
    """Root of all errors that are caused by input, not by a bug."""

    exit_code = 2  # the CLI's exit code: 2 for bad input, 1 for a failure of the run


class ConfigError(GeoschiktError, ValueError):
    """The configuration has unknown keys or invalid values."""


class InputFileError(GeoschiktError, OSError):
    """An input file is missing, unreadable, corrupt or lacks what is needed."""


class CRSError(GeoschiktError, ValueError):
    """Coordinates and their stated CRS do not fit together."""


class AreaError(GeoschiktError, ValueError):
    """The area to score cannot be found, or holds nothing to score."""


class NoCandidatesError(AreaError):
    """The area holds no candidate to score."""


class DataUnavailableError(GeoschiktError, LookupError):
    """Data must be downloaded but the run is offline, or the download failed."""


class OutputError(GeoschiktError, OSError):
    """Outputs cannot be written without losing existing results."""


class RunError(GeoschiktError, OSError):
    """The run failed for a reason other than its input (e.g. the disk is full): exit code 1."""

    exit_code = 1


class DiskFullError(RunError):
    """No space left while writing outputs; the message says how much the run needs."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
