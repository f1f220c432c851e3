#!/usr/bin/env python3
"""moto_server, one request at a time.

The project's test server (started by scripts/moto-server.sh and, as a
fallback, by the Rust test kits). It is moto's own server application
(``moto.server``: the same WSGI app, request handler and backends) with one
difference: requests are handled one at a time.

Why: moto serves requests on threads, and its DynamoDB TransactWriteItems
rolls a failed transaction back by restoring a snapshot of the whole table
taken when the transaction began. Two transactions that overlap therefore
corrupt each other: the one that fails restores the table as it was before
the other one committed, and the other's writes vanish (seen: twelve
concurrent bookings of a flight's last seat through the real binaries left
three RESERVED reservations and one hold). DynamoDB itself is atomic and
isolated per transaction; serialising requests is how this server keeps
that promise. Connections are still accepted on threads, so a slow client
cannot stall the accept loop, but each request runs to completion (its
response body included) under one lock.

Usage: moto_server_serial.py [-H HOST] [-p PORT]
"""
import argparse
import os
import signal
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


def serialised(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            # Consume the whole response inside the lock: a lazy body would
            # otherwise run backend code after the lock is released.
            return [b"".join(app(environ, start_response))]

    return handle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", 5000)))
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True
    run_simple(
        args.host,
        args.port,
        serialised(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
