"""Loaded by every Python process that `make test` starts (PYTHONPATH=tests/offline, LAMBDA_LOCAL_OFFLINE=1): the
test suite, notebook kernels, `lambda-local serve` and the AWS CLI. Sockets to anything but loopback fail, so a test
or lesson that would reach a real AWS endpoint fails loudly instead of quietly working online."""

import os

if os.environ.get("LAMBDA_LOCAL_OFFLINE") == "1":
    import ipaddress
    import socket

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _refuse_non_loopback(address):
        if not (isinstance(address, tuple) and address and isinstance(address[0], str)):
            return  # Unix sockets and the like stay on this machine
        host = address[0].split("%")[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost" or host.endswith(".localhost")
        if not allowed:
            raise ConnectionRefusedError(f"offline test run: no connections leave this machine ({host})")

    def connect(self, address):
        _refuse_non_loopback(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _refuse_non_loopback(address)
        return _connect_ex(self, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
