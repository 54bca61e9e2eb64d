"""The serving identity of ``kubeoracle serve``: a self-signed CA, a serving certificate, a bearer token
and the kubeconfig that names them, made once in the data directory and reused on every later start.

**Mirrors:** what ``kubeadm init`` leaves for a user (``cmd/kubeadm/app/phases/certs``: a CA named
``kubernetes``, an apiserver serving certificate for ``kubernetes``, ``kubernetes.default``, ...,
``localhost`` and the listen address; ``cmd/kubeadm/app/phases/kubeconfig``: ``admin.conf`` with
``certificate-authority-data``, one user and one context) and a static token file
(``--token-auth-file``): the user authenticates with ``Authorization: Bearer <token>``.
**Modelled:** RSA 2048 keys, SHA256 signatures, a 10-year CA and a 1-year serving certificate with the
subject alternative names a client may dial (the listen host, ``localhost``, ``127.0.0.1``, ``::1``);
files written with mode 0600; a second start reuses them (the kubeconfig's server is rewritten when the
port or host changes, the credentials stay).
**Not modelled (and why):** client certificates and RBAC (one all-powerful user is what a local
development cluster gives), certificate rotation.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Identity", "ensure_identity", "write_kubeconfig"]

CONTEXT = "kubeoracle"


class Identity:
    """Where the files are, and the token every request must carry."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.ca_cert = data_dir / "ca.crt"
        self.ca_key = data_dir / "ca.key"
        self.cert = data_dir / "apiserver.crt"
        self.key = data_dir / "apiserver.key"
        self.token_file = data_dir / "token"
        self.kubeconfig = data_dir / "kubeconfig"

    @property
    def token(self) -> str:
        return self.token_file.read_text(encoding="ascii").strip()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _sans(host: str) -> list[Any]:
    from cryptography import x509

    names: list[Any] = [x509.DNSName(n) for n in (
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local")]
    ips = {"127.0.0.1", "::1"}
    try:
        ips.add(str(ipaddress.ip_address(host)))
    except ValueError:
        if host and host not in ("localhost",):
            names.append(x509.DNSName(host))
    names.extend(x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(ips))
    return names


def ensure_identity(data_dir: Path, host: str) -> tuple[Identity, bool]:
    """The identity in ``data_dir``, made on first start. Returns it and whether it was made now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ident = Identity(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    made = False
    now = datetime.datetime.now(datetime.UTC)
    pem = serialization.Encoding.PEM
    if not (ident.ca_cert.exists() and ident.ca_key.exists()):
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                           crl_sign=True, content_commitment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False),
                             critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
        _write_private(ident.ca_key, ca_key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption()))
        _write_private(ident.ca_cert, ca.public_bytes(pem))
        for stale in (ident.cert, ident.key):
            stale.unlink(missing_ok=True)
        made = True
    if not (ident.cert.exists() and ident.key.exists()) or not _covers(ident.cert, host):
        ca_key_loaded = serialization.load_pem_private_key(ident.ca_key.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(ident.ca_cert.read_bytes())
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=365))
                .add_extension(x509.SubjectAlternativeName(_sans(host)), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(ca_key_loaded, hashes.SHA256()))  # type: ignore[arg-type]
        _write_private(ident.key, key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL,
                                                    serialization.NoEncryption()))
        _write_private(ident.cert, cert.public_bytes(pem))
        made = True
    if not ident.token_file.exists():
        _write_private(ident.token_file, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
        made = True
    return ident, made


def _covers(cert_path: Path, host: str) -> bool:
    """Whether the serving certificate names ``host`` (a restart on another address needs a new one)."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        return ipaddress.ip_address(host) in san.get_values_for_type(x509.IPAddress)
    except ValueError:
        return host in san.get_values_for_type(x509.DNSName)


def write_kubeconfig(ident: Identity, server: str) -> Path:
    """``DIR/kubeconfig``: the cluster (server URL and CA), the user (bearer token), the context."""
    import base64

    ca = base64.b64encode(ident.ca_cert.read_bytes()).decode("ascii")
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": CONTEXT, "user": {"token": ident.token}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": "default"}}],
        "current-context": CONTEXT,
    }
    _write_private(ident.kubeconfig, yaml.safe_dump(config, sort_keys=False).encode("utf-8"))
    return ident.kubeconfig
