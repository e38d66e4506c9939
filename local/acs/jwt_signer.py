"""The keys the ACS stand-in signs Call Automation's callbacks with, and their OpenID publication.

As ACS documents (learn.microsoft.com/azure/communication-services/how-tos/call-automation/secure-webhook-endpoint):
every callback POST carries `Authorization: Bearer <JWT>`, a new token per POST with a five-minute lifetime, RS256,
`aud` the resource's immutable id, `iss` the issuer of the OpenID configuration published at
/calling/.well-known/acsopenidconfiguration, whose `jwks_uri` (/calling/keys) lists the public keys by `kid`.
ACS's issuer is its host (https://acscallautomation.communication.azure.com); the stand-in's is its own endpoint.
The key is generated when the stand-in is built and lives as long as it does (a restart rotates it, as ACS may)."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

OPENID_CONFIGURATION_PATH = "/calling/.well-known/acsopenidconfiguration"
KEYS_PATH = "/calling/keys"
TOKEN_LIFETIME_SECONDS = 5 * 60
ALGORITHM = "RS256"


class CallbackSigner:
    """One RSA key: signs a token per callback; publishes the OpenID configuration and the JWKS. Thread-safe."""

    def __init__(self, audience: str) -> None:
        self.audience = audience
        self.issuer = ""  # the stand-in's endpoint, known once it listens (see bind)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def bind(self, issuer: str) -> None:
        """Set the issuer (the stand-in's https endpoint) once the port is known."""
        self.issuer = issuer

    def token(self, now: float | None = None) -> str:
        """A new RS256 JWT for one callback POST: iss, aud, iat, nbf, exp (five minutes), and a jti so that two
        tokens of the same second still differ (ACS makes a new token for every event)."""
        issued = int(now if now is not None else time.time())
        claims = {"iss": self.issuer, "aud": self.audience, "iat": issued, "nbf": issued,
                  "exp": issued + TOKEN_LIFETIME_SECONDS, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"})

    def openid_configuration(self) -> dict[str, Any]:
        """What GET /calling/.well-known/acsopenidconfiguration answers."""
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}{KEYS_PATH}",
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
        }

    def jwks(self) -> dict[str, Any]:
        """What GET /calling/keys answers: the public key as a JSON Web Key Set."""
        numbers = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": ALGORITHM, "kid": self.kid,
                          "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}]}


def _b64url_uint(value: int) -> str:
    """A JWK integer: big-endian bytes, base64url without padding (RFC 7518 section 6.3.1)."""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
