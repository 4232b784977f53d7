"""What the fork server imports once, before it forks any training worker (``pool.worker_context``).

Importing this module imports PyTorch, the engine and the worker's code (about 1.5 s and 200 MB on a small machine),
then moves every object they made out of the garbage collector's generations. Each
worker is then a fork of that process: it starts in milliseconds and shares those pages with the fork server and
with every other worker, copy-on-write, instead of holding a copy of its own; a collection in a worker never walks
(and so never writes to) the frozen objects, which keeps the pages shared.

Only imports run here, never a tensor operation: PyTorch's OpenMP threads start with the first parallel one, and a
process forked after that hangs in its first parallel region. Each worker warms itself up after the fork.
scikit-learn is left out: the tutorial's data needs none of it, and importing it here (a second of the server's
start on two cores) delayed a first visitor's run by as much; a worker imports it for the first run that needs it
(digits, moons, circles).
"""

import gc

import torch  # noqa: F401

from .. import training  # noqa: F401
from . import worker  # noqa: F401

gc.freeze()
