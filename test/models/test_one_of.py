"""A one-of model (PaddleCheckoutEvent): the value is ``actual_instance``; it reads and writes as
that value, picked by its ``name`` or, failing that, by being the only model the payload fits."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, minimal_instance, requests_seen

from pieces_os_client import (
    PaddleCheckoutApi,
    PaddleCheckoutClosedEvent,
    PaddleCheckoutCompletedEvent,
    PaddleCheckoutErrorEvent,
    PaddleCheckoutEvent,
    PaddleCheckoutLoadedEvent,
    PaddleCheckoutWarningEvent,
)

DATA = {**minimal_instance("PaddleCheckoutLoadedEventData"), "transaction_id": "txn_01", "currency_code": "USD"}


@pytest.mark.parametrize("name, model", [
    ("checkout.loaded", PaddleCheckoutLoadedEvent),
    ("checkout.closed", PaddleCheckoutClosedEvent),
    ("checkout.completed", PaddleCheckoutCompletedEvent),
])
def test_events_of_one_shape_are_told_apart_by_their_name(name: str, model: type) -> None:
    payload = {"name": name, "data": DATA, "sentBy": "a newer Pieces OS"}
    event = PaddleCheckoutEvent.from_json(json.dumps(payload))
    assert type(event.actual_instance) is model
    assert json.loads(event.to_json()) == payload  # the value itself, unknown keys kept
    assert PaddleCheckoutEvent.from_dict(payload).actual_instance == event.actual_instance


def test_without_a_known_name_the_only_model_the_payload_fits_is_taken() -> None:
    event = PaddleCheckoutEvent.from_dict({"name": "checkout.warning.new", "code": "too_many_items"})
    assert type(event.actual_instance) is PaddleCheckoutWarningEvent
    assert event.actual_instance.code == "too_many_items"


@pytest.mark.parametrize("payload, says", [
    ({"name": "checkout.payment.selected", "data": DATA}, "it fits PaddleCheckoutLoadedEvent, PaddleCheckoutClosedEvent"),
    ({}, "it fits no model"),
    ([{"name": "checkout.loaded"}], "not list"),
])
def test_a_payload_that_is_not_exactly_one_model_is_a_validation_error_naming_the_models(payload: object, says: str) -> None:
    with pytest.raises(ValidationError) as raised:
        PaddleCheckoutEvent.from_json(json.dumps(payload))
    assert "PaddleCheckoutEvent" in str(raised.value) and says in str(raised.value)
    assert "PaddleCheckoutWarningEvent" in str(raised.value)


def test_a_named_model_that_does_not_validate_reports_that_models_errors() -> None:
    with pytest.raises(ValidationError) as raised:
        PaddleCheckoutEvent.from_dict({"name": "checkout.warning", "code": 5})
    assert "code" in str(raised.value) and "string" in str(raised.value)


def test_built_from_its_value_positionally_or_by_keyword_and_assigned_later() -> None:
    warning = PaddleCheckoutWarningEvent(name="checkout.warning", code="c")
    assert PaddleCheckoutEvent(warning).actual_instance is warning
    assert PaddleCheckoutEvent(actual_instance=warning).actual_instance is warning
    event = PaddleCheckoutEvent()
    assert event.actual_instance is None and event.to_json() == "null"
    event.actual_instance = PaddleCheckoutErrorEvent(name="checkout.error", data={"reason": "declined"})
    assert json.loads(event.to_json()) == {"name": "checkout.error", "data": {"reason": "declined"}}
    with pytest.raises(ValidationError, match="not int"):
        event.actual_instance = 5
    assert type(event.actual_instance) is PaddleCheckoutErrorEvent  # the failed assignment changed nothing
    with pytest.raises(ValueError, match="one positional value"):
        PaddleCheckoutEvent(warning, warning)
    with pytest.raises(ValueError, match="one positional value"):
        PaddleCheckoutEvent(warning, actual_instance=warning)


def test_the_generated_sdks_attributes_are_there() -> None:
    assert PaddleCheckoutEvent.one_of_schemas == sorted(PaddleCheckoutEvent.one_of_schemas)
    assert len(PaddleCheckoutEvent.one_of_schemas) == 6
    assert PaddleCheckoutEvent.discriminator_value_class_map["checkout.updated"] == "PaddleCheckoutUpdatedEvent"
    assert PaddleCheckoutEvent().oneof_schema_1_validator is None


def test_sent_as_a_request_body_it_is_the_event_itself(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/paddle_checkout/update_status", method="POST").respond_with_data("ok", content_type="text/plain")
    event = PaddleCheckoutEvent(PaddleCheckoutClosedEvent(name="checkout.closed", data=DATA))
    with make_client(base_url(httpserver)) as client:
        assert PaddleCheckoutApi(client).paddle_checkout_update_status(paddle_checkout_event=event) == "ok"
        PaddleCheckoutApi(client).paddle_checkout_update_status(paddle_checkout_event={"name": "checkout.warning", "code": "c"})
    sent = [json.loads(request.get_data()) for request in requests_seen(httpserver)]
    assert sent[0]["name"] == "checkout.closed" and sent[0]["data"]["transaction_id"] == "txn_01"
    assert "actual_instance" not in sent[0]
    assert sent[1] == {"name": "checkout.warning", "code": "c"}
