"""Call Automation callbacks are believed only with ACS's JWT (issue 20): signed by a key the OpenID configuration
publishes, RS256, for this resource, from ACS's issuer, not expired. The configuration and keys are served over HTTP on
127.0.0.1 by a real HTTP server, as the verifier fetches them in production."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.adapters.acs_callback_auth import AcsCallbackVerifier
from shared.ports import CallbackRefused, CallbackUnverifiable

AUDIENCE = "11111111-2222-3333-4444-555555555555"
KID = "key-1"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


ACS_KEY, OTHER_KEY = _key(), _key()


class _Publisher(BaseHTTPRequestHandler):
    base = ""
    fetches: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).fetches.append(self.path)
        if self.path == "/calling/.well-known/acsopenidconfiguration":
            body: Any = {"issuer": f"{self.base}/calling", "jwks_uri": f"{self.base}/calling/keys"}
        elif self.path == "/calling/keys":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ACS_KEY.public_key()))
            body = {"keys": [jwk | {"kid": KID, "use": "sig", "alg": "RS256"}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def publisher() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Publisher)
    _Publisher.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield _Publisher.base
    server.shutdown()


@pytest.fixture
def verifier(publisher: str) -> AcsCallbackVerifier:
    return AcsCallbackVerifier(AUDIENCE, f"{publisher}/calling/.well-known/acsopenidconfiguration")


def token(publisher: str, key: Any = ACS_KEY, alg: str = "RS256", kid: str = KID, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": f"{publisher}/calling", "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300} | claims
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg, headers={"kid": kid})


def test_a_token_signed_by_the_published_key_for_this_resource_is_accepted(verifier: AcsCallbackVerifier,
                                                                            publisher: str) -> None:
    verifier.verify(f"Bearer {token(publisher)}")
    _Publisher.fetches.clear()
    verifier.verify(f"Bearer {token(publisher)}")
    assert _Publisher.fetches == []  # configuration and keys fetched once, not per callback


@pytest.mark.parametrize("why", ["no header", "basic", "empty bearer", "other key", "other resource", "other issuer",
                                 "expired", "not yet valid", "no expiry", "unsigned", "hmac with the public key",
                                 "unknown kid", "garbage"])
def test_anything_else_is_refused(verifier: AcsCallbackVerifier, publisher: str, why: str) -> None:
    now = int(time.time())
    public_pem = ACS_KEY.public_key().public_bytes(encoding=serialization.Encoding.PEM,
                                                   format=serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {
        "no header": None,
        "basic": "Basic dXNlcjpwYXNz",
        "empty bearer": "Bearer ",
        "other key": f"Bearer {token(publisher, OTHER_KEY)}",
        "other resource": f"Bearer {token(publisher, aud='99999999-0000-0000-0000-000000000000')}",
        "other issuer": f"Bearer {token(publisher, iss='https://attacker.example.com/calling')}",
        "expired": f"Bearer {token(publisher, iat=now - 900, nbf=now - 900, exp=now - 600)}",
        "not yet valid": f"Bearer {token(publisher, nbf=now + 600)}",
        "no expiry": f"Bearer {token(publisher, exp=None)}",
        "unsigned": "Bearer " + jwt.encode({"iss": f"{publisher}/calling", "aud": AUDIENCE, "exp": now + 300},
                                           None, algorithm="none", headers={"kid": KID}),
        "hmac with the public key": "Bearer " + _hmac_token(public_pem, publisher, now),
        "unknown kid": f"Bearer {token(publisher, OTHER_KEY, kid='key-2')}",
        "garbage": "Bearer not.a.jwt",
    }[why]
    with pytest.raises(CallbackRefused):
        verifier.verify(header)


def _hmac_token(secret: bytes, publisher: str, now: int) -> str:
    """The classic confusion attack: HS256 keyed with the RSA public key. PyJWT refuses to sign with a PEM key, so the
    token is assembled by hand."""
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    body = b64(json.dumps({"iss": f"{publisher}/calling", "aud": AUDIENCE, "iat": now, "exp": now + 300}).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_unreadable_keys_make_every_callback_unverifiable_and_garbage_is_refused_without_a_fetch(
        publisher: str) -> None:
    verifier = AcsCallbackVerifier(AUDIENCE, "http://127.0.0.1:9/calling/.well-known/acsopenidconfiguration")
    with pytest.raises(CallbackUnverifiable, match="not readable"):
        verifier.verify(f"Bearer {token(publisher)}")
    started = time.monotonic()
    with pytest.raises(CallbackUnverifiable, match="recently failed"):  # not fetched again at once
        verifier.verify(f"Bearer {token(publisher)}")
    assert time.monotonic() - started < 1
    with pytest.raises(CallbackRefused, match="not a JWT"):
        verifier.verify("Bearer a.b.c")


def test_a_token_without_iat_is_accepted(verifier: AcsCallbackVerifier, publisher: str) -> None:
    verifier.verify(f"Bearer {token(publisher, iat=None)}")  # ACS documents exp, iss, aud; iat is not required
