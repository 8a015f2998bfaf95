"""The observer the services announce changes through."""

from desktop_app.core.events import EventBus


def test_listeners_get_topics_under_their_prefix_until_unsubscribed():
    bus = EventBus()
    seen, everything = [], []
    unsubscribe = bus.subscribe(seen.append, prefix="report.")
    bus.subscribe(everything.append)
    bus.emit("report.created", id="r1")
    bus.emit("message.sent", id="m1")
    unsubscribe()
    bus.emit("report.reviewed", id="r1")
    assert [(e.topic, e.data) for e in seen] == [("report.created", {"id": "r1"})]
    assert [e.topic for e in everything] == ["report.created", "message.sent", "report.reviewed"]


def test_a_failing_listener_does_not_stop_the_others():
    bus = EventBus()
    seen = []

    def broken(event):
        raise RuntimeError("boom")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.emit("settings.changed")
    assert len(seen) == 1
