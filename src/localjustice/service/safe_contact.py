"""Whether a contact keeps to the person's safe contact plan: one rule, used by every contact path.

A plan says whether it is safe to call or email, the safe hours for a call, a safe address for
letters (none: no letters), and whether messages may be left. An outbound contact that breaks it is
refused, whatever reason is given for not using their preference: the plan is about their safety,
so it changes only when they say it has (the plan is updated first). The messages name the rule
broken, never the person's details.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    safe_to_call: bool
    safe_to_email: bool
    safe_from: str | None
    safe_until: str | None
    safe_address: str | None
    no_messages: bool


CHANGE = " If they have told you this has changed, update their safe contact plan first."


def plan_applies(direction: str) -> bool:
    """Whether a contact made in this direction answers to the plan: only reaching out does (the
    person calling in is never refused), so a caller may skip reading the plan otherwise."""
    return direction == "outbound"


def contact_refusals(plan: Plan | None, *, channel: str, direction: str, left_message: bool = False,
                     time_of_contact: str | None = None) -> dict[str, str]:
    """Field errors for an outbound contact that breaks the plan (none without a plan)."""
    if plan is None or not plan_applies(direction):
        return {}
    errors: dict[str, str] = {}
    if channel == "phone" and not plan.safe_to_call:
        errors["channel"] = "It is not safe to phone them (safe contact plan)." + CHANGE
    elif channel == "email" and not plan.safe_to_email:
        errors["channel"] = "It is not safe to email them (safe contact plan)." + CHANGE
    elif channel == "letter" and not plan.safe_address:
        errors["channel"] = ("They have no safe address, so no letter may be sent (safe contact plan)."
                             + CHANGE)
    elif channel == "phone" and plan.safe_from and plan.safe_until:
        if not time_of_contact:
            errors["time_of_contact"] = (f"Enter the time of the call: it is safe to call only between "
                                         f"{plan.safe_from} and {plan.safe_until}")
        elif not plan.safe_from <= time_of_contact <= plan.safe_until:
            errors["time_of_contact"] = (f"It is safe to call only between {plan.safe_from} and "
                                         f"{plan.safe_until} (safe contact plan)." + CHANGE)
    if left_message and plan.no_messages:
        errors["left_message"] = "Do not leave messages for them (safe contact plan)." + CHANGE
    return errors


def preference_refusals(plan: Plan | None, *, contact_preference: str,
                        safe_to_leave_message: bool) -> dict[str, str]:
    """Field errors for contact preferences the plan makes unsafe."""
    if plan is None:
        return {}
    errors: dict[str, str] = {}
    unsafe = {"phone": not plan.safe_to_call, "email": not plan.safe_to_email,
              "letter": not plan.safe_address}
    if unsafe.get(contact_preference):
        errors["contact_preference"] = (f"Their safe contact plan says {contact_preference} is not safe: "
                                        "choose another way, or update the plan first")
    if safe_to_leave_message and plan.no_messages:
        errors["safe_to_leave_message"] = ("Their safe contact plan says not to leave messages: update the "
                                           "plan first if that has changed")
    return errors
