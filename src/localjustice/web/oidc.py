"""OpenID Connect sign-in through Authlib, when ``LOCALJUSTICE_OIDC_*`` are set.

The identity provider proves who someone is; this service decides what they may do: the claim
named by ``LOCALJUSTICE_OIDC_USERNAME_CLAIM`` (``email`` by default) must match an active account
here, whose role applies. Authorisation code flow with PKCE, state and nonce (Authlib's defaults
with ``code_challenge_method``); the ID token is verified against the issuer's published keys.
"""

from __future__ import annotations

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from localjustice.web.settings import OidcSettings

CLIENT_NAME = "idp"


def identity_provider(settings: OidcSettings | None) -> StarletteOAuth2App | None:
    """The registered OIDC client, or ``None`` when only local accounts are configured."""
    if settings is None:
        return None
    oauth = OAuth()
    client = oauth.register(
        name=CLIENT_NAME,
        server_metadata_url=settings.metadata_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    assert isinstance(client, StarletteOAuth2App)
    return client
