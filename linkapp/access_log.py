"""gunicorn's logger, with the path in access lines percent-encoded again.

gunicorn writes `%(U)s` decoded: an address holding %0A would end the line there and begin one of the sender's
making, and %1B would reach a terminal as an escape sequence. Encoded again, each access line is one line.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from gunicorn.glogging import Logger
from gunicorn.http.message import Request
from gunicorn.http.wsgi import Response

# What a path may hold unencoded (RFC 3986's pchar and "/"); quote() adds the letters, digits and "-._~".
PATH_CHARACTERS = "/:@!$&'()*+,;="


class AccessLogger(Logger):
    def atoms(self, resp: Response, req: Request, environ: dict, request_time: timedelta) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = atoms["U"]  # PEP 3333: the address's bytes as Latin-1, whatever they spell
        # None where gunicorn answers a request it could not read itself (a 400): its line says "-" there.
        atoms["U"] = quote(path.encode("latin-1"), safe=PATH_CHARACTERS) if path is not None else "-"
        return atoms
