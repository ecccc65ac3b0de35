"""Where the web app's page views run (careops.web.views): inline on the event loop on a SQLite
file, where a view reads a WAL snapshot and never waits for the write lock; in a worker thread
elsewhere (PostgreSQL, an in-memory SQLite) and for every post."""

from __future__ import annotations

import sqlite3
import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from careops.db.engine import get_engine, make_engine
from careops.db.uow import UnitOfWork
from careops.web.views import PageViews, reads_never_wait
from tests.integration.test_web_staff_cases import TEXT, Site


def test_an_inline_view_runs_on_the_event_loop_and_a_threaded_one_in_a_worker() -> None:
    app = FastAPI()

    @app.get("/loop")
    async def loop() -> int:
        return threading.get_ident()

    @app.get("/inline/{n}")
    @PageViews(inline=True)
    def inline(n: int, lang: str | None = None) -> list:
        return [threading.get_ident(), n, lang]

    @app.get("/threaded/{n}")
    @PageViews(inline=False)
    def threaded(n: int, lang: str | None = None) -> list:
        return [threading.get_ident(), n, lang]

    with TestClient(app) as client:
        loop_thread = client.get("/loop").json()
        # the view keeps its path and query parameters through the decorator
        assert client.get("/inline/3", params={"lang": "en"}).json() == [loop_thread, 3, "en"]
        worker, n, lang = client.get("/threaded/4").json()
        assert (n, lang) == (4, None) and worker != loop_thread


def test_only_a_sqlite_file_has_views_that_never_wait(tmp_path) -> None:
    assert reads_never_wait(make_engine(f"sqlite:///{tmp_path / 'careops.db'}"))
    assert not reads_never_wait(make_engine("sqlite://"))  # in memory: one engine, one lock
    assert not reads_never_wait(make_engine("postgresql://careops@127.0.0.1:1/careops"))


def test_a_staff_page_answers_while_a_writer_holds_the_sqlite_write_lock(
    sqlite_settings, smtp
) -> None:
    """A flow's long transaction must not stall the pages: the owner's case page, viewed inline
    on the event loop, reads its snapshot while another connection holds the write lock."""
    site = Site(sqlite_settings, UnitOfWork(get_engine(sqlite_settings.database_url)), smtp)
    writer = sqlite3.connect(make_url(sqlite_settings.database_url).database,
                             isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE staff SET name = name")
    answer: dict = {}
    viewer = threading.Thread(target=lambda: answer.update(page=site.client.get(site.path)))
    viewer.start()
    # a view taking the write lock would wait out the busy timeout (120 s), then fail; one
    # reading its snapshot answers at once (110 s: room for a loaded machine)
    viewer.join(110)
    waited = viewer.is_alive()
    writer.rollback()
    viewer.join()
    writer.close()
    assert not waited, "the page view waited for the write lock"
    page = answer["page"]
    assert page.status_code == 200 and "&lt;script&gt;" in page.text
    assert TEXT not in page.text  # escaped, as ever
