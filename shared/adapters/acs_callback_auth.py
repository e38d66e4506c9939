"""Authentication of Call Automation's mid-call callbacks (issue 20), as ACS documents it: every POST carries a new
JWT (5-minute lifetime) in its Authorization header, signed by a key published through the OpenID configuration
(acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration), with the ACS resource's
immutable id as its audience. Checked with PyJWT: the signature against the published keys (the key set cached for
5 minutes, fetched again at once for an unknown key id, so a withdrawn key is not trusted for long), the algorithm
(RS256 only), issuer, audience, expiry and not-before. A token that cannot be parsed is refused before anything is
fetched; keys that cannot be read answer "unverifiable" (503: our outage, not the caller's fault), and the fetch is
not tried again for FAILURE_PAUSE seconds so callbacks do not queue behind a dead endpoint."""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from typing import Any

import jwt
import requests

from shared.ports import CallbackRefused, CallbackUnverifiable

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60  # clock skew between ACS and the app
FETCH_TIMEOUT = 5.0
FAILURE_PAUSE = 5.0


class AcsCallbackVerifier:
    def __init__(self, audience: str, openid_configuration_url: str) -> None:
        self._audience, self._url = audience, openid_configuration_url
        self._lock = threading.Lock()
        self._issuer: str | None = None
        self._keys: jwt.PyJWKClient | None = None
        self._failed_at: float | None = None

    def verify(self, authorization: str | None) -> None:
        scheme, _, raw = (authorization or "").partition(" ")
        token = raw.strip()
        if scheme.lower() != "bearer" or not token:
            raise CallbackRefused("no bearer token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise CallbackRefused(f"not a JWT: {exc}") from None
        if header.get("alg") != "RS256":
            raise CallbackRefused(f"algorithm {header.get('alg')!r} is not RS256")
        issuer, keys = self._configuration()
        try:
            key = keys.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("Call Automation signing keys not readable: %s", exc)
            raise CallbackUnverifiable("signing keys not readable") from None
        except jwt.PyJWTError as exc:  # no key with that id, even after fetching the set again
            raise CallbackRefused(f"{type(exc).__name__}: {exc}") from None
        try:
            jwt.decode(token, key.key, algorithms=["RS256"], audience=self._audience, issuer=issuer,
                       leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            raise CallbackRefused(f"{type(exc).__name__}: {exc}") from None

    def _configuration(self) -> tuple[str, jwt.PyJWKClient]:
        with self._lock:
            if self._keys is not None and self._issuer is not None:
                return self._issuer, self._keys
            if self._failed_at is not None and time.monotonic() - self._failed_at < FAILURE_PAUSE:
                raise CallbackUnverifiable("OpenID configuration not readable (recently failed)")
            bundle = os.environ.get("REQUESTS_CA_BUNDLE")
            try:
                answer = requests.get(self._url, timeout=FETCH_TIMEOUT, verify=bundle or True)
                answer.raise_for_status()
                config: dict[str, Any] = answer.json()
                issuer, jwks_uri = str(config["issuer"]), str(config["jwks_uri"])
            except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                self._failed_at = time.monotonic()
                log.warning("Call Automation OpenID configuration not readable: %s", exc)
                raise CallbackUnverifiable("OpenID configuration not readable") from None
            context = ssl.create_default_context(cafile=bundle) if bundle else None
            self._issuer, self._failed_at = issuer, None
            self._keys = jwt.PyJWKClient(jwks_uri, cache_keys=False, cache_jwk_set=True, lifespan=300,
                                         timeout=FETCH_TIMEOUT, ssl_context=context)
            return self._issuer, self._keys
