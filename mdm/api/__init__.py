"""REST: generic controllers mounted once per domain, plus the cross-domain endpoints.

The names exported here are the surface plugins (stewardship) may use; the rest of mdm.api is internal."""

from mdm.api.deps import provide_actor, provide_session
from mdm.api.problems import problem_of_error
from mdm.api.records import RecordId
from mdm.api.records import problems as problem_responses  # `problems` would be shadowed by mdm.api.problems
from mdm.api.versions import ContractVersion, operation_id, under_every_version, version_of, version_suffix
from mdm.api.visibility import caller_subjects, readable

__all__ = [
    "ContractVersion",
    "RecordId",
    "caller_subjects",
    "operation_id",
    "problem_of_error",
    "problem_responses",
    "provide_actor",
    "provide_session",
    "readable",
    "under_every_version",
    "version_of",
    "version_suffix",
]
