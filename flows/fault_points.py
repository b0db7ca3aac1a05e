"""Points where the fault tests kill a flow's process, to prove a re-run finishes the job."""

from __future__ import annotations

import os
import signal
from collections import Counter

FAULT_VARIABLE = "APPRAISAL_FAULT"
_reached: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL when ``APPRAISAL_FAULT`` asks for it at this point.

    ``APPRAISAL_FAULT=kill-after-send:3`` kills the process the third time it reaches
    ``fault_point("kill-after-send")``. Used only by the fault tests, to prove a re-run
    finishes the job; unset, this costs one environment lookup.
    """
    wanted = os.environ.get(FAULT_VARIABLE)
    if not wanted:
        return
    point, _, count = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
