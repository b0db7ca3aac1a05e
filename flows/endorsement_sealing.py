"""The sealing sweep's share of the regional endorsements: any endorsement recorded but not
yet signed into its record (the portal signs it at once; a crash in between leaves it for
this sweep)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from appraisal_store.sessions import read_session


@task(name="seal-endorsements", cache_policy=NO_CACHE, persist_result=False)
def seal_pending_endorsements() -> list[int]:
    """Sign each pending endorsement into its record; the appraisal ids done."""
    from records.endorsement import pending_endorsement_seals, seal_endorsement

    with read_session() as session:
        pending = pending_endorsement_seals(session)
    return [appraisal_id for appraisal_id in pending if seal_endorsement(appraisal_id)]
