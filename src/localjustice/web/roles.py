"""The role matrix as data: which roles hold each permission, loaded from ``roles.toml``.

Each route declares one permission (see ``authorise.Permit``); this module says who holds it.
``python -m localjustice.web.roles`` prints the human-readable matrix kept in ``docs/roles.md``;
a test checks the two agree, and another walks every route as every role against this data.
"""

from __future__ import annotations

import textwrap
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from localjustice.access import RECORD_KINDS, ROLES, load_access_reasons
from localjustice.errors import LocalJusticeError

PUBLIC = "public"
SIGNED_IN = "signed_in"
BUILT_IN = (PUBLIC, SIGNED_IN)
#: Roles that must never see the identity zone (DESIGN.md, "Zones and data protection").
NEVER_IDENTITY = frozenset({"analyst", "board"})


@dataclass(frozen=True)
class Permission:
    name: str
    description: str
    roles: frozenset[str]
    identity_zone: bool = False


@dataclass(frozen=True)
class RoleMatrix:
    permissions: Mapping[str, Permission]

    def allows(self, role: str | None, permission: str) -> bool:
        if permission == PUBLIC:
            return True
        if role is None:
            return False
        if permission == SIGNED_IN:
            return role in ROLES
        held = self.permissions.get(permission)
        if held is None:
            raise LocalJusticeError(f"Permission {permission!r} is not in the role matrix.")
        return role in held.roles

    def merged(self, extra: Iterable[Permission]) -> RoleMatrix:
        """This matrix plus an extension's own permissions (names must be new)."""
        combined = dict(self.permissions)
        for permission in extra:
            if permission.name in combined or permission.name in BUILT_IN:
                raise LocalJusticeError(f"Permission {permission.name!r} is declared twice.")
            combined[permission.name] = _checked(permission)
        return RoleMatrix(combined)


def _checked(permission: Permission) -> Permission:
    unknown = permission.roles - set(ROLES)
    if unknown:
        raise LocalJusticeError(f"Permission {permission.name!r} names unknown roles: {sorted(unknown)}.")
    if permission.identity_zone and permission.roles & NEVER_IDENTITY:
        raise LocalJusticeError(f"Permission {permission.name!r} shows the identity zone, which "
                                "analysts and the board never see.")
    return permission


def load_matrix(text: str | None = None) -> RoleMatrix:
    raw = tomllib.loads(text if text is not None else
                        (resources.files("localjustice.web") / "roles.toml").read_text("utf-8"))
    permissions = {
        name: _checked(Permission(name=name, description=str(entry["description"]),
                                  roles=frozenset(entry["roles"]),
                                  identity_zone=bool(entry.get("identity_zone", False))))
        for name, entry in raw["permissions"].items()
    }
    return RoleMatrix(permissions)


def render_markdown(matrix: RoleMatrix, routes: Sequence[tuple[str, str, str]]) -> str:
    """The matrix as a Markdown page; ``routes`` are (method, path, permission) rows."""
    names = [PUBLIC, SIGNED_IN, *matrix.permissions]
    lines = [
        "# Roles: who may see and do what in the web app",
        "",
        "Generated from `src/localjustice/web/roles.toml` by `python -m localjustice.web.roles`;",
        "a test fails when this page and the data disagree. Do not edit by hand.",
        "",
        "## Permissions by role",
        "",
        "| permission | " + " | ".join(ROLES) + " | identity zone | what it allows |",
        "|---|" + "---|" * len(ROLES) + "---|---|",
    ]
    for name in names:
        if name in BUILT_IN:
            description = ("anyone, signed in or not" if name == PUBLIC else "anyone signed in")
            marks = ["yes"] * len(ROLES)
            zone = "no"
        else:
            permission = matrix.permissions[name]
            description = permission.description
            marks = ["yes" if role in permission.roles else "no" for role in ROLES]
            zone = "yes" if permission.identity_zone else "no"
        lines.append(f"| `{name}` | " + " | ".join(marks) + f" | {zone} | {description} |")
    lines += _access_rules()
    lines += _reasons_for_access()
    lines += ["", "## Routes and the permission each needs", "", "| method | path | permission |",
              "|---|---|---|"]
    lines += [f"| {method} | `{path}` | `{permission}` |" for method, path, permission in routes]
    return "\n".join(lines) + "\n"


def _access_rules(text: str | None = None) -> list[str]:
    """The rules beyond the matrix (``[[rule]]`` in ``roles.toml``): who may reach which record."""
    raw = tomllib.loads(text if text is not None else
                        (resources.files("localjustice.web") / "roles.toml").read_text("utf-8"))
    lines = ["", "## Access rules"]
    for rule in raw.get("rule", []):
        lines += ["", f"**{rule['title']}.** " + " ".join(str(rule["text"]).split())]
    return lines


def _reasons_for_access() -> list[str]:
    """The rules of ``localjustice.access`` and its list of reasons (``access_reasons.toml``)."""
    reasons = load_access_reasons()
    rules = (
        "Every view of a person's record writes an audit event with its purpose. A case's allocated "
        f"caseworker (its single point of contact) is recorded as \"{reasons.allocated_purpose}\"; "
        "anyone else (team colleagues, supervisors, admins, data stewards on the linkage review pair "
        "page, and supervisors or admins on the possible duplicates page and its decisions) chooses a "
        "reason before the record is shown: on the page that asks for it, or as "
        "`purpose=<code>` (and `purpose_detail` for a reason that needs words) in the API, which "
        "without a valid reason answers 422 with the reasons it accepts, never the record. A reason "
        f"chosen on the page holds for that record in that session for {reasons.reuse_minutes} "
        "minutes. Refused attempts (403 or 404) on a route that reaches a person's record are "
        "audited as `access.refused`: who, role, route, record id and outcome.")
    lines = ["", "## Reasons for access", "", *textwrap.wrap(rules, width=100), "",
             "| code | reason | for | words needed |", "|---|---|---|---|"]
    lines += [f"| `{r.code}` | {r.label} | {', '.join(k for k in RECORD_KINDS if k in r.records)} | "
              f"{'yes' if r.free_text_required else 'no'} |" for r in reasons.reasons]
    return lines


def main() -> None:
    import tempfile
    from pathlib import Path

    from localjustice.web.app import create_app
    from localjustice.web.authorise import route_permissions
    from localjustice.web.settings import WebSettings

    with tempfile.TemporaryDirectory() as folder:
        settings = WebSettings(data_dir=Path(folder), database_url=f"sqlite:///{folder}/app.db",
                               secret_key="x" * 32)
        app = create_app(settings)
        print(render_markdown(app.state.matrix, route_permissions(app)), end="")


if __name__ == "__main__":
    main()
