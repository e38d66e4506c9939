"""Start and stop Azurite's table service (the npm package pinned in package.json) for the local stack and tests."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key (not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out for bind(0) and outgoing connections (Linux's default when unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free now that a server of the stack binds a moment later. Taken below the kernel's ephemeral range,
    at random: a port from bind(0) is also one an outgoing connection (the host's to Azurite, a test's) may take in
    the meantime, and the server then fails with "Address already in use"."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(10_000, low) if low > 11_000 else random.randrange(low, 65_536)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # every try taken: the kernel's choice, as before
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], timeout: float, sig: int = signal.SIGTERM) -> None:
    """Ask a child process to stop (SIGTERM unless `sig` says otherwise); kill it if it has not within `timeout`
    seconds. Returns once it exited (at most `timeout` + 5 s)."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def connection_string(port: int) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"TableEndpoint=http://127.0.0.1:{port}/{ACCOUNT};")


class Azurite:
    """An Azurite table server on 127.0.0.1: in memory by default, or persisted under `location`.

    On disk, Azurite keeps its tables in a LokiJS file that it saves every 5 s and when it closes on SIGINT (SIGTERM
    and SIGKILL lose the unsaved seconds), so `stop()` sends SIGINT and waits; it kills only as a last resort.
    `start()` again (or a new `Azurite` on the same port and location) serves every write acknowledged before."""

    STOP_TIMEOUT = 15.0  # seconds to wait for Azurite to save and exit after SIGINT before killing it

    def __init__(self, port: int = 0, location: Path | None = None) -> None:
        self.port = port or free_port()
        self.location = location
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - one per run of the server, closed in stop()
        self.exit_code: int | None = None  # of the last run: 0 after a clean SIGINT stop, -9 if it had to be killed

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def start(self, timeout: float = 30.0) -> Azurite:
        binary = ROOT / "node_modules" / ".bin" / "azurite-table"
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: run `npm ci` (the Makefile does)")
        args = [str(binary), "--tableHost", "127.0.0.1", "--tablePort", str(self.port), "--disableTelemetry",
                "--skipApiVersionCheck", "--loose"]
        args += ["--location", str(self.location)] if self.location else ["--inMemoryPersistence"]
        if self._log.closed:  # started again after stop()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115
        # A session of its own: a Ctrl-C in the terminal must not reach Azurite before the stack stops it (a second
        # SIGINT, once its handler has run, would end it in the middle of saving).
        self._proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"azurite exited with {self._proc.returncode}: {self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"azurite did not listen on port {self.port} within {timeout}s")

    def output(self) -> str:
        if self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        """SIGINT (Azurite saves its database and exits), then kill after `STOP_TIMEOUT` s; leaves `location`."""
        if self._proc is not None:
            stop_process(self._proc, timeout=self.STOP_TIMEOUT, sig=signal.SIGINT)
            self.exit_code = self._proc.returncode
        self._proc = None
        self._log.close()

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
