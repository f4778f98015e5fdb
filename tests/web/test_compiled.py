"""Querysets compiled once: the same answers as the ORM, for any id, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from kaffeeklatsch.front.compiled import CompiledQuery
from kaffeeklatsch.participants.models import Participant
from kaffeeklatsch.programmes.models import Programme
from kaffeeklatsch.rounds.models import Group
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round

pytestmark = pytest.mark.django_db


def _names_query() -> CompiledQuery[str]:
    """A person's name by id, built anew for each test."""
    return CompiledQuery(
        lambda pk: Participant.objects.filter(pk=pk).values_list("name", flat=True)
    )


def _failing_query() -> CompiledQuery[str]:
    """A person's name by id, which the database refuses to compute (division by
    zero): a statement that fails when it runs, not when it is built."""
    return CompiledQuery(
        lambda pk: (
            Participant.objects.filter(pk=pk)
            .extra(where=["1 / (id - id) = 1"])
            .values_list("name", flat=True)
        )
    )


def test_model_instances_with_select_related_are_the_querysets(
    programme: Programme, make_participant: Any, organiser: Any, make_programme: Any
) -> None:
    other = make_programme(organiser, name="Zweites")
    anna = make_participant(programme, "Anna", email="anna@example.org", interests=["Jazz"])
    ben = make_participant(other, "Ben", email="ben@example.org", languages=["de", "tr"])
    query: CompiledQuery[Participant] = CompiledQuery(
        lambda pk: Participant.objects.filter(pk=pk).select_related("programme")
    )
    for person in (anna, ben):
        expected = Participant.objects.select_related("programme").get(pk=person.pk)
        (found,) = query(person.pk)
        assert found.pk == person.pk
        for field in Participant._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(expected, field.attname), field
        with CaptureQueriesContext(connection) as queries:
            assert found.programme.name == expected.programme.name
            assert found.programme.allowed_domains == expected.programme.allowed_domains
        assert len(queries) == 0  # the programme came with the participant
    assert query(10**9) == []


def test_values_lists_flat_or_not_and_two_ids(programme: Programme, make_participant: Any) -> None:
    people = [make_participant(programme, name) for name in ("Zoe", "Ben", "Cleo", "Ben")]
    pairs: CompiledQuery[tuple[int, str]] = CompiledQuery(
        lambda low, high: Participant.objects.filter(pk__gte=low, pk__lte=high).values_list(
            "pk", "name"
        )
    )
    names = _names_query()
    first, last = people[1].pk, people[3].pk
    expected = list(
        Participant.objects.filter(pk__gte=first, pk__lte=last).values_list("pk", "name")
    )
    assert pairs(first, last) == expected
    assert [name for _pk, name in expected] == ["Ben", "Ben", "Cleo"]  # ordered by name
    assert pairs(last, first) == []
    assert names(people[0].pk) == ["Zoe"]


def test_the_statement_is_built_once_and_the_same_id_can_appear_twice(
    programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    ben = make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme), notify=False)
    built = []

    def build(pk: int) -> Any:
        built.append(pk)
        return (
            Participant.objects.filter(groups__members=pk)
            .exclude(pk=pk)
            .values_list("name", flat=True)
        )

    partners: CompiledQuery[str] = CompiledQuery(build)
    assert partners(anna.pk) == ["Ben"]
    assert partners(ben.pk) == ["Anna"]
    assert len(built) == 1


def test_annotations_come_along(programme: Programme, make_participant: Any) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme), notify=False)
    query: CompiledQuery[Group] = CompiledQuery(
        lambda pk: Group.objects.filter(members=pk).annotate(counted=Count("members"))
    )
    (group,) = query(anna.pk)
    assert group.counted == 1  # the filter's join counts the member asked for
    assert group.pk == Group.objects.get(members=anna).pk


