"""The notification centre: per-user, read marks, listeners."""

import pytest

from desktop_app.core.accounts import AccessDenied
from tests.core.conftest import setup_clinic, sign_in


def test_notifications_are_read_by_their_owner_with_live_updates(app, clock):
    setup_clinic(app)
    heard = []
    unsubscribe = app.notifications.subscribe(heard.append)
    first = app.notifications.add("alice", "info", "Welcome", "Your account is ready.")
    clock.advance(1)
    second = app.notifications.add("alice", "new_message", "New message from dr_bob", "Hello", ref="m1")
    app.notifications.add("dr_bob", "sync_problem", "Please sign in again", "Your sign-in expired.")
    assert [n["id"] for n in app.notifications.for_user("alice")] == [second["id"], first["id"]]
    assert app.notifications.unread_count("alice") == 2
    app.notifications.mark_read(first["id"])
    assert app.notifications.unread_count("alice") == 1
    app.notifications.mark_all_read("alice")
    assert app.notifications.unread_count("alice") == 0
    with pytest.raises(AccessDenied):
        app.notifications.for_user("dr_bob")
    unsubscribe()
    app.notifications.add("alice", "info", "After", "not heard")
    assert [e.topic for e in heard] == ["notification.added"] * 3 + ["notification.read"] * 2
    sign_in(app, "dr_bob")
    assert app.notifications.unread_count("dr_bob") == 1
    with pytest.raises(ValueError):
        app.notifications.add("alice", "party", "x", "y")
