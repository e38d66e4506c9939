"""The container: settings, clock, stores and clients, each built on first use (never at import)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.config import Settings
from shared.domain.lease import LeasePolicy
from shared.ports import (
    AgentStore,
    AuditLog,
    CallbackVerifier,
    CallbackWindowStore,
    CallControl,
    CallStore,
    Clock,
    Concurrency,
    DeliveryStore,
    DrillStore,
    EscalationStore,
    EventPublisher,
    HistoryStore,
    IncomingCallLog,
    Mailer,
    PoolStore,
    PresenceStore,
    RoutingEngine,
    RoutingHoldStore,
    SiteStore,
    SmsSender,
    TemplateStore,
    VoiceCaller,
    VoiceConfigStore,
    VoiceSetupReader,
)

if TYPE_CHECKING:  # the adapters' own modules load on first use, never at import
    from shared.adapters.tables import Tables
    from shared.services.network_sites import NetworkSites
    from shared.telemetry import Telemetry


class Container:
    """Implements the Ports, NotifyPorts and AdminPorts protocols lazily, each property typed with the port it
    implements (mypy checks the wiring); pass replacements as keyword arguments (tests, local host)."""

    def __init__(self, settings: Settings, clock: Clock, **overrides: Any) -> None:
        self.settings = settings
        self.clock = clock
        for name, value in overrides.items():
            setattr(self, name, value)  # shadows the cached_property of the same name

    @cached_property
    def policy(self) -> LeasePolicy:
        return LeasePolicy(window=timedelta(minutes=self.settings.callback_window_minutes),
                           quarantine=timedelta(minutes=self.settings.quarantine_minutes),
                           max_call=timedelta(minutes=self.settings.max_call_minutes),
                           test_window=timedelta(minutes=self.settings.test_callback_window_minutes),
                           lease_on_direct_offer=self.settings.lease_on_direct_offer)

    @cached_property
    def tables(self) -> Tables:
        from shared.adapters.tables import Tables

        endpoint = self.settings.optional("TABLES_ENDPOINT")
        if endpoint and not self.settings.optional("AzureWebJobsStorage"):
            from azure.identity import DefaultAzureCredential

            return Tables(endpoint=endpoint, credential=DefaultAzureCredential())
        return Tables(connection_string=self.settings.storage_connection_string)

    @cached_property
    def agents(self) -> AgentStore:
        from shared.adapters.table_stores import TableAgentStore

        return TableAgentStore(self.tables)

    @cached_property
    def pool(self) -> PoolStore:
        from shared.adapters.table_pool import TablePoolStore

        return TablePoolStore(self.tables)

    @cached_property
    def presence(self) -> PresenceStore:
        from shared.adapters.table_stores import TablePresenceStore

        return TablePresenceStore(self.tables)

    @cached_property
    def calls(self) -> CallStore:
        from shared.adapters.table_stores import TableCallStore

        return TableCallStore(self.tables)

    @cached_property
    def history(self) -> HistoryStore:
        from shared.adapters.table_stores import TableHistoryStore

        return TableHistoryStore(self.tables)

    @cached_property
    def events(self) -> EventPublisher:
        from shared.adapters import event_publishers

        credential = None
        if not self.settings.eventgrid_topic_key:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        return event_publishers.EventGridPublisher(self.settings.eventgrid_topic_endpoint,
                                                   self.settings.eventgrid_topic_key, credential)

    @cached_property
    def windows(self) -> CallbackWindowStore:
        from shared.adapters.table_callbacks import TableCallbackWindowStore

        return TableCallbackWindowStore(self.tables, self.concurrency)

    @cached_property
    def concurrency(self) -> Concurrency:
        from shared.adapters.threads import Threads

        return Threads()

    @cached_property
    def incoming(self) -> IncomingCallLog:
        from shared.adapters.table_callbacks import TableIncomingCallLog

        return TableIncomingCallLog(self.tables)

    @cached_property
    def call_control(self) -> CallControl:
        from shared.adapters.acs_calls import AcsCallControl

        return AcsCallControl(**self._acs_auth())

    @cached_property
    def routing(self) -> RoutingEngine:
        """ROUTING_ENGINE: the agent's Job Router worker, events for another engine, or none."""
        engine = self.settings.routing_engine
        if engine == "jobrouter":
            from shared.adapters.jobrouter import JobRouterEngine, jobrouter_client

            return JobRouterEngine(jobrouter_client(self.settings.acs_connection_string))
        from shared.adapters.routing_events import EventRoutingEngine, NoRoutingEngine

        return EventRoutingEngine(self.events) if engine == "event" else NoRoutingEngine()

    @cached_property
    def routing_holds(self) -> RoutingHoldStore:
        from shared.adapters.table_routing import TableRoutingHoldStore

        return TableRoutingHoldStore(self.tables)

    # --- notification (issue 3, section 2) -------------------------------------------------------------------

    def _acs_auth(self) -> dict[str, Any]:
        """ACS by connection string, or by endpoint and managed identity (ACS_ENDPOINT) when none is set."""
        connection_string = self.settings.optional("ACS_CONNECTION_STRING")
        endpoint = self.settings.optional("ACS_ENDPOINT")
        if connection_string or not endpoint:
            return {"connection_string": self.settings.acs_connection_string}  # names the setting when missing
        from azure.identity import DefaultAzureCredential

        return {"endpoint": endpoint, "credential": DefaultAzureCredential()}

    @cached_property
    def mailer(self) -> Mailer:
        from shared.adapters.acs_messaging import AcsMailer, email_client

        return AcsMailer(email_client(**self._acs_auth()), self.settings.email_sender)

    @cached_property
    def sms(self) -> SmsSender | None:
        """None when ACS_SMS_SENDER is not set: SMS recipients then get a recorded warning instead."""
        sender = self.settings.sms_sender
        if sender is None:
            return None
        from shared.adapters.acs_messaging import AcsSmsSender, sms_client

        return AcsSmsSender(sms_client(**self._acs_auth()), sender)

    @cached_property
    def voice(self) -> VoiceCaller | None:
        """None without a caller id (VOICE_CALLER_ID or a phone-number ACS_SMS_SENDER) or text-to-speech
        (ACS_COGNITIVE_SERVICES_ENDPOINT): voice steps are recorded as not possible, the other channels go on."""
        caller_id, speech = self.settings.voice_caller_id, self.settings.cognitive_services_endpoint
        if caller_id is None or speech is None:  # without text-to-speech every call would be silent
            return None
        from shared.adapters.acs_voice import AcsVoiceCaller

        return AcsVoiceCaller(caller_id, **self._acs_auth(), cognitive_services_endpoint=speech)

    @cached_property
    def callback_verifier(self) -> CallbackVerifier:
        from shared.adapters.acs_callback_auth import AcsCallbackVerifier

        return AcsCallbackVerifier(self.settings.acs_immutable_resource_id,
                                   self.settings.acs_callback_openid_configuration)

    @cached_property
    def deliveries(self) -> DeliveryStore:
        from shared.adapters.table_notifications import TableDeliveryStore

        return TableDeliveryStore(self.tables)

    @cached_property
    def templates(self) -> TemplateStore:
        from shared.adapters.table_notifications import TableTemplateStore
        from shared.services.audit import AuditedTemplateStore

        return AuditedTemplateStore(TableTemplateStore(self.tables), self.audit)  # every save is audited

    @cached_property
    def telemetry(self) -> Telemetry:
        from shared.telemetry import Telemetry

        return Telemetry()

    # --- administration (issue 4) ----------------------------------------------------------------------------

    @cached_property
    def voice_config(self) -> VoiceConfigStore:
        from shared.adapters.table_admin import TableVoiceConfigStore

        return TableVoiceConfigStore(self.tables)

    @cached_property
    def voice_setup(self) -> VoiceSetupReader:
        from shared.adapters.voice_cache import CachedVoiceConfig

        return CachedVoiceConfig(self.voice_config)

    @cached_property
    def sites(self) -> SiteStore:
        from shared.adapters.table_sites import TableSiteStore

        return TableSiteStore(self.tables)

    @cached_property
    def escalations(self) -> EscalationStore:
        from shared.adapters.table_escalations import TableEscalationStore

        return TableEscalationStore(self.tables)

    @cached_property
    def network_sites(self) -> NetworkSites:
        """The sites' networks in memory, for the dial's `network-suggested` location (no round trip of its own)."""
        from shared.services.network_sites import NetworkSites

        sites = self.sites
        return NetworkSites(lambda: (sites.list_networks(), sites.list_sites()))

    @cached_property
    def audit(self) -> AuditLog:
        from shared.adapters.table_admin import TableAuditLog

        return TableAuditLog(self.tables)

    # --- drills (issue 21) -------------------------------------------------------------------------------------

    @cached_property
    def drills(self) -> DrillStore:
        from shared.adapters.table_drills import TableDrillStore

        return TableDrillStore(self.tables)