def test_what_it_refuses(programme: Programme) -> None:
    with pytest.raises(TypeError, match="prefetch"):
        CompiledQuery(lambda pk: Group.objects.filter(pk=pk).prefetch_related("members"))(1)
    with pytest.raises(TypeError, match="values_list"):
        CompiledQuery(lambda pk: Participant.objects.filter(pk=pk).values("name"))(1)
    with pytest.raises(ValueError, match="not found"):
        # The id becomes text on its way: it cannot be bound again.
        CompiledQuery(lambda pk: Participant.objects.filter(name=str(pk)))(1)
    with pytest.raises(ValueError, match="not found"):
        # Django changes the text of a case-insensitive lookup on its way.
        CompiledQuery(lambda email: Participant.objects.filter(email__icontains=email))("a")
    with pytest.raises(TypeError, match="integers or strings"):
        CompiledQuery(lambda pk: Participant.objects.filter(pk=pk))(1.0)
    query: CompiledQuery[Participant] = CompiledQuery(lambda pk: Participant.objects.filter(pk=pk))
    query(1)
    with pytest.raises(TypeError, match="statement takes int"):
        query("1")
    with pytest.raises(TypeError, match="1 arguments expected"):
        query(1, 2)


def test_strings_are_bound_like_ids(
    programme: Programme, make_participant: Any, organiser: Any, make_programme: Any
) -> None:
    other = make_programme(organiser, name="Zweites")
    anna = make_participant(programme, "Anna", email="anna@example.org")
    make_participant(other, "Anna anderswo", email="anna@example.org")
    by_token: CompiledQuery[Programme] = CompiledQuery(
        lambda token: Programme.objects.filter(invite_token=token)
    )
    by_email: CompiledQuery[str] = CompiledQuery(
        lambda programme_id, email: Participant.objects.filter(
            programme=programme_id, email=email
        ).values_list("name", flat=True)
    )
    assert [p.pk for p in by_token(programme.invite_token)] == [programme.pk]
    assert [p.pk for p in by_token(other.invite_token)] == [other.pk]
    assert by_token("no-such-token") == []
    assert by_email(programme.pk, anna.email) == ["Anna"]
    assert by_email(other.pk, anna.email) == ["Anna anderswo"]
    assert by_email(programme.pk, "ANNA@example.org") == []  # exact, as the queryset
    # Text no column can hold (PostgreSQL refuses NUL) matches nothing, as it does
    # on SQLite.
    assert by_token("a\x00b") == []
    with pytest.raises(TypeError, match="statement takes str"):
        by_token(programme.pk)


def test_text_a_lookup_escapes_is_refused_never_bound_unescaped(
    programme: Programme, make_participant: Any
) -> None:
    anna = make_participant(programme, "Anna", email="anna@example.org")
    make_participant(programme, "Ben", email="ben@example.org")
    with pytest.raises(ValueError, match="not found"):
        CompiledQuery(lambda text: Participant.objects.filter(email__startswith=text))("a")
    try:
        # SQLite compares iexact with LIKE and escapes the text; PostgreSQL with UPPER().
        same: CompiledQuery[Participant] = CompiledQuery(
            lambda email: Participant.objects.filter(email__iexact=email)
        )
        same("x")
    except ValueError:
        assert connection.vendor == "sqlite"
    else:
        assert [p.pk for p in same("ANNA@example.org")] == [anna.pk]
        assert same("%") == [] and same("_nna@example.org") == []


def test_several_together_give_what_each_gives_alone(
    programme: Programme, make_participant: Any
) -> None:
    from kaffeeklatsch.front.compiled import run_together

    anna = make_participant(programme, "Anna", email="anna@example.org")
    make_participant(programme, "Ben", email="ben@example.org")
    publish_round(preview_round(programme), notify=False)
    groups: CompiledQuery[Group] = CompiledQuery(
        lambda pk: Group.objects.filter(members=pk).select_related("round")
    )
    names: CompiledQuery[str] = CompiledQuery(
        lambda pk: Participant.objects.filter(programme=pk).values_list("name", flat=True)
    )
    alone = [groups(anna.pk), names(programme.pk), groups(10**9)]
    together = run_together((groups, (anna.pk,)), (names, (programme.pk,)), (groups, (10**9,)))
    assert [[g.pk for g in alone[0]], alone[1], alone[2]] == [
        [g.pk for g in together[0]],
        together[1],
        together[2],
    ]
    assert together[0][0].round.number == 1 and together[1] == ["Anna", "Ben"]


