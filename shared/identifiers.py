"""ACS identifiers: raw ids ('4:+1…', '8:acs:…', '8:orgid:…') and identifier models, through the SDK's own
`identifier_from_raw_id` and identifier classes (Call Automation 1.6.0 keeps them in `_shared.models`; the package
does not export the function). The SDK loads on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from typing import Any

# The identifier kinds a callback may be redirected to. `kind` is lower camel case in every official source.
TARGET_KINDS = ("phoneNumber", "communicationUser", "microsoftTeamsUser")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def redirect_target(raw_id: str) -> Any:
    """The SDK identifier for a phone number (E.164), an ACS user or a (non-anonymous) Teams user; ValueError for
    anything else, naming what was wrong (never the whole id: it may be a phone number)."""
    from azure.communication.callautomation import CommunicationIdentifierKind as Kind
    from azure.communication.callautomation._shared.models import identifier_from_raw_id

    identifier = identifier_from_raw_id(raw_id.strip())
    props = identifier.properties
    if identifier.kind == Kind.PHONE_NUMBER:
        if not _E164.fullmatch(props.get("value", "")):
            raise ValueError("a phone number target must be 4: and an E.164 number (4:+15550100)")
    elif identifier.kind == Kind.COMMUNICATION_USER:
        if not str(props.get("id", "")).split(":", 2)[-1]:
            raise ValueError("an ACS user target needs its id after 8:acs:")
    elif identifier.kind == Kind.MICROSOFT_TEAMS_USER:
        if props.get("is_anonymous") or not props.get("user_id"):
            raise ValueError("a Teams user target must be 8:orgid: (or 8:dod:/8:gcch:) and the user's object id")
    else:
        raise ValueError(f"not a raw id of one of {', '.join(TARGET_KINDS)} (4:+E164, 8:acs:…, 8:orgid:…)")
    return identifier


def raw_id_of(model: Any) -> str | None:
    """The raw id of an identifier model as events carry it: rawId when present, else built by the SDK from the
    kind's own property (phoneNumber.value, communicationUser.id, microsoftTeamsUser.userId). Keys and kind are
    read whatever their casing; None when the model names no identity."""
    if not isinstance(model, dict):
        return None
    fields = {str(k).lower(): v for k, v in model.items()}
    raw = fields.get("rawid")
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    for kind in TARGET_KINDS:
        sub = fields.get(kind.lower())
        if isinstance(sub, dict):
            built = _from_model(kind, {str(k).lower(): v for k, v in sub.items()})
            if built:
                return built
    return None


def _from_model(kind: str, sub: dict[str, Any]) -> str | None:
    from azure.communication.callautomation._shared.models import (
        CommunicationCloudEnvironment,
        CommunicationUserIdentifier,
        MicrosoftTeamsUserIdentifier,
        PhoneNumberIdentifier,
    )

    if kind == "phoneNumber" and isinstance(sub.get("value"), str) and sub["value"]:
        return str(PhoneNumberIdentifier(sub["value"]).raw_id)
    if kind == "communicationUser" and isinstance(sub.get("id"), str) and sub["id"]:
        return str(CommunicationUserIdentifier(sub["id"]).raw_id)
    if kind == "microsoftTeamsUser" and isinstance(sub.get("userid"), str) and sub["userid"]:
        cloud = {c.value.lower(): c for c in CommunicationCloudEnvironment}.get(
            str(sub.get("cloud") or "public").lower(), CommunicationCloudEnvironment.PUBLIC)
        return str(MicrosoftTeamsUserIdentifier(sub["userid"], is_anonymous=bool(sub.get("isanonymous")),
                                                cloud=cloud).raw_id)
    return None
