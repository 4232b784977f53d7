"""The package's one small exception hierarchy: everything a user can cause is a DAEError."""


class DAEError(ValueError):
    """Base class for errors caused by user input (config, data, model files)."""


class ConfigError(DAEError):
    """A run configuration has a bad value or an unknown key."""


class DataError(DAEError):
    """A dataset could not be built, e.g. a malformed CSV table."""


class ModelFileError(DAEError):
    """A saved model file is missing, malformed or unsafe to load."""


class OutOfMemory(DAEError):
    """A run needed more memory than its device had free: its settings ask for too much there."""


def out_of_memory(exc: BaseException) -> OutOfMemory | None:
    """``exc`` as an :class:`OutOfMemory` that names the settings to lower, if it is PyTorch running out of a GPU's
    memory (``torch.OutOfMemoryError``, recognised by name so that this module imports nothing) or of this
    machine's; None for any other error."""
    gpu = type(exc).__name__ == "OutOfMemoryError"
    if not (gpu or isinstance(exc, MemoryError) or "can't allocate memory" in str(exc)):
        return None
    where, elsewhere = ("the GPU", ", or train on the CPU (device: cpu)") if gpu else ("this machine", "")
    return OutOfMemory(
        f"This run needed more memory than {where} had free. Lower the batch size, the code size or the hidden "
        f"layers, or use fewer rows{elsewhere}; other runs are not affected."
    )
