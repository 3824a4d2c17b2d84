"""A certificate authority and a server certificate for 127.0.0.1, made at test time.

The webhook receivers use the same throwaway CA maker as the emulated org
(``devorg.tls.make_local_ca``): one way to make test certificates in the repository.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from devorg.tls import client_ssl_context, make_local_ca, server_ssl_context


@dataclass(frozen=True)
class LocalPKI:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        return server_ssl_context(self.cert_file, self.key_file)

    def client_context(self) -> ssl.SSLContext:
        return client_ssl_context(self.ca_file)


def make_pki(directory: Path, *, days: int = 2) -> LocalPKI:
    made = make_local_ca(directory, days=days)
    return LocalPKI(made.ca_file, made.cert_file, made.key_file)
