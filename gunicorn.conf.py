"""gunicorn's settings, read from the working directory by default (`gunicorn config.wsgi` run from the project's
root, as the README, the benchmark and scripts/wapiti_scan.py do; elsewhere pass `-c gunicorn.conf.py`).

Issue 19, finding 7: the access log keeps the path of each request, never its query string, nor the query string of
the Referer. GET searches put what was typed into the URL (the admin's autocomplete `?term=`, a changelist's `?q=`,
filters naming a person), and a full phone or ID number must not reach a log that is kept, shipped and read by
others. The line keeps gunicorn's default shape ("METHOD /path PROTOCOL" status bytes "referer" "agent"), so the
tools that read it (scripts/wapiti_scan.py) read it as before.
"""

from gunicorn.glogging import Logger

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


class PathOnlyLogger(Logger):
    """gunicorn's logger with every atom that could carry a query string cut to its path, whatever the format: the
    request line (%(r)s), the query (%(q)s), the Referer (%(f)s and %({referer}i)s)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = f"{environ['REQUEST_METHOD']} {_without_query(environ['RAW_URI'])} {environ['SERVER_PROTOCOL']}"
        atoms["q"] = ""
        atoms["f"] = _without_query(atoms["f"])
        if "{referer}i" in atoms:
            atoms["{referer}i"] = _without_query(atoms["{referer}i"])
        return atoms


logger_class = PathOnlyLogger
