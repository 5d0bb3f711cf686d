"""Operations: liveness, readiness (app database and warehouse), Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, select
from starlette.responses import Response

from localjustice.errors import LocalJusticeError
from localjustice.web.accounts import User
from localjustice.web.authorise import Permit
from localjustice.web.roles import PUBLIC

router = APIRouter(tags=["operations"])
Status = Literal["UP", "DOWN"]


class Health(BaseModel):
    status: Status


class Ready(BaseModel):
    status: Status
    checks: dict[str, Status]


@router.get("/health", dependencies=[Depends(Permit(PUBLIC))])
def health() -> Health:
    """The process is up and answering."""
    return Health(status="UP")


def _database_up(request: Request) -> bool:
    try:
        with request.app.state.sessions() as db:
            db.scalar(select(func.count()).select_from(User))
        return True
    except Exception:
        return False


def _warehouse_up(request: Request) -> bool:
    try:
        with request.app.state.warehouse.open() as warehouse:
            warehouse.execute("SELECT 1").fetchall()
        return True
    except (LocalJusticeError, Exception):
        return False


@router.get("/ready", dependencies=[Depends(Permit(PUBLIC))], response_model=Ready,
            responses={503: {"model": Ready, "description": "A dependency is down"}})
def ready(request: Request) -> Any:
    """Ready to serve: the app database is migrated and answering, and the warehouse opens."""
    checks: dict[str, Status] = {
        "database": "UP" if _database_up(request) else "DOWN",
        "warehouse": "UP" if _warehouse_up(request) else "DOWN",
    }
    body = Ready(status="UP" if all(v == "UP" for v in checks.values()) else "DOWN", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if body.status == "UP" else 503)


@router.get("/metrics", dependencies=[Depends(Permit("metrics:view"))], include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/openapi.json", dependencies=[Depends(Permit(PUBLIC))], include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())
