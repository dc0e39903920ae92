import os

from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import WSGIRequest
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkapp.settings")


class TolerantWSGIRequest(WSGIRequest):
    """Django reads the Content-Type while building the request, before any middleware or error page:
    a parameter it cannot decode (`x*=bogus''a`) or a charset that is a codec but no text encoding
    (`charset=rot13`) would end there, as the server's bare 500 with a traceback in its log; so would more
    query fields than DATA_UPLOAD_MAX_NUMBER_FIELDS beside any charset, which Django parses at that moment.
    Such a header is read as no Content-Type: the query string still decodes (or is refused with a 400
    when the request reads it), and a form sent with it reads as empty."""

    def _set_content_type_params(self, meta: dict) -> None:
        try:
            super()._set_content_type_params(meta)
            if self._encoding is not None:
                "".encode(self._encoding)  # LookupError for a codec that is no text encoding
        except (ValueError, LookupError, TooManyFieldsSent):
            self.content_type, self.content_params, self._encoding = "", {}, None


application = get_wsgi_application()
application.request_class = TolerantWSGIRequest
