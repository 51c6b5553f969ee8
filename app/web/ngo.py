"""Pages for the ngo role."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.web.session import checked_form

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])