@pytest.mark.postgres_only
def test_on_postgresql_they_travel_in_one_pipeline(
    programme: Programme, make_participant: Any, monkeypatch: Any
) -> None:
    from kaffeeklatsch.front.compiled import run_together

    anna = make_participant(programme, "Anna", email="anna@example.org")
    connection.ensure_connection()
    raw_type = type(connection.connection)
    opened = []
    original = raw_type.pipeline

    def counting(self: Any) -> Any:
        opened.append(self)
        return original(self)

    monkeypatch.setattr(raw_type, "pipeline", counting)
    names = _names_query()
    assert run_together((names, (anna.pk,)), (names, (anna.pk,))) == [["Anna"], ["Anna"]]
    assert len(opened) == 1
    # The connection goes on as before.
    assert names(anna.pk) == ["Anna"]


def test_an_id_no_column_can_hold_matches_nothing(
    client: Any, organiser: Any, programme: Programme
) -> None:
    from django.urls import reverse

    from kaffeeklatsch.front.compiled import run_together
    from tests.web.conftest import login

    query = _names_query()
    assert query(2**70) == [] and query(-(2**70)) == []
    assert run_together((query, (2**64,)), (query, (1,))) == [[], []]
    login(client, organiser)
    huge = "/programmes/99999999999999999999/"
    assert client.get(huge).status_code == 404
    assert client.get(reverse("programmes:detail", args=[programme.pk])).status_code == 200


@pytest.mark.postgres_only
def test_an_error_in_the_pipeline_is_djangos_and_the_connection_goes_on(
    programme: Programme, make_participant: Any
) -> None:
    from django.db import DataError, transaction

    from kaffeeklatsch.front.compiled import run_together

    anna = make_participant(programme, "Anna", email="anna@example.org")
    names = _names_query()
    failing = _failing_query()
    with pytest.raises(DataError), transaction.atomic():
        run_together((names, (anna.pk,)), (failing, (anna.pk,)))
    assert run_together((names, (anna.pk,)), (names, (anna.pk,))) == [["Anna"], ["Anna"]]


def test_statements_are_recorded_where_django_records_queries(
    programme: Programme, make_participant: Any
) -> None:
    from kaffeeklatsch.front.compiled import run_together

    anna = make_participant(programme, "Anna", email="anna@example.org")
    names = _names_query()
    assert names(anna.pk) == ["Anna"]  # built and run once unrecorded
    with CaptureQueriesContext(connection) as queries:
        assert names(anna.pk) == ["Anna"]
        assert run_together((names, (anna.pk,)), (names, (anna.pk + 1000,))) == [["Anna"], []]
    table = Participant._meta.db_table
    statements = [q["sql"] for q in queries if table in q["sql"]]
    assert len(statements) == 3


@pytest.mark.postgres_only
def test_a_failing_statement_alone_is_djangos_error_and_a_broken_transaction_is_refused(
    programme: Programme, make_participant: Any
) -> None:
    from django.db import DataError, transaction
    from django.db.transaction import TransactionManagementError

    anna = make_participant(programme, "Anna", email="anna@example.org")
    names = _names_query()
    failing = _failing_query()
    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic():
            failing(anna.pk)
        assert names(anna.pk) == ["Anna"]  # the savepoint was rolled back
    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic(savepoint=False):
            failing(anna.pk)
        # Django refuses statements in a transaction that failed, as with its cursor.
        with pytest.raises(TransactionManagementError):
            names(anna.pk)
    assert names(anna.pk) == ["Anna"]


def test_a_32_bit_id_column_works_too(organiser: Any) -> None:
    """Django's user table has a 32-bit id: the stand-in must fit it, or the ORM
    leaves the condition out as matching nothing."""
    from django.contrib.auth import get_user_model

    users: CompiledQuery[Any] = CompiledQuery(
        lambda pk: get_user_model()._default_manager.filter(pk=pk)
    )
    assert users(organiser.pk) == [organiser]
    assert users(organiser.pk + 1000) == [] and users(2**40) == []


def test_statements_go_through_execute_wrappers(
    programme: Programme, make_participant: Any
) -> None:
    from kaffeeklatsch.front.compiled import run_together

    anna = make_participant(programme, "Anna", email="anna@example.org")
    names = _names_query()
    assert names(anna.pk) == ["Anna"]
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert names(anna.pk) == ["Anna"]
        assert run_together((names, (anna.pk,)), (names, (anna.pk,))) == [["Anna"], ["Anna"]]
    assert len(seen) == 3
