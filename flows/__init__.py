"""Prefect flows and tasks that carry the year: open, remind, escalate, seal, close."""

import os

# Prefect's temporary local server can take longer than its default limit to start on a new
# database, more so on a loaded machine, which fails the demo's first flow (bench/FINDINGS.md).
# Set before Prefect loads.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The server's telemetry cannot reach the internet from an NHS network (or these machines)
# and logs an error each time it tries.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

# A worker runs each flow run in a process of its own, which imports this package after
# Prefect has set up its logging: JSON lines (APPRAISAL_LOG_FORMAT=json) are set up here.
from appraisal_store.logs import configure_logging  # noqa: E402

configure_logging()

# A run that the machine around it fails logs the failure's sentence, not a traceback
# (flows/failures.py); in every process that runs flows, the worker's runs included.
from .failures import install_sentence_filter  # noqa: E402

install_sentence_filter()
