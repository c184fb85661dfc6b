"""CRC-64/XZ (the ECMA-182 polynomial, reflected), which OSS calls crc64ecma."""

_POLYNOMIAL = 0xC96C5795D7870F42
_MASK = 0xFFFFFFFFFFFFFFFF


def _build_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _build_table()


def crc64_update(crc: int, data: bytes) -> int:
    """Continue a CRC over more data; start from 0 for new data."""
    crc ^= _MASK
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK
