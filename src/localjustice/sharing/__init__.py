"""Information-sharing agreements and data requests (MoU March 2018, section 5.1; issue 18 part 3).

A register of agreements (parties, datasets, purposes, legal basis, period), seeded from
``agreements.toml``; a request workflow with deadlines in working days (``workflow.toml``); grants
that let an approved requester download exactly the pseudonymous datasets named until an end
date, checked at each download; and a publishable register of requests with the median working
days to decision. The web pages are in ``sharing.web`` (imported by the web app, not from here).
"""

from localjustice.sharing.agreements import agreements_view, state_of, sync_agreements
from localjustice.sharing.deadlines import due_on, median_days, standing, working_days_to_decision
from localjustice.sharing.demo import demo_sharing
from localjustice.sharing.grants import current_grant, dataset_csv, grants_view
from localjustice.sharing.models import Agreement, DataRequest, Grant, RequestStep
from localjustice.sharing.register import board_summary, register_csv, register_view
from localjustice.sharing.requests import (
    RequestChanged,
    RequestForm,
    RequestInvalid,
    RequestNotFound,
    check_request,
    decide,
    resubmit,
    submit,
)
from localjustice.sharing.rules import load_agreement_terms, load_datasets, load_workflow
from localjustice.sharing.views import reminders

__all__ = [
    "Agreement",
    "DataRequest",
    "Grant",
    "RequestChanged",
    "RequestForm",
    "RequestInvalid",
    "RequestNotFound",
    "RequestStep",
    "agreements_view",
    "board_summary",
    "check_request",
    "current_grant",
    "dataset_csv",
    "decide",
    "demo_sharing",
    "due_on",
    "grants_view",
    "load_agreement_terms",
    "load_datasets",
    "load_workflow",
    "median_days",
    "register_csv",
    "register_view",
    "reminders",
    "resubmit",
    "standing",
    "state_of",
    "submit",
    "sync_agreements",
    "working_days_to_decision",
]
