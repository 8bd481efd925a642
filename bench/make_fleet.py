"""Write a fleet of benchmark stations as CSV for `voltline stations import FILE`.

Columns: id,password,security_profile (1: HTTP Basic auth). Ids are ``{prefix}{index:05d}`` as the load
generator names them, passwords follow a fixed scheme (default ``pw-{id}-bench-secret``, 16 to 40
characters as Voltline requires), so the generator can compute each station's password with
``--password-scheme`` instead of reading a file.

    python -m bench.make_fleet --prefix S16- --count 10000 --output fleet.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

DEFAULT_PASSWORD_SCHEME = "pw-{id}-bench-secret"


def station_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{index:05d}" for index in range(count)]


def write_fleet(out: TextIO, fleets: Iterable[tuple[str, int]], password_scheme: str = DEFAULT_PASSWORD_SCHEME) -> int:
    """Write the CSV for (prefix, count) pairs; returns the number of stations written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "password", "security_profile"])
    written = 0
    for prefix, count in fleets:
        for station_id in station_ids(prefix, count):
            password = password_scheme.format(id=station_id)
            if not 16 <= len(password) <= 40:
                raise ValueError(f"password for {station_id} has {len(password)} characters (16 to 40 needed)")
            writer.writerow([station_id, password, 1])
            written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", action="append", help="id prefix (repeatable; default BENCH-)")
    parser.add_argument("--count", type=int, action="append", help="stations per prefix (repeatable)")
    parser.add_argument("--password-scheme", default=DEFAULT_PASSWORD_SCHEME)
    parser.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    prefixes = args.prefix or ["BENCH-"]
    counts = args.count or [1000]
    if len(counts) == 1:
        counts = counts * len(prefixes)
    if len(counts) != len(prefixes):
        parser.error("give one --count, or one per --prefix")
    fleets = list(zip(prefixes, counts, strict=True))
    if args.output == "-":
        write_fleet(sys.stdout, fleets, args.password_scheme)
    else:
        with Path(args.output).open("w", encoding="utf-8", newline="") as out:
            write_fleet(out, fleets, args.password_scheme)


if __name__ == "__main__":
    main()
