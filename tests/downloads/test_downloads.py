"""Large programmes: insights read by the worker and shown "as of" a time, and long
downloads prepared in the background with a page that links the file when it is
ready. "Large" is ``settings.LARGE_PROGRAMME_PEOPLE``, set low here."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kaffeeklatsch.downloads import tasks
from kaffeeklatsch.downloads.models import Download
from kaffeeklatsch.insights import snapshot
from kaffeeklatsch.insights.metrics import insights, load
from kaffeeklatsch.insights.models import Snapshot
from kaffeeklatsch.insights.present import key_figures
from kaffeeklatsch.jobs.models import Job
from kaffeeklatsch.jobs.queue import run_due
from kaffeeklatsch.jobs.registry import erase_expired
from kaffeeklatsch.participants.erasure import erase_participant
from kaffeeklatsch.rounds.models import Feedback
from kaffeeklatsch.rounds.preview import preview_round
from kaffeeklatsch.rounds.publish import publish_round
from tests.support.web import login

pytestmark = [pytest.mark.database, pytest.mark.django_db]

PREPARE = re.compile(r'<form method="post" action="([^"]+)" data-prepare>')
FILE_LINK = re.compile(r'href="([^"]+)" data-download')


@pytest.fixture
def large(settings: Any) -> Any:
    settings.LARGE_PROGRAMME_PEOPLE = 5
    return settings


@pytest.fixture
def published(programme: Any, make_participant: Any) -> Any:
    """Eight people (two reached by post) and two published rounds, with answers."""
    people = [make_participant(programme) for _ in range(6)]
    for name in ("Hilde Brauer", "Otto Post"):
        people.append(
            make_participant(
                programme,
                name,
                email="",
                reached_by="post",
                postal_address="Lindenweg 3\n53111 Bonn",
            )
        )
    first = publish_round(preview_round(programme), notify=False)
    second = publish_round(preview_round(programme), notify=False)
    first.meet_from = second.meet_from - dt.timedelta(days=14)
    first.save(update_fields=["meet_from"])
    for group in first.groups.all():
        member = group.members.first()
        Feedback.objects.create(group=group, participant=member, met=True)
    return first, second, people


def _prepare(client: Any, url: str) -> Download:
    """Asks for a file as the organiser does: the page offers to prepare it, the
    button hands it to the worker, whose status page the organiser is sent to."""
    page = client.get(url)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    action = PREPARE.search(page.content.decode())
    assert action is not None, page.content.decode()[:2000]
    hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.content.decode()))
    hidden.pop("csrfmiddlewaretoken", None)
    answer = client.post(action.group(1), hidden)
    assert answer.status_code == 302
    return Download.objects.get(pk=int(answer["Location"].rstrip("/").split("/")[-1]))


def _fetch(client: Any, download: Download) -> Any:
    status = client.get(reverse("downloads:status", args=[download.programme_id, download.pk]))
    link = FILE_LINK.search(status.content.decode())
    assert link is not None, status.content.decode()[:2000]
    return client.get(link.group(1))


def test_a_large_programmes_letters_are_prepared_by_the_worker(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    _first, second, _people = published
    login(client, organiser)
    url = reverse("reach:letters", args=[programme.pk, second.pk])
    assert Download.objects.count() == 0
    client.get(url)
    assert Download.objects.count() == 0, "a GET must not start any work"

    download = _prepare(client, url)
    assert download.status == Download.Status.WAITING
    assert download.round == second and download.kind == Download.Kind.LETTERS_PDF
    page = client.get(reverse("downloads:status", args=[programme.pk, download.pk]))
    assert "data-status-url" in page.content.decode()
    assert "Waiting for the worker" in page.content.decode()
    assert FILE_LINK.search(page.content.decode()) is None
    status = client.get(reverse("downloads:status_json", args=[programme.pk, download.pk]))
    assert status.json()["done"] is False

    # A second press while it waits is the same download.
    assert _prepare(client, url).pk == download.pk

    assert tasks.run_downloads() == 1
    download.refresh_from_db()
    assert download.status == Download.Status.READY
    assert download.expires_at > timezone.now() + dt.timedelta(hours=23)
    assert client.get(reverse("downloads:status_json", args=[programme.pk, download.pk])).json()[
        "done"
    ]
    answer = _fetch(client, download)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "no-store"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "Hilde Brauer" in text and "Otto Post" in text
    # The insights page lists the file for the other organisers too.
    dashboard = client.get(reverse("insights:dashboard", args=[programme.pk]))
    assert reverse("downloads:file", args=[programme.pk, download.pk]) in dashboard.content.decode()


def test_a_small_programme_gets_its_file_at_once(
    client: Any, organiser: Any, programme: Any, published: Any
) -> None:
    _first, second, _people = published
    login(client, organiser)
    answer = client.get(reverse("reach:letters", args=[programme.pk, second.pk]))
    assert answer["Content-Type"] == "application/pdf"
    assert Download.objects.count() == 0


def test_a_file_is_drawn_in_the_language_of_the_organiser_who_asked(
    german_client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    login(german_client, organiser)
    download = _prepare(german_client, reverse("insights:rounds_xlsx", args=[programme.pk]))
    assert download.language == "de"
    tasks.run_downloads()
    book = load_workbook(io.BytesIO(_fetch(german_client, download).content), read_only=True)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Runden"
    assert rows[0][0] == "Runde" and [r[0] for r in rows[1:]] == [1, 2]
    assert isinstance(rows[1][1], dt.datetime)  # a date cell, not a text


def test_groups_xlsx_of_a_period_lists_the_groups_of_its_rounds(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    first, second, _people = published
    login(client, organiser)
    day = second.meet_from.isoformat()
    url = reverse("insights:groups_xlsx", args=[programme.pk]) + f"?start={day}&end={day}"
    download = _prepare(client, url)
    assert (download.start, download.end) == (second.meet_from, second.meet_from)
    tasks.run_downloads()
    book = load_workbook(io.BytesIO(_fetch(client, download).content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))[1:]
    assert len(rows) == second.groups.count()
    assert {r[0] for r in rows} == {second.number}


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "passwords"},
        {"kind": "letters_pdf"},
        {"kind": "letters_pdf", "round": "999999"},
        {"kind": "rounds_csv", "start": "2026-13-45"},
        {"kind": "rounds_csv", "start": "2026-12-01", "end": "2026-11-01"},
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any, data: Any
) -> None:
    login(client, organiser)
    answer = client.post(reverse("downloads:prepare", args=[programme.pk]), data)
    assert answer.status_code == 400
    assert 'class="error"' in answer.content.decode()
    assert Download.objects.count() == 0


def test_the_letters_of_a_preview_or_another_programmes_round_are_refused(
    client: Any,
    organiser: Any,
    programme: Any,
    published: Any,
    large: Any,
    make_programme: Any,
    make_participant: Any,
) -> None:
    preview = preview_round(programme)
    other = make_programme(organiser, name="Other")
    for _ in range(2):
        make_participant(other)
    theirs = publish_round(preview_round(other), notify=False)
    login(client, organiser)
    for rnd in (preview, theirs):
        answer = client.post(
            reverse("downloads:prepare", args=[programme.pk]),
            {"kind": "letters_pdf", "round": rnd.pk},
        )
        assert answer.status_code == 400
    assert Download.objects.count() == 0


def test_a_worker_that_dies_leaves_the_file_to_another_and_three_deaths_fail_it(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    login(client, organiser)
    download = _prepare(client, reverse("insights:report", args=[programme.pk]))
    claimed = tasks.claim()
    assert claimed is not None and claimed.pk == download.pk
    assert tasks.claim() is None, "a running download with a lease is nobody else's"
    # The worker died: its lease runs out, another takes the download and makes it.
    Download.objects.filter(pk=download.pk).update(claimed_until=timezone.now())
    assert tasks.run_downloads() == 1
    download.refresh_from_db()
    assert download.status == Download.Status.READY and download.attempts == 2
    assert _fetch(client, download).content.startswith(b"%PDF")

    again = _prepare(client, reverse("insights:report", args=[programme.pk]))
    Download.objects.filter(pk=again.pk).update(
        status=Download.Status.RUNNING, attempts=3, claimed_until=timezone.now()
    )
    assert tasks.run_downloads() == 0
    again.refresh_from_db()
    assert again.status == Download.Status.FAILED
    page = client.get(reverse("downloads:status", args=[programme.pk, again.pk])).content.decode()
    assert "stopped several times" in page
    assert PREPARE.search(page) is not None, "the organiser can ask again"


def test_a_file_that_cannot_be_made_fails_with_a_reason(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any, monkeypatch: Any
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "make", broken)
    login(client, organiser)
    download = _prepare(client, reverse("insights:rounds_csv", args=[programme.pk]))
    tasks.run_downloads()
    download.refresh_from_db()
    assert download.status == Download.Status.FAILED and download.content is None
    page = client.get(
        reverse("downloads:status", args=[programme.pk, download.pk])
    ).content.decode()
    assert "could not be made" in page and "disk full" not in page
    assert client.get(reverse("downloads:status_json", args=[programme.pk, download.pk])).json()[
        "failed"
    ]


def test_files_are_erased_when_they_expire_and_with_the_people_they_name(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    _first, second, people = published
    login(client, organiser)
    download = _prepare(client, reverse("reach:phone_list", args=[programme.pk, second.pk]))
    tasks.run_downloads()
    Download.objects.filter(pk=download.pk).update(expires_at=timezone.now())
    assert (
        client.get(reverse("downloads:file", args=[programme.pk, download.pk])).status_code == 404
    )
    page = client.get(reverse("downloads:status", args=[programme.pk, download.pk]))
    assert "has been erased" in page.content.decode()
    erase_expired()
    assert not Download.objects.filter(pk=download.pk).exists()

    kept = _prepare(client, reverse("reach:phone_list", args=[programme.pk, second.pk]))
    tasks.run_downloads()
    snapshot.store(programme)
    assert Download.objects.filter(pk=kept.pk, status=Download.Status.READY).exists()
    erase_participant(people[-1])
    assert not Download.objects.filter(programme=programme).exists()
    assert not Snapshot.objects.filter(programme=programme).exists()


# --- Insights of a large programme --------------------------------------------------


def test_columns_survive_being_kept(programme: Any, published: Any) -> None:
    columns = load(programme, timezone.localdate())
    kept = snapshot.from_bytes(snapshot.to_bytes(columns))
    for f in fields(columns):
        a, b = getattr(columns, f.name), getattr(kept, f.name)
        if f.name == "left_out":
            assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), f.name
        else:
            assert a == b, f.name
    fresh = load(programme, timezone.localdate())
    for name in ("members", "pairs"):
        for x, y in zip(getattr(fresh, name), getattr(kept, name), strict=True):
            assert np.array_equal(x, y), name


def test_a_snapshot_of_another_layout_is_read_again(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any, monkeypatch: Any
) -> None:
    snapshot.store(programme)
    monkeypatch.setattr(snapshot, "FORMAT", snapshot.FORMAT + 1)
    login(client, organiser)
    page = client.get(reverse("insights:dashboard", args=[programme.pk])).content.decode()
    assert "data-computing" in page
    run_due()
    page = client.get(reverse("insights:dashboard", args=[programme.pk])).content.decode()
    assert "Figures as of" in page and "data-computing" not in page


def test_the_dashboard_of_a_large_programme_waits_for_the_worker_then_shows_its_figures(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    first, _second, people = published
    login(client, organiser)
    url = reverse("insights:dashboard", args=[programme.pk])
    page = client.get(url).content.decode()
    assert "data-computing" in page and "The figures are being computed." in page
    client.get(url)
    assert Job.objects.filter(kind=snapshot.JOB, status=Job.Status.PENDING).count() == 1
    assert client.get(reverse("insights:status", args=[programme.pk])).json()["done"] is False

    run_due()
    assert client.get(reverse("insights:status", args=[programme.pk])).json()["done"] is True
    page = client.get(url).content.decode()
    assert "data-computing" not in page and "Figures as of" in page
    assert "Newer figures" not in page
    with translation.override("en"):
        live = key_figures(insights(load(programme, timezone.localdate())))
    for figure in live:
        assert f"<strong>{figure.value}</strong> {figure.label}" in page

    # A new answer changes the fingerprint: the old figures are shown, said to be
    # old, and the worker is asked for new ones.
    group = first.groups.exclude(feedback__isnull=False).first() or first.groups.first()
    Feedback.objects.update_or_create(
        group=group, participant=group.members.last(), defaults={"met": False}
    )
    page = client.get(url).content.decode()
    assert "Figures as of" in page and "Newer figures are being computed" in page
    assert Job.objects.filter(kind=snapshot.JOB, status=Job.Status.PENDING).count() == 1
    run_due()
    assert "Newer figures" not in client.get(url).content.decode()


def test_old_figures_are_read_again_after_their_time(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    login(client, organiser)
    snapshot.store(programme)
    Snapshot.objects.update(computed_at=timezone.now() - dt.timedelta(hours=1))
    page = client.get(reverse("insights:dashboard", args=[programme.pk])).content.decode()
    assert "Newer figures are being computed" in page
    assert Job.objects.filter(kind=snapshot.JOB, status=Job.Status.PENDING).exists()


def test_publishing_a_round_of_a_large_programme_reads_its_figures_again(
    client: Any, organiser: Any, programme: Any, published: Any, large: Any
) -> None:
    from tests.support.web import press

    login(client, organiser)
    page = press(client, reverse("rounds:preview", args=[programme.pk]))
    assert page.status_code == 200
    rnd = programme.rounds.get(status="preview")
    press(client, reverse("rounds:publish", args=[programme.pk, rnd.pk]))
    rnd.refresh_from_db()
    assert rnd.status == "published"
    assert Job.objects.filter(kind=snapshot.JOB, status=Job.Status.PENDING).count() == 1
