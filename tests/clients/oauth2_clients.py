"""Drives /token with OAuth2 client libraries nobody here wrote: Authlib and
requests-oauthlib. Each must read a wrong password as `invalid_grant` (not
store the error body as a token, not raise a generic error), log in, call a
guarded route and refresh with rotation.

Usage: oauth2_clients.py BASE_URL
Exit status 0 when every check holds; the first failed check is printed.
"""

import os
import sys

# Loopback test server over plain HTTP.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.integrations.base_client.errors import OAuthError  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession  # noqa: E402
from oauthlib.oauth2 import InvalidGrantError, LegacyApplicationClient  # noqa: E402
from requests_oauthlib import OAuth2Session as OAuthlibSession  # noqa: E402

BASE = sys.argv[1]
TOKEN_URL = BASE + "/token"


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


def authlib():
    client = AuthlibSession(client_id="demo", token_endpoint_auth_method="none")
    try:
        token = client.fetch_token(TOKEN_URL, username="johndoe", password="wrong")
        check(False, f"Authlib: a wrong password raised nothing and gave {token!r}")
    except OAuthError as error:
        check(error.error == "invalid_grant", f"Authlib: wrong password is {error.error!r}")
    token = client.fetch_token(TOKEN_URL, username="johndoe", password="secret")
    check("access_token" in token and "refresh_token" in token, "Authlib: password grant")
    me = client.get(BASE + "/users/me")
    check(me.status_code == 200 and me.json()["username"] == "johndoe", "Authlib: guarded route")
    refreshed = client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
    check(refreshed["refresh_token"] != token["refresh_token"], "Authlib: refresh rotates")
    try:
        client.fetch_token(TOKEN_URL, username="alice", password="secret2")
        check(False, "Authlib: a disabled user got a token")
    except OAuthError as error:
        check(error.error == "invalid_grant", "Authlib: disabled user is invalid_grant")


def requests_oauthlib():
    client = OAuthlibSession(client=LegacyApplicationClient(client_id="demo"))
    try:
        client.fetch_token(TOKEN_URL, username="johndoe", password="wrong", include_client_id=True)
        check(False, "requests-oauthlib: a wrong password raised nothing")
    except InvalidGrantError:
        check(True, "requests-oauthlib: wrong password raises InvalidGrantError")
    token = client.fetch_token(TOKEN_URL, username="johndoe", password="secret", include_client_id=True)
    check("access_token" in token, "requests-oauthlib: password grant")
    me = client.get(BASE + "/users/me")
    check(me.status_code == 200, "requests-oauthlib: guarded route")


authlib()
requests_oauthlib()
print("all checks passed")
