"""gunicorn's settings for the portal, from the environment (see README.md).

gunicorn reads this file from the folder it starts in, so from the project
folder `gunicorn portal.wsgi` is the whole command.
"""

import os

from portal.env import env_int, env_list, env_str
from portal.logs import gunicorn_logging
from portal.settings import LOGGING

bind = env_list("GUNICORN_BIND", "127.0.0.1:8000")
# Pages spend their time waiting on the database, not computing: a couple of
# processes per core keep the cores busy.
workers = env_int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1, minimum=1)
# Seconds a request may take before its process is restarted; an upload of the
# largest agreement over a slow line fits well within the default.
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
# Proxies whose X-Forwarded-Proto gunicorn believes, so that Django sees the
# HTTPS a proxy terminated. Anyone else's header is ignored.
forwarded_allow_ips = env_str("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# One line per request, on standard output unless a file is named; "off" for
# none, when a proxy in front keeps its own.
accesslog = env_str("GUNICORN_ACCESS_LOG", "-")
if accesslog == "off":
    accesslog = None
# gunicorn's own lines (start-up, workers, requests) in the portal's format,
# JSON with LOG_FORMAT=json, and through the filter that removes secrets: a
# request line carries the query string and may carry headers.
logconfig_dict = gunicorn_logging(LOGGING, access_log=accesslog)
# Several servers may run on one machine; a shared control socket in the home
# folder would make them trip over each other, and the portal does not use it.
control_socket_disable = True
