"""The composition root: one app per data dir, remembered server, lazily loaded engine."""

import threading
import time

import pytest

from desktop_app.core.accounts import AccountError
from desktop_app.core.services import AppServices
from local_store import StoreLockedError


def test_a_second_app_on_the_same_data_dir_is_refused_clearly(app, data_dir):
    with pytest.raises(StoreLockedError):
        AppServices.open(data_dir)


def test_the_data_dir_remembers_its_server(open_app):
    app = open_app("http://127.0.0.1:9/")
    assert app.settings.server_url == "http://127.0.0.1:9"
    assert app.sync is not None and app.accounts.remote is not None
    app.close()
    again = open_app()
    assert again.settings.server_url == "http://127.0.0.1:9" and again.sync is not None


def test_a_bad_server_address_is_refused(data_dir, open_app):
    with pytest.raises(AccountError, match="not a server address"):
        open_app("ftp://clinic")
    open_app().close()  # the failed open released the data dir


def test_the_engine_loads_once_even_when_threads_race(open_app):
    calls = []

    def loader():
        calls.append(threading.get_ident())
        time.sleep(0.05)
        return object()

    app = open_app(engine_loader=loader)
    assert not app.engine_loaded
    results = []
    threads = [threading.Thread(target=lambda: results.append(app.engine)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(r) for r in results}) == 1 and app.engine_loaded


def test_a_failed_engine_load_is_tried_again_later(open_app):
    attempts = []

    def loader():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model file missing")
        return "engine"

    app = open_app(engine_loader=loader)
    with pytest.raises(OSError):
        _ = app.engine
    assert app.engine == "engine"
