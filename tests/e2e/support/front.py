# SPDX-License-Identifier: MIT
"""A front `ferry server` whose backend store is another ferry server (the upstream, on its
own SQLite file): `--backend-store-uri http://127.0.0.1:<upstream port>`. Used like
support.server.Server (run.py's SERVER): client() talks to the front, upstream_client()
to the upstream directly, to check what the front did."""
from support.server import Server

# The front's calls to the upstream: one retry, so a test of an upstream that is down
# waits a quarter of a second, not the default's eight.
FRONT_ENV = {"FERRY_HTTP_REQUEST_MAX_RETRIES": "1", "FERRY_HTTP_REQUEST_TIMEOUT": "30"}


class Front:
    def __init__(self, ferry, env=None):
        self.ferry = ferry
        self.upstream = Server(ferry)
        self.front = None
        self.front_env = dict(FRONT_ENV, **(env or {}))

    def start(self, timeout=30):
        self.upstream.start(timeout)
        self.front = Server(self.ferry, store=self.upstream.url, env=self.front_env)
        try:
            self.front.start(timeout)
        except Exception:
            self.upstream.stop()
            raise
        return self

    @property
    def port(self):
        return self.front.port

    @property
    def url(self):
        return self.front.url

    @property
    def dir(self):
        """The front's working directory: its artifacts are in mlartifacts/ there."""
        return self.front.dir

    @property
    def proc(self):
        return self.front.proc

    @property
    def db(self):
        """The store's file: the upstream's."""
        return self.upstream.db

    @property
    def store(self):
        """The store's URI: the upstream's."""
        return self.upstream.store

    def client(self):
        return self.front.client()

    def upstream_client(self):
        return self.upstream.client()

    def stop_upstream(self):
        return self.upstream.stop()

    def restart_upstream(self):
        """The upstream again, on its port and database."""
        self.upstream.start(port=self.upstream.port)

    def stop(self):
        """Stops the front, then the upstream; the first non-zero exit status, else 0."""
        rc_front = self.front.stop() if self.front else 0
        rc_up = self.upstream.stop()
        return rc_front or rc_up

    def stderr_tail(self, n=30):
        return "front:\n%s\nupstream:\n%s" % (
            self.front.stderr_tail(n) if self.front else "", self.upstream.stderr_tail(n))
