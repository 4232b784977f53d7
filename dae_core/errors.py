"""The package's one small exception hierarchy: everything a user can cause is a DAEError."""


class DAEError(ValueError):
    """Base class for errors caused by user input (config, data, model files)."""


class ConfigError(DAEError):
    """A run configuration has a bad value or an unknown key."""


class DataError(DAEError):
    """A dataset could not be built, e.g. a malformed CSV table."""


class ModelFileError(DAEError):
    """A saved model file is missing, malformed or unsafe to load."""
