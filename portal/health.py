"""The portal's probes: ``/healthz`` (the process answers; nothing else is asked) and
``/readyz`` (it can do its work: the store answers, its schema is this release's, the seal
loads). Unauthenticated and never cached; served by :class:`portal.metrics.Observability`.
"""

from __future__ import annotations

from appraisal_store.readiness import Check, database_check, migrations_check, run_check

__all__ = ["readiness", "readiness_checks"]


def _seal_check() -> Check:
    def check() -> str:
        from records.configured_seal import require_deployment_seal

        return require_deployment_seal().describe()
    return run_check("seal", check)


def readiness_checks() -> list[Check]:
    """The checks of ``/readyz``, in order; the later ones are skipped once the store fails."""
    from appraisal_store.engines import pooled_engine

    bind = pooled_engine()
    checks = [database_check(bind)]
    if checks[0].ok:
        checks.append(migrations_check(bind))
    checks.append(_seal_check())
    return checks


def readiness() -> tuple[bool, str]:
    """Ready or not, with one line: "ready", or "not ready: <the first failure>"."""
    failed = next((check for check in readiness_checks() if not check.ok), None)
    return (True, "ready") if failed is None else (False, f"not ready: {failed.detail}")
