"""The API against its own contract: Schemathesis generates requests from the OpenAPI schema and
sends them in-process to the WSGI app (no server), signed in as a supervisor, who may call every
operation. No response may be a server error, and every response must be one the schema
documents, with the documented content type and shape. Valid and invalid inputs alike, with a
fixed seed and a modest number of examples per operation, so the run is quick and repeatable.
"""

from __future__ import annotations

import itertools
import json
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from supervision.wsgi import application
from tests.api import client_for, if_match_for
from tests.factories import (
    EvidenceFactory,
    GradePublicationFactory,
    RatingChangeFactory,
    RectificationFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    TypicalCaseFactory,
)
from tests.test_api_credit import CreditIds, CreditWorld
from tests.test_api_practitioners import PractitionerIds, PractitionerWorld
from tests.test_api_random_checks import RandomCheckIds, RandomCheckWorld

MAX_EXAMPLES = 20
_calls = itertools.count()


def _contract() -> dict:
    """The schema as /api/schema/ serves it (generated here: no database at collection)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(generated, cls=DjangoJSONEncoder))


schema = schemathesis.openapi.from_dict(_contract())
schema.app = application
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class LazyIds(Mapping):
    """An id per endpoint, its record made the first time it is asked for."""

    def __init__(self, makers: dict[str, Callable[[], int]]) -> None:
        self.makers = makers
        self.made: dict[str, int] = {}

    def __getitem__(self, endpoint: str) -> int:
        if endpoint not in self.made:
            self.made[endpoint] = self.makers[endpoint]()
        return self.made[endpoint]

    def __iter__(self) -> Iterator[str]:
        return iter(self.makers)

    def __len__(self) -> int:
        return len(self.makers)


@pytest.fixture
def same_connection():
    """Requests run in the test's transaction: as Django's test client does, keep the request
    signals from closing the connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token_header(supervisor, same_connection):
    client = client_for(supervisor)
    return {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}


@pytest.fixture
def existing_ids(world, supervisor):
    """An existing record per endpoint, so that operations on one get past the lookup."""
    change = RatingChangeFactory(rating=world.rating)
    evidence = EvidenceFactory(inspection=world.inspection)  # under the session's temporary media
    tip = TipFactory(facility=world.hospital)
    TipReporterFactory(tip=tip)
    reward = TipRewardFactory(tip=TipFactory(facility=world.hospital, concluded=True))
    # The credit and practitioners' records are made only for the endpoint under test (both
    # mappings are lazy).
    return ChainMap(
        {
            "facilities": world.hospital.pk,
            "ratings": world.rating.pk,
            "rating-changes": change.pk,
            "inspections": world.inspection.pk,
            "referrals": world.referral.pk,
            "sanctions": world.sanction.pk,
            "evidence": evidence.pk,
            "tips": tip.pk,
            "tip-rewards": reward.pk,
        },
        CreditIds(CreditWorld(supervisor)),
        PractitionerIds(PractitionerWorld(supervisor)),
        RandomCheckIds(RandomCheckWorld(supervisor)),
        LazyIds(
            {
                "typical-cases": lambda: TypicalCaseFactory().pk,
                "grade-publications": lambda: GradePublicationFactory().pk,
                "rectifications": lambda: RectificationFactory().pk,
            }
        ),
    )


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract(case, token_header, existing_ids):
    generated = str(case.path_parameters.get("id", "")) if case.path_parameters else ""
    if generated.isdigit() and next(_calls) % 5:
        # Four in five ids name a real record, so the operation gets past its lookup; the
        # others, and the ids that are not numbers at all, take the 404 path.
        case.path_parameters["id"] = existing_ids[case.path.split("/")[2]]
    if case.headers and "If-Match" in case.headers and next(_calls) % 4:
        # Three in four writes that need If-Match send the record's current ETag, so they get
        # past the version check; the others keep the generated value (412 or 428).
        current = if_match_for(case.formatted_path)
        if current:
            case.headers["If-Match"] = current["HTTP_IF_MATCH"]
    case.call_and_validate(headers=token_header, checks=CHECKS)
