"""Authentication of Call Automation's mid-call callbacks (issue 20), as ACS documents it: every POST carries a new
JWT (5-minute lifetime) in its Authorization header, signed by a key published through the OpenID configuration
(acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration), with the ACS resource's
immutable id as its audience. Checked with PyJWT: the signature against the published keys (fetched once, again
only for an unknown key id), the algorithm (RS256 only), issuer, audience, expiry and not-before."""

from __future__ import annotations

import logging
import os
import ssl
import threading
from typing import Any

import jwt
import requests

from shared.ports import CallbackRefused

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60  # clock skew between ACS and the app
FETCH_TIMEOUT = 5.0


class AcsCallbackVerifier:
    def __init__(self, audience: str, openid_configuration_url: str) -> None:
        self._audience, self._url = audience, openid_configuration_url
        self._lock = threading.Lock()
        self._issuer: str | None = None
        self._keys: jwt.PyJWKClient | None = None

    def verify(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CallbackRefused("no bearer token")
        issuer, keys = self._configuration()
        try:
            key = keys.get_signing_key_from_jwt(token.strip())
            jwt.decode(token.strip(), key.key, algorithms=["RS256"], audience=self._audience, issuer=issuer,
                       leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud"]})
        except jwt.PyJWKClientConnectionError as exc:  # the keys are unreachable: not the caller's fault, but
            log.warning("Call Automation signing keys not readable: %s", exc)  # nothing unverified is believed
            raise CallbackRefused("signing keys not readable") from None
        except jwt.PyJWTError as exc:
            raise CallbackRefused(f"{type(exc).__name__}: {exc}") from None

    def _configuration(self) -> tuple[str, jwt.PyJWKClient]:
        with self._lock:
            if self._keys is None or self._issuer is None:
                bundle = os.environ.get("REQUESTS_CA_BUNDLE")
                try:
                    answer = requests.get(self._url, timeout=FETCH_TIMEOUT, verify=bundle or True)
                    answer.raise_for_status()
                    config: dict[str, Any] = answer.json()
                    issuer, jwks_uri = str(config["issuer"]), str(config["jwks_uri"])
                except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
                    log.warning("Call Automation OpenID configuration not readable: %s", exc)
                    raise CallbackRefused("OpenID configuration not readable") from None
                context = ssl.create_default_context(cafile=bundle) if bundle else None
                self._issuer = issuer
                self._keys = jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=FETCH_TIMEOUT, ssl_context=context)
            return self._issuer, self._keys
