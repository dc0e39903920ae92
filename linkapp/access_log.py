"""gunicorn's logger, with the path in access lines as it came on the wire.

gunicorn writes `%(U)s` decoded: an address holding %0A would end the line there and begin one of the
sender's making, and %22 would end the quoted request early. Encoded again, each access line is one line.
"""

from __future__ import annotations

from urllib.parse import quote

from gunicorn.glogging import Logger

# What a path may hold unencoded (RFC 3986's pchar and "/"); quote() adds the letters, digits and "-._~".
PATH_CHARACTERS = "/:@!$&'()*+,;="


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        # PATH_INFO is the address's bytes as Latin-1 (PEP 3333), whatever they spell.
        atoms["U"] = quote(atoms["U"].encode("latin-1"), safe=PATH_CHARACTERS)
        return atoms
