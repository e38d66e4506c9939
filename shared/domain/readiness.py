"""Would this agent's emergency call work? Each prerequisite as pass / warning / fail, with why and what to change.

Pure: takes the agent, the voice configuration, the callback pool and `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.calls import Agent
from shared.domain.dispatchable import CONFIRMED_FOR
from shared.domain.emergency_path import EmergencyPath, PathKind, Status, emergency_path, worst
from shared.domain.incident_context import instant
from shared.domain.lease import NumberState, PoolNumber, count_states
from shared.domain.notification_context import age_text
from shared.domain.numbers import SUPPORTED_COUNTRIES, region_for_country, valid_country
from shared.domain.recipients import RecipientListError, parse_email_recipients, parse_sms_recipients
from shared.domain.routing_hold import WorkerState, WorkerStatus
from shared.domain.sites import Site
from shared.domain.voice_config import OutboundProfile, VoiceConfig

__all__ = ["AgentReadiness", "Check", "Status", "assess", "counts", "sign_in"]

LOCATION_MAX_AGE = timedelta(days=7)
_SUPPORTED = ", ".join(sorted(SUPPORTED_COUNTRIES))


@dataclass(frozen=True)
class Check:
    check_id: str
    title: str
    status: Status
    reason: str
    fix: str | None = None


@dataclass(frozen=True)
class AgentReadiness:
    agent: Agent
    status: Status
    checks: tuple[Check, ...]
    path: EmergencyPath
    outbound_number: str | None


def assess(agent: Agent, config: VoiceConfig, pool: list[PoolNumber], now: datetime,
           quarantine: timedelta, lease_on_direct_offer: bool = False,
           routing: WorkerStatus | None = None, sites: Mapping[str, Site] | None = None,
           drill: tuple[datetime | None, timedelta] | None = None) -> AgentReadiness:
    """Every prerequisite of the agent's emergency call, in the order an admin fixes them; `drill`: her last passed
    933 drill and the age after which it fails (None: drills not read)."""
    profile_check, profile = _voice_profile(agent, config)
    number = _number_of(agent, profile)
    country = _location_country(agent)
    path = emergency_path(number, country, config)
    names = {k: s.name for k, s in (sites or {}).items()}
    checks = (sign_in(agent), profile_check, _location(agent, now), dispatchable_location(agent, now, names),
              *((site_desk(agent, sites),) if sites is not None else ()),  # None: the sites were not read
              _mailbox(agent), _recipients(agent),
              Check("emergency_path", "Emergency call path", path.status, path.explanation, path.fix),
              _callback(path, country, pool, now, quarantine, lease_on_direct_offer),
              *((_routing_worker(routing),) if routing is not None else ()),
              *((last_drill(drill[0], now, drill[1]),) if drill is not None else ()))
    return AgentReadiness(agent, worst([c.status for c in checks]), checks, path, number)


def outbound_number(agent: Agent, config: VoiceConfig) -> str | None:
    """The number the agent calls from: her own, or her voice outbound profile's."""
    return _number_of(agent, _voice_profile(agent, config)[1])


def _number_of(agent: Agent, profile: OutboundProfile | None) -> str | None:
    return agent.outbound_number or (profile.outbound_number if profile else None)


def counts(results: list[AgentReadiness]) -> dict[str, int]:
    tally = {s.value: 0 for s in Status}
    for r in results:
        tally[r.status.value] += 1
    return tally


def sign_in(agent: Agent) -> Check:
    """Whether a signed-in user is this agent (signInId). Without it, her signed-in emergency call is still
    answered, but recorded against her user: her contacts are not told, and a callback goes to the fallback desk."""
    title = "Signed-in user mapped to this agent"
    if agent.sign_in_id:
        return Check("sign_in", title, Status.PASS,
                     f"The user with Entra object id {agent.sign_in_id} signs in as this agent.")
    return Check("sign_in", title, Status.FAIL,
                 "No signed-in user is mapped to this agent: when she signs in and dials an emergency number, the "
                 "call is recorded against her user rather than this profile, so her recipients are not told (the "
                 "fallback recipients are) and the responder's callback goes to the fallback desk.",
                 "Set signInId to the agent's Entra object id (Entra ID, Users, her Object ID). Only an agent who "
                 "never signs in, for whom a dialer service dials, can do without.")


