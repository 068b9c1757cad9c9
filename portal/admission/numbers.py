"""Application numbers: short enough to read over the phone, unique, and such
that knowing one number does not reveal others (e.g. `2026-GB-7KQ4-M2XD`).

The number encodes the seat pool and the place in its order (unique by
construction, so no collision handling) through a keyed permutation (a
four-round Feistel network over 40 bits with HMAC-SHA256 rounds keyed by
SECRET_KEY). Without the key, neighbouring numbers are unpredictable.
"""
import hashlib
import hmac

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0/O, 1/I
HALF_BITS = 20
HALF_MASK = (1 << HALF_BITS) - 1


def _round(key, index, half):
    digest = hmac.new(key, f"{index}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & HALF_MASK


def permute(value, key):
    left, right = value >> HALF_BITS, value & HALF_MASK
    for index in range(4):
        left, right = right, left ^ _round(key, index, right)
    return (left << HALF_BITS) | right


def unpermute(value, key):
    left, right = value >> HALF_BITS, value & HALF_MASK
    for index in reversed(range(4)):
        left, right = right ^ _round(key, index, left), left
    return (left << HALF_BITS) | right


def application_number(*, year, region_code, pool_id, queue_no, secret):
    if not (0 < pool_id <= HALF_MASK and 0 < queue_no <= HALF_MASK):
        raise ValueError("pool id or queue number outside the 20-bit range of a number")
    key = hashlib.sha256(("application-number:" + secret).encode()).digest()
    code = permute((pool_id << HALF_BITS) | queue_no, key)
    chars = "".join(ALPHABET[(code >> shift) & 31] for shift in range(35, -1, -5))
    return f"{year[:4]}-{region_code}-{chars[:4]}-{chars[4:]}"
