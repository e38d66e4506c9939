"""Development TLS material for the local stand-ins: a private CA, a server cert and a CA bundle that trusts both."""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CERTS_DIR = REPO_ROOT / ".local" / "certs"
SERVER_IDENTITIES = ("127.0.0.1", "localhost")
SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Regenerate a little before expiry so a long demo never meets an expired certificate.
RENEW_MARGIN = timedelta(days=7)


@dataclass(frozen=True)
class DevCerts:
    """Paths of the dev CA, the server chain and key, and the bundle to put in REQUESTS_CA_BUNDLE."""

    directory: Path
    ca_pem: Path
    server_pem: Path
    server_key: Path
    ca_bundle: Path

    @classmethod
    def in_directory(cls, directory: Path) -> DevCerts:
        """Name the files inside `directory` without touching the disk."""
        return cls(
            directory=directory,
            ca_pem=directory / "ca.pem",
            server_pem=directory / "server.pem",
            server_key=directory / "server.key",
            ca_bundle=directory / "ca-bundle.pem",
        )


def ensure_dev_certs(directory: str | os.PathLike[str] | None = None) -> DevCerts:
    """Create the dev CA, server cert and CA bundle once; reuse them while present and valid. Idempotent."""
    certs = DevCerts.in_directory(Path(directory) if directory else DEFAULT_CERTS_DIR)
    certs.directory.mkdir(parents=True, exist_ok=True)
    if not _usable(certs):
        _generate(certs)
        logger.info("created dev certificates in %s", certs.directory)
    if not certs.ca_bundle.exists():
        _write_bundle(certs)
    return certs


def _usable(certs: DevCerts) -> bool:
    """True when all key material exists and the server certificate is not about to expire."""
    if not all(p.exists() for p in (certs.ca_pem, certs.server_pem, certs.server_key)):
        return False
    from cryptography import x509

    try:
        leaf = x509.load_pem_x509_certificate(certs.server_pem.read_bytes())
    except ValueError:
        return False
    return leaf.not_valid_after_utc - RENEW_MARGIN > datetime.now(UTC)


def _generate(certs: DevCerts) -> None:
    """Issue a new CA and server certificate and rebuild the bundle around the new CA."""
    import trustme

    ca = trustme.CA(organization_name="acs-standin dev CA")
    leaf = ca.issue_cert(*SERVER_IDENTITIES)
    _atomic_write(certs.ca_pem, ca.cert_pem.bytes())
    _atomic_write(certs.server_key, leaf.private_key_pem.bytes(), mode=0o600)
    _atomic_write(certs.server_pem, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    _write_bundle(certs)


def _write_bundle(certs: DevCerts) -> None:
    """Write system roots + our CA, so pointing REQUESTS_CA_BUNDLE at it keeps other HTTPS working."""
    system = system_ca_bundle()
    roots = system.read_bytes() if system else b""
    if roots and not roots.endswith(b"\n"):
        roots += b"\n"
    _atomic_write(certs.ca_bundle, roots + certs.ca_pem.read_bytes())


def system_ca_bundle() -> Path | None:
    """The machine's CA bundle (it carries any locally added roots), else certifi's; None when neither exists."""
    if SYSTEM_BUNDLE.exists():
        return SYSTEM_BUNDLE
    try:
        import certifi
    except ImportError:
        logger.warning("no system CA bundle and no certifi: the bundle will trust only the dev CA")
        return None
    return Path(certifi.where())


def _atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write through a temp file and rename, so a concurrent reader never sees half a PEM."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> None:
    """CLI: create (or reuse) the dev certs and print the CA bundle path."""
    parser = argparse.ArgumentParser(prog="python -m local.certs", description=__doc__)
    parser.add_argument("directory", nargs="?", default=str(DEFAULT_CERTS_DIR))
    args = parser.parse_args(argv)
    print(ensure_dev_certs(args.directory).ca_bundle)


if __name__ == "__main__":
    main()
