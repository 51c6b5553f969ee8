"""Imports every domain's tables so metadata (and Alembic) sees them all.

Importing a domain's models module registers all of its tables, those it adds later too."""

from app.auth import models as auth
from app.directory import models as directory
from app.interop import models as interop
from app.outreach import models as outreach
from app.review import models as review
from app.verification import models as verification

__all__ = ["auth", "directory", "interop", "outreach", "review", "verification"]