def _voice_profile(agent: Agent, config: VoiceConfig) -> tuple[Check, OutboundProfile | None]:
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("voice_profile", "Capacity profile with a voice outbound profile", status, reason, fix)

    cap_id = agent.capacity_profile
    if not cap_id:
        return check(Status.FAIL, "No capacity profile is assigned to the agent.",
                     "Assign a capacity profile that a voice outbound profile is associated with."), None
    if config.capacity_profile(cap_id) is None:
        return check(Status.FAIL, f"Capacity profile '{cap_id}' does not exist.",
                     "Create it under Voice setup, or assign an existing capacity profile."), None
    if agent.outbound_profile:
        profile = config.outbound_profile(agent.outbound_profile)
        if profile is None:
            return check(Status.FAIL, f"Outbound profile '{agent.outbound_profile}' does not exist.",
                         "Create it under Voice setup, or choose an existing voice outbound profile."), None
        if not profile.is_voice:
            return check(Status.FAIL, f"Outbound profile '{profile.profile_id}' is for the {profile.channel} "
                         "channel, not voice.", "Choose a voice outbound profile for the agent."), None
        if cap_id not in profile.capacity_profiles:
            return check(Status.FAIL, f"Outbound profile '{profile.profile_id}' is not associated with capacity "
                         f"profile '{cap_id}'.", f"Associate '{cap_id}' with '{profile.profile_id}' under Voice "
                         "setup, or assign a capacity profile it lists."), profile
        return check(Status.PASS, f"Capacity profile '{cap_id}' is associated with voice outbound profile "
                     f"'{profile.profile_id}'."), profile
    profiles = config.voice_profiles_for(cap_id)
    if not profiles:
        return check(Status.FAIL, f"Capacity profile '{cap_id}' is not associated with any voice outbound profile.",
                     f"Associate '{cap_id}' with a voice outbound profile under Voice setup."), None
    return check(Status.PASS, f"Capacity profile '{cap_id}' is associated with voice outbound profile "
                 f"'{profiles[0].profile_id}'."), profiles[0]


def _location_country(agent: Agent) -> str | None:
    location = agent.last_location or {}
    if location.get("enabled") is False:
        return None
    return valid_country(str(location.get("countryCode") or ""))


def _location(agent: Agent, now: datetime) -> Check:
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("location", "Browser location in a supported country", status, reason, fix)

    location = agent.last_location
    if not location:
        return check(Status.FAIL, "The agent's browser has not reported a location.",
                     "Ask the agent to allow location access for the dialer in the browser.")
    if location.get("enabled") is False:
        return check(Status.FAIL, "Location sharing is turned off in the agent's browser.",
                     "Ask the agent to turn location access on for the dialer.")
    country = valid_country(str(location.get("countryCode") or ""))
    if country is None:
        return check(Status.FAIL, "The last reported location has no country.",
                     "Ask the agent to confirm the location in the dialer.")
    if country not in SUPPORTED_COUNTRIES:
        return check(Status.FAIL, f"{country} is not a country where ACS supports emergency calls ({_SUPPORTED}).",
                     "Emergency calls from there are not permitted: the agent must work from a supported country.")
    reported = instant(location.get("reportedAt"))
    where = ", ".join(str(location[k]) for k in ("address", "city") if location.get(k)) or "no address"
    if reported is not None and now - reported > LOCATION_MAX_AGE:
        return check(Status.WARNING, f"Last reported in {country} ({where}) {(now - reported).days} days ago.",
                     "Ask the agent to open the dialer so that the browser reports the location again.")
    return check(Status.PASS, f"Last reported in {country} ({where}).")


