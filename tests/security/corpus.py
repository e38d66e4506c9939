"""A deterministic corpus of bad bodies: the classic bad inputs plus seeded mutations of each endpoint's valid body.

Mutations that may still yield a valid body (a flipped byte, a dropped optional field) are kept: the suite checks
that no answer is a 5xx and that a refusal writes nothing, not that every body is refused.
"""

from __future__ import annotations

import json
import random
from typing import Any

CLASSIC: list[bytes] = [
    b"", b" ", b"null", b"true", b"1", b'"x"', b"[]", b"[{}]", b"{", b"}", b'{"a":}', b'{"a" 1}', b"{,}",
    b"[" * 100_000, b"[" * 60_000, b'{"a":' * 12_000, b"[" * 20 + b"]" * 20,
    b'{"x": ' + b"9" * 5_000 + b"}", b'{"x": -' + b"9" * 4_301 + b"}", b'{"x": 1e999999}',
    b'{"x": 1.' + b"5" * 200 + b"}",
    b'{"x": NaN}', b'{"x": Infinity}', b'{"x": -Infinity}',
    b'"\\ud800"', b'{"\\ud800": 1}', b'{"x": "\\udfff"}', b'{"x": "\\ud83d"}',
    b'{"x": "\xff"}', b"\xff\xfe\x00\x00", b"\xef\xbb\xbf{}", '{"x": 1}'.encode("utf-16"), '{"x": 1}'.encode("utf-32"),
    b'{"x": "a\\u0000b"}', b'{"x": "\x00"}', b"\x00", b'{"x": 1, "x": 2}', b"{}" * 2, b"{} []",
    b" " * 70_000, b'{"x": "' + b"a" * 70_000 + b'"}', b"{'x': 1}", b'{"x": undefined}', b"/*c*/{}", b'{"x": 0x10}',
]

BAD_VALUES: list[str] = [  # raw JSON texts put in place of a field's value
    "9" * 5_000, "1e999", "NaN", "-0.0", "true", "null", "[]", "{}", "[" * 50 + "]" * 50, '{"a":' * 30 + "1" + "}" * 30,
    '"\\ud800"', '"a\\u0000b"', '"a\\u001bb"', '"\\u0085"', '"x\\n"', '"alice\\n"', '"\\t"', '""', '"   "',
    json.dumps("x" * 300), json.dumps("x" * 5_000), json.dumps("é" * 40_000), '"../../etc/passwd"',
    '"<script>alert(1)</script>"', '"{{ 7*7 }}"', "12", '["a", 1]', '"+1 202 555 0100\\u0000"',
]


def _splice(body: dict[str, Any], key: str, raw: str) -> bytes:
    marker = "\u2603MARK\u2603"
    text = json.dumps({**body, key: marker}, ensure_ascii=False)
    return text.replace(json.dumps(marker, ensure_ascii=False), raw).encode("utf-8")


def _nested_keys(body: dict[str, Any]) -> list[str]:
    return list(body) or ["x"]


def mutations(valid: dict[str, Any], rng: random.Random, count: int) -> list[bytes]:
    """`count` mutated bodies of `valid`: bad values in its fields, dropped fields, byte-level damage."""
    raw = json.dumps(valid).encode()
    out: list[bytes] = []
    while len(out) < count:
        kind = rng.randrange(8)
        key = rng.choice(_nested_keys(valid))
        if kind <= 2:
            out.append(_splice(valid, key, rng.choice(BAD_VALUES)))
        elif kind == 3:
            out.append(json.dumps({k: v for k, v in valid.items() if k != key}).encode())
        elif kind == 4:
            cut = rng.randrange(1, max(2, len(raw)))
            out.append(raw[:cut])
        elif kind == 5:
            at = rng.randrange(len(raw))
            out.append(raw[:at] + bytes([rng.randrange(256)]) + raw[at + 1:])
        elif kind == 6:
            out.append(_splice(valid, key, json.dumps(rng.choice(["\ud800", "\x00", "\x7f", "\u009b", "a\nb"]))))
        else:
            depth = rng.choice([17, 64, 5_000])
            out.append(_splice(valid, key, "[" * depth + "]" * depth))
    return out


def corpus(valid: dict[str, Any], seed: int, count: int) -> list[bytes]:
    """The classic bad inputs, then `count` seeded mutations of `valid`."""
    return CLASSIC + mutations(valid, random.Random(seed), count)
