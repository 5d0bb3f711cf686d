"""User accounts for the web app: local (Argon2) and identity-provider sign-in share one table."""

from localjustice.web.accounts.models import User
from localjustice.web.accounts.service import (
    EditConflict,
    FormInvalid,
    Lockout,
    SignInFailed,
    UserForm,
    authenticate,
    count_users,
    create_demo_users,
    create_user,
    get_user,
    list_users,
    update_user,
    user_for_identity_provider,
)

__all__ = [
    "EditConflict",
    "FormInvalid",
    "Lockout",
    "SignInFailed",
    "User",
    "UserForm",
    "authenticate",
    "count_users",
    "create_demo_users",
    "create_user",
    "get_user",
    "list_users",
    "update_user",
    "user_for_identity_provider",
]
