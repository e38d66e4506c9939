"""The fault suite's dialer treats an answer cut off mid-way (the host killed while writing it) as no answer, as
a dialer does: it dialed anyway, keeps its call id and ends the call later. Raising instead lost the call from the
scenario, which then never ended it and reported its agent stuck in Do Not Disturb."""

from __future__ import annotations

import socket
import threading

from local.stack import Client
from tests.faults import harness as h


def test_an_answer_cut_off_mid_way_is_a_dial_without_an_answer() -> None:
    server = socket.create_server(("127.0.0.1", 0))

    def answer_half() -> None:
        connection, _ = server.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 676\r\n\r\n")
        connection.close()  # killed before the body

    threading.Thread(target=answer_half, daemon=True).start()
    try:
        d = h.dial(Client(f"http://127.0.0.1:{server.getsockname()[1]}", {}), "agent-01", call_id="kill-1-abc")
    finally:
        server.close()
    assert d.status is None and d.call_id == "kill-1-abc"
