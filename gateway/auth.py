"""Stage 1: the Authorization header → the database role and the JWT claims.

HS256/384/512 with jwt-secret (optionally base64), or the asymmetric keys of a JWK /
JWKS given as jwt-secret, as PostgREST accepts. exp/nbf/iat are checked with
PostgREST's 30 s of clock skew, aud against jwt-aud, and the role is read at
jwt-role-claim-key. With jwt-cache-max-lifetime = N > 0, validated tokens are cached for
at most N seconds and never past their exp (0, the default, validates every token, as
PostgREST 13). Messages and codes
are PostgREST's (PGRST301 decode, PGRST303 claims, PGRST302 anonymous access disabled).
"""

from __future__ import annotations

import base64
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.exceptions import InvalidSignatureError, PyJWKError, PyJWTError

from gateway import errors
from gateway.config import Config

CLOCK_SKEW = 30
CACHE_SIZE = 4096
_HMAC = frozenset({"HS256", "HS384", "HS512"})
_KTY = {"HS": "oct", "RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True, slots=True)
class AuthResult:
    role: str
    claims_json: str
    authenticated: bool
    expires: float | None = None


class Authenticator:
    def __init__(self, config: Config) -> None:
        self.configure(config)

    def configure(self, config: Config) -> None:
        """Take a (reloaded) configuration; cached tokens are dropped."""
        self._max_lifetime = config.jwt_cache_max_lifetime
        self._secret = config.jwt_secret
        self._aud = config.jwt_aud
        self._role_path = config.jwt_role_claim_key
        self._anon = config.db_anon_role
        self._keys: list[tuple[str | None, str | None, str, Any]] = []  # kid, alg, kty, key
        if config.jwt_jwks is not None:
            for jwk in config.jwt_jwks.get("keys", []):
                try:
                    key = jwt.PyJWK(jwk)
                except (PyJWKError, PyJWTError, ValueError, TypeError):
                    continue  # PostgREST skips keys it cannot use
                self._keys.append((jwk.get("kid"), jwk.get("alg"), jwk.get("kty", ""), key))
        # token → (result, cached until): bounded by jwt-cache-max-lifetime and exp
        self._cache: OrderedDict[str, tuple[AuthResult, float]] = OrderedDict()
        anon_claims = json.dumps({"role": self._anon}) if self._anon else "{}"
        self._anonymous = AuthResult(self._anon or "", anon_claims, False)

    @property
    def has_key(self) -> bool:
        return self._secret is not None or bool(self._keys)

    def authenticate(self, authorization: str | None) -> AuthResult:
        token = _bearer(authorization)
        if token is None:
            if not self._anon:
                raise errors.jwt_required()
            return self._anonymous
        now = time.time()
        if self._max_lifetime <= 0:
            return self._validate(token, now)
        cached = self._cache.get(token)
        if cached is not None:
            result, until = cached
            if now <= until:
                return result
            del self._cache[token]
        result = self._validate(token, now)
        until = now + self._max_lifetime
        if result.expires is not None:
            until = min(until, result.expires)
        self._cache[token] = (result, until)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    def _validate(self, token: str, now: float) -> AuthResult:
        if token == "":
            raise errors.jwt_decode("Empty JWT is sent in Authorization header")
        parts = token.split(".")
        if len(parts) != 3:
            raise errors.jwt_decode(f"Expected 3 parts in JWT; got {len(parts)}")
        if not self.has_key:
            raise errors.jwt_secret_missing()
        try:
            header = json.loads(_b64(parts[0]))
            if not isinstance(header, dict):
                raise ValueError
        except ValueError:
            raise errors.jwt_decode("JWT couldn't be decoded") from None
        alg = header.get("alg")
        payload = self._verify(token, alg, header.get("kid"))
        try:
            claims = json.loads(payload)
        except ValueError:
            raise errors.jwt_claims("Parsing claims failed") from None
        if not isinstance(claims, dict):
            raise errors.jwt_claims("Parsing claims failed")
        expires = self._check_claims(claims, now)
        role = _walk(claims, self._role_path)
        if not isinstance(role, str) or not role:
            if not self._anon:
                raise errors.jwt_required()
            role = self._anon
        claims["role"] = role  # PostgREST's claims GUC carries the role it switched to
        return AuthResult(role, json.dumps(claims, ensure_ascii=False), True, expires)

    def _verify(self, token: str, alg: Any, kid: Any) -> bytes:
        if not isinstance(alg, str) or alg not in _HMAC | _ASYMMETRIC:
            raise errors.jwt_decode(
                "Wrong or unsupported encoding algorithm",
                f"Unsupported algorithm {alg!r}" if alg else None,
            )
        candidates: list[Any] = []
        if alg in _HMAC and self._secret is not None:
            candidates.append(self._secret)
        for key_id, key_alg, kty, key in self._keys:
            if kid is not None and key_id is not None and key_id != kid:
                continue
            if key_alg is not None and key_alg != alg:
                continue
            if _KTY.get(alg[:2]) not in (None, kty):
                continue
            candidates.append(key)
        if not candidates:
            raise errors.jwt_decode(
                "No suitable key or wrong key type", "None of the keys was able to decode the JWT"
            )
        last: Exception | None = None
        for key in candidates:
            try:
                decoded = jwt.api_jws.decode_complete(token, key=key, algorithms=[alg])
                payload: bytes = decoded["payload"]
                return payload
            except InvalidSignatureError as exc:
                last = exc
            except (PyJWTError, PyJWKError, ValueError, TypeError) as exc:
                last = exc
        if isinstance(last, InvalidSignatureError):
            raise errors.jwt_decode("JWT cryptographic operation failed")
        raise errors.jwt_decode("JWT cryptographic operation failed")

    def _check_claims(self, claims: dict[str, Any], now: float) -> float | None:
        exp = _time_claim(claims, "exp")
        nbf = _time_claim(claims, "nbf")
        iat = _time_claim(claims, "iat")
        if exp is not None and now > exp + CLOCK_SKEW:
            raise errors.jwt_claims("JWT expired")
        if nbf is not None and now < nbf - CLOCK_SKEW:
            raise errors.jwt_claims("JWT not yet valid")
        if iat is not None and iat > now + CLOCK_SKEW:
            raise errors.jwt_claims("JWT issued at future")
        if "aud" in claims:
            self._check_audience(claims["aud"])
        return None if exp is None else exp + CLOCK_SKEW

    def _check_audience(self, aud: Any) -> None:
        if isinstance(aud, str):
            auds = [aud]
        elif isinstance(aud, list) and all(isinstance(a, str) for a in aud):
            auds = aud
        else:
            raise errors.jwt_claims("The JWT 'aud' claim must be a string or an array of strings")
        if self._aud is not None and self._aud not in auds:
            raise errors.jwt_claims("JWT not in audience")


def _time_claim(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if not _number(value):
        raise errors.jwt_claims(f"The JWT '{name}' claim must be a number")
    return float(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _walk(claims: Any, path: tuple[str | int, ...]) -> Any:
    value = claims
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
    return value
