"""With the real table adapters and nothing listening where storage should be, the dial still goes ahead."""

from __future__ import annotations

from datetime import timedelta

from local.azurite import connection_string, free_port
from shared.adapters.table_admin import TableVoiceConfigStore
from shared.adapters.table_callbacks import TableCallbackWindowStore, TableIncomingCallLog
from shared.adapters.table_pool import TablePoolStore
from shared.adapters.table_stores import TableAgentStore, TableCallStore, TableHistoryStore, TablePresenceStore
from shared.adapters.tables import Tables
from shared.adapters.threads import Threads
from shared.adapters.voice_cache import CachedVoiceConfig
from shared.commands import OutboundCall
from shared.domain.lease import LeasePolicy
from shared.domain.routing import IncomingCall
from shared.services.callbacks import route_callback
from shared.services.outbound import place_outbound_call
from tests.fakes import T0, FakeCallControl, FakeEvents, FixedClock


class DownDeps:
    """Every store on a port where nothing listens (connection refused at once)."""

    def __init__(self) -> None:
        tables = Tables(connection_string=connection_string(free_port()))
        self.clock = FixedClock(T0)
        self.agents, self.pool = TableAgentStore(tables), TablePoolStore(tables)
        self.presence, self.calls = TablePresenceStore(tables), TableCallStore(tables)
        self.concurrency = Threads()
        self.history, self.windows = TableHistoryStore(tables), TableCallbackWindowStore(tables, self.concurrency)
        self.incoming = TableIncomingCallLog(tables)
        self.events, self.call_control = FakeEvents(), FakeCallControl()
        self.voice_setup = CachedVoiceConfig(TableVoiceConfigStore(tables))
        self.policy = LeasePolicy()


def test_an_emergency_dial_with_storage_down_is_answered_dial_with_warnings() -> None:
    deps = DownDeps()
    answer = place_outbound_call(OutboundCall("alice", "911", "US"), deps, deps.policy)
    assert answer["dial"] is True and answer["emergency"] is True and answer["emergencyCallId"]
    assert "storage_unavailable" in {w["code"] for w in answer["warnings"]}
    # the contacts can still be told: the event describes the call
    assert deps.events.published[0][1]["dialedNumber"] == "911"


def test_a_callback_with_storage_down_goes_to_the_fallback_desk() -> None:
    deps = DownDeps()
    call = IncomingCall("ev", "4:+12025550100", None, "ctx", "srv", "corr", T0)
    result = route_callback(call, deps, timedelta(seconds=20), "8:acs:r_desk")
    assert result.outcome == "fallback"
    assert deps.call_control.redirects == [("ctx", "8:acs:r_desk")]
