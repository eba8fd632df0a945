"""The request dependencies every module's routes share: the two databases' sessions of
the request (committed by `TransactionalRoute`) and the page asked for.

A module's permission dependencies (`Read`, `Write`, `Admin`) live in its own
`permissions.py`, next to the permissions they require."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from rastro.core.pagination import PageParams, page_params
from rastro.core.session import bi_session, crm_session

CrmSession = Annotated[AsyncSession, Depends(crm_session)]
BiSession = Annotated[AsyncSession, Depends(bi_session)]
Pagination = Annotated[PageParams, Depends(page_params)]
