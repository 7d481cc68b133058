"""The values bugs are made of: sources, levels, statuses and the rules between them.

Kept apart from the SQLAlchemy models (shared/db/models.py) so that the report function's
hot path and cold start never import the ORM (docs/benchmarks.md, cold start).
"""

from __future__ import annotations

import enum


class LogSource(str, enum.Enum):
    RUNTIME = "runtime"
    CICD = "cicd"
    DEPLOYMENT = "deployment"


class Level(str, enum.Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class BugStatus(str, enum.Enum):
    NEW = "NEW"
    PENDING_FIX = "PENDING_FIX"
    FIXING = "FIXING"
    FIXED = "FIXED"
    VERIFIED = "VERIFIED"
    DEPLOYED = "DEPLOYED"
    FIX_FAILED = "FIX_FAILED"
    CANNOT_REPRODUCE = "CANNOT_REPRODUCE"
    IGNORED = "IGNORED"


SOURCES = [s.value for s in LogSource]
LEVELS = [lv.value for lv in Level]
STATUSES = [s.value for s in BugStatus]
PENDING_STATUSES = [BugStatus.NEW.value, BugStatus.PENDING_FIX.value]
CLAIMABLE_STATUSES = [BugStatus.NEW.value, BugStatus.PENDING_FIX.value, BugStatus.FIX_FAILED.value]
# Bugs somebody still has to act on (the projects list counts them).
OPEN_STATUSES = [BugStatus.NEW.value, BugStatus.PENDING_FIX.value, BugStatus.FIXING.value,
                 BugStatus.FIX_FAILED.value]
# A runtime bug seen again in one of these is a regression and reopens.
RESOLVED_STATUSES = [BugStatus.FIXED.value, BugStatus.VERIFIED.value, BugStatus.DEPLOYED.value]
