"""gunicorn settings, read automatically by `gunicorn linkapp.wsgi:application` from this directory.

Workers and threads come from the environment (one worker without REDIS_URL); by default a worker per core this
process may use, 4 threads each.
The wizard waits on Discord and GitHub, so threads (gthread) keep a worker busy while it waits.
"""

import os
import re


def _count(name: str, default: int, least: int = 0) -> int:
    """A typo stops gunicorn with one line that names the variable, not a traceback; and no 0 workers, with
    which gunicorn would listen and never answer. (An empty WEB_CONCURRENCY stops gunicorn itself before this
    file is read.)"""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not re.fullmatch(r"[0-9]+", value) or int(value) < least:
        raise SystemExit(f"{name} must be a whole number of {least} or more, not {value!r}.")
    return int(value)


# GUNICORN_BIND, else 0.0.0.0:$PORT where a platform sets PORT (Heroku, Render, Cloud Run), as gunicorn itself
# does, else 127.0.0.1:8000. A PORT set but empty counts as unset (gunicorn would stop at "0.0.0.0:").
_port = (os.environ.get("PORT") or "").strip()
if _port and not (re.fullmatch(r"[0-9]{1,5}", _port) and 0 < int(_port) < 65536):
    raise SystemExit(f"PORT must be a port number, not {_port!r}.")
bind = os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")
if "://" in bind and not bind.startswith(("unix:", "fd://", "tcp://")):  # gunicorn's own error names neither variable
    raise SystemExit(f"GUNICORN_BIND is HOST:PORT (such as 0.0.0.0:8000) or unix:PATH, not {bind!r}.")
if (os.environ.get("REDIS_URL") or "").strip():  # as settings.py reads it
    # The cores this process may run on (a container's cpuset), not all the host's; a CPU quota is not seen.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()  # not on macOS
    workers = _count("WEB_CONCURRENCY", cores, least=1)
else:
    # The in-process cache holds the sessions and tokens: a second worker would not know the first one's people.
    workers = 1
threads = _count("GUNICORN_THREADS", 4, least=1)
worker_class = "gthread"
# Each worker's heartbeat file in memory, as gunicorn's FAQ advises ("Blocking os.fchmod"): on a disk-backed /tmp
# (a container's overlay filesystem) the heartbeat can stall a worker, and on a read-only root filesystem
# (Kubernetes' readOnlyRootFilesystem) there is no /tmp to write, so no worker would start at all.
# gunicorn makes each file with mkstemp (only its owner may open it) and unlinks it at once.
_in_memory = "/dev/shm"  # noqa: S108
# Where there is none (macOS) or it is closed to this user, gunicorn's default: the system's temporary directory.
worker_tmp_dir = _in_memory if os.access(_in_memory, os.W_OK | os.X_OK) else None
# With gthread a request is never timed: this restarts a worker whose main loop stops answering. Each call
# to Discord and GitHub is bounded by PROVIDER_TIMEOUT instead.
timeout = _count("GUNICORN_TIMEOUT", 60)
# On a restart, requests in flight may finish: an OAuth callback's code works only once, so one cut off
# would send its person back to the start.
graceful_timeout = _count("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a load balancer that reuses connections, set this above its idle timeout: else the balancer may send a
# request on a connection gunicorn is just closing, and the person gets a 502.
keepalive = _count("GUNICORN_KEEPALIVE", 5)
# Off by default. When on, only the path (%(U)s), never the query string: callbacks carry `code` and `state`.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
if accesslog and accesslog.strip().lower() in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
    # Else gunicorn writes the access log to a file of that name, and nothing to where it was looked for.
    raise SystemExit(f"GUNICORN_ACCESS_LOG is a file, or - for stdout, not {accesslog!r}.")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(M)sms %({x-request-id}o)s'
# The path percent-encoded again (%0A, not a line break). gunicorn's statsd logger, which --statsd-host picks only
# in place of the default logger class, is then not used.
logger_class = "linkapp.access_log.AccessLogger"
# No forwarded_allow_ips here: gunicorn reads FORWARDED_ALLOW_IPS from the environment itself.

# In any case, as settings.py's env_choice reads it (this file is read without Django's settings).
if (os.environ.get("LOG_FORMAT") or "").strip().lower() == "json":
    # gunicorn's own lines (start-up, worker timeouts, the access log when on) as JSON like the app's.
    # A logging config turns gunicorn's access log on, so it stays quiet unless GUNICORN_ACCESS_LOG asks.
    _json = {"formatter": "json", "filters": ["request_id"]}
    _json_stream = {"class": "logging.StreamHandler", **_json}
    logconfig_dict = {
        "filters": {"request_id": {"()": "linkapp.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "linkapp.logs.JsonFormatter"}},
        "handlers": {
            # This config replaces gunicorn's own handlers: an access log path is honoured here.
            "console": {"class": "logging.FileHandler", "filename": accesslog, **_json}
            if accesslog and accesslog != "-"
            else {**_json_stream, "stream": "ext://sys.stdout"},
            "error_console": {**_json_stream, "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            # No level: gunicorn has set the one its --log-level asks for.
            "gunicorn.error": {"handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["console"],
                "propagate": False,
            },
        },
    }
else:
    # gunicorn writes a plain access line as the format alone, with no time of its own (JSON lines have theirs).
    access_log_format = "%(t)s " + access_log_format
