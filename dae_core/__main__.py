"""``python -m dae_core``: the command line (see :mod:`dae_core.cli`)."""

import atexit
import os
import sys
import threading

from .cli import main

BROKEN_PIPE = 141  # the status a shell reports for a command ended by SIGPIPE (128 + 13)


def exit_now(status: int) -> None:
    """End the process with ``status`` once everything the command promised is done, without the interpreter's
    teardown.

    After a command that trained, that teardown is most of what is left: unloading some 2,000 modules of PyTorch
    and running its libraries' destructors takes 0.1 s of the tutorial run's 1.5 s, and nothing in it is the
    user's. What the user can see still happens: the exit handlers run (logging's, multiprocessing's), and both
    streams are flushed; output whose reader has left ends the command quietly with the shell's status for a
    closed pipe. A command that leaves a thread running exits the usual way, so the thread is joined.
    """
    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()  # what the interpreter would run first at exit, in the same order
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader left before the last of the output: nothing more can reach it
        os._exit(BROKEN_PIPE)
    os._exit(status)


try:
    status = main()
except BrokenPipeError:  # the reader left early (`python -m dae_core train | head -1`): stop quietly, as `cat` does
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is still buffered goes nowhere
    status = BROKEN_PIPE
exit_now(status)