def dispatchable_location(agent: Agent, now: datetime, site_names: Mapping[str, str] | None = None) -> Check:
    """Where the operator will be told she is (issue 19): her own confirmation, at which site, how long ago."""
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("dispatchable_location", "Dispatchable location confirmed by the agent", status, reason, fix)

    location = agent.last_location or {}
    confirm = "Ask the agent to confirm where she is on her panel (Your location)."
    at = instant(location.get("reportedAt")) if location.get("confirmedBy") == "agent" else None
    if at is None:
        never = ("Never confirmed by the agent: an emergency call would read out an address nobody confirmed."
                 if location else "Never confirmed by the agent: no location is known.")
        return check(Status.WARNING, never, confirm)
    site_id = location.get("siteId")
    place = ", ".join(f"{label} {location[k]}" for k, label in (("floor", "floor"), ("room", "room"))
                      if location.get(k))
    where = (f"at site {(site_names or {}).get(str(site_id), site_id)}" if site_id else
             f"outside every site ({location.get('address') or 'no street address'})") + (f", {place}" if place else "")
    age = age_text(now - at)
    if now - at > CONFIRMED_FOR:
        hours = int(CONFIRMED_FOR.total_seconds() // 3600)
        return check(Status.WARNING, f"Not confirmed in the last {hours} hours: last "
                     f"confirmed {where}, {age} ago.", confirm)
    return check(Status.PASS, f"Confirmed {where}, {age} ago.")


def site_desk(agent: Agent, sites: Mapping[str, Site]) -> Check:
    """Whether the security desk of the site she confirmed is told of her real emergency calls (issue 19)."""
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("site_desk", "Security desk of her site", status, reason, fix)

    site_id = (agent.last_location or {}).get("siteId")
    if not site_id:
        return check(Status.PASS, "She confirmed no site: her own contacts are told of her calls.")
    site = sites.get(str(site_id))
    if site is None:
        return check(Status.WARNING, f"The site she confirmed ({site_id}) no longer exists: no security desk is told.",
                     "Ask the agent to confirm where she is on her panel.")
    if not site.has_desk:
        return check(Status.WARNING, f"Site {site.name} has no security-desk recipient: a real emergency call tells "
                     "only her own contacts.", f"Add the desk's email addresses or mobile numbers to site {site.name}.")
    return check(Status.PASS, f"Site {site.name}: {len(site.desk_emails)} email and {len(site.desk_sms)} SMS "
                 "security-desk recipient(s) are told of a real emergency call.")



def _mailbox(agent: Agent) -> Check:
    if not agent.mailbox_enabled:
        return Check("mailbox", "Mailbox enabled", Status.FAIL, "The agent's mailbox is disabled.",
                     "Enable the agent's mailbox.")
    return Check("mailbox", "Mailbox enabled", Status.PASS, "The agent's mailbox is enabled.")


def _recipients(agent: Agent) -> Check:
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("recipients", "Emergency notification recipients", status, reason, fix)

    try:
        emails = parse_email_recipients(agent.email_recipients)
        phones = parse_sms_recipients(agent.sms_recipients)
    except RecipientListError as exc:
        return check(Status.FAIL, "The recipient list has errors: " + "; ".join(e.describe() for e in exc.errors),
                     "Correct the recipients on the agent's page (separate them with semicolons).")
    if not emails and not phones:
        return check(Status.FAIL, "Nobody is notified when the agent dials an emergency number.",
                     "Add at least one email address, e.g. the security desk.")
    return check(Status.PASS, f"{len(emails)} email and {len(phones)} SMS recipient(s) are notified.")


def _callback(path: EmergencyPath, location_country: str | None, pool: list[PoolNumber], now: datetime,
              quarantine: timedelta, lease_on_direct_offer: bool) -> Check:
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("callback_number", "Callback number available in the pool", status, reason, fix)

    if path.kind in (PathKind.DIRECT_OFFER, PathKind.DIRECT_OFFER_FALLBACK) and not lease_on_direct_offer:
        return check(Status.PASS, "Not needed on this agent's path: the emergency service's temporary number "
                     "reaches her, and no pool number is leased for direct-offer calls "
                     "(LEASE_POOL_NUMBER_ON_DIRECT_OFFER is off).")

    country = path.country or location_country
    region = region_for_country(country) if country else None
    if region is None:
        return check(Status.FAIL, "The agent's country is unknown, so no pool region applies.",
                     "Fix the agent's location first.")
    numbers = [n for n in pool if n.region == region]
    tally = count_states(numbers, now, quarantine)
    in_service = len(numbers) - tally[NumberState.RETIRED.value]
    # On the direct-offer path ACS's own temporary number reaches the agent; the pool number is the second line.
    offer_only = path.kind in (PathKind.DIRECT_OFFER, PathKind.DIRECT_OFFER_FALLBACK)
    short = Status.WARNING if offer_only else Status.FAIL
    if in_service == 0:
        return check(short, f"The pool has no callback number for +{region} ({country}).",
                     f"Add callback numbers starting with +{region} under Callback pool.")
    if tally[NumberState.FREE.value] == 0:
        return check(Status.WARNING, f"All {in_service} callback numbers for +{region} are leased or resting right "
                     "now.", f"Add callback numbers starting with +{region} under Callback pool.")
    return check(Status.PASS, f"{tally[NumberState.FREE.value]} of {in_service} callback numbers for +{region} "
                 f"({country}) are free.")


def _routing_worker(status: WorkerStatus) -> Check:
    """Not configured is a valid choice, so it passes (with why); an engine that could not answer is a warning:
    the call works, DND is the app's, and the hold is retried by the timer."""
    def check(s: Status, reason: str, fix: str | None = None) -> Check:
        return Check("routing_worker", "Routing worker known to the routing engine", s, reason, fix)

    if status.state == WorkerState.UNREACHABLE:
        return check(Status.WARNING, status.detail, "Check the routing engine and ACS_CONNECTION_STRING; the timer "
                     "retries holds every minute.")
    if status.state == WorkerState.MISSING:
        return check(Status.FAIL, f"Worker {status.worker_id} not found: during an emergency call the routing "
                     "engine would keep offering her work.", "Register the worker in Job Router, or set the "
                     "agent's routing worker to her worker id.")
    return check(Status.PASS, status.detail)


def last_drill(passed_at: datetime | None, now: datetime, max_age: timedelta) -> Check:
    """Her last passed 933 drill (issue 21): proof that her emergency calling works end to end, not only that its
    settings look right. Fails once older than `max_age` (DRILL_MAX_AGE_DAYS); never drilled is a warning."""
    def check(status: Status, reason: str, fix: str | None = None) -> Check:
        return Check("last_drill", "Last passed 933 drill", status, reason, fix)

    fix = "Ask her to use Test my emergency calling on her panel, or schedule a drill under Drills."
    if passed_at is None:
        return check(Status.WARNING, "No 933 drill of hers has passed yet: nothing proves her emergency calling "
                     "works end to end.", fix)
    days = (now - passed_at).days
    if now - passed_at > max_age:
        return check(Status.FAIL, f"Her last passed drill was on {passed_at:%Y-%m-%d}, {days} days ago (a drill "
                     f"must pass every {max_age.days} days).", fix)
    return check(Status.PASS, f"Her last drill passed on {passed_at:%Y-%m-%d} ({days} day(s) ago; due again within "
                 f"{max_age.days} days).")
