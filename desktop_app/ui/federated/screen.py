"""The doctor's Federated learning screen: global version, local cases, train (progress, cancel), share, pull, roll back."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QWidget,
)

from desktop_app.core.counting import count_text
from desktop_app.core.errors import UserFacingError
from desktop_app.core.federated import FederatedError, TrainingCancelled
from desktop_app.core.federated.remote import SyncRemote
from desktop_app.core.labels import label_texts
from desktop_app.ui.federated.chart import VersionChart, VersionPoint
from desktop_app.ui.widgets.common import ButtonRow, Card, Screen, button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)


class _Progress(QObject):
    """Carries training progress from the worker thread to the UI thread (queued signal)."""

    changed = Signal(str, int, int)


NO_SERVER_MESSAGE = (
    "This computer is not connected to a clinic server, so weights cannot be shared yet. Ask "
    "your IT contact to connect it (tumorpredict config set server-url …); local training works "
    "without one."
)


def plain_error(exc: BaseException) -> str:
    if isinstance(exc, UserFacingError) and exc.user_message:
        return exc.user_message
    log.warning("federated action failed: %r", exc)
    return "Something went wrong; nothing was changed. Details are in the log."


class _Message(QLabel):
    """A wrapped line that takes no room while it has nothing to say."""

    def __init__(self, role: str | None = None) -> None:
        super().__init__()
        self.setWordWrap(True)
        if role:
            self.setProperty("role", role)
        self.setVisible(False)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.setVisible(bool(text))


class FederatedScreen(Screen):
    """Every action runs in a background worker; the buttons wait while one is busy."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(
            "Federated learning",
            "Improve the shared model with this clinic's confirmed cases. Only model weights "
            "leave this computer — never images or patient details.",
            parent,
        )
        self.setObjectName("federatedScreen")
        self._services = services
        self.client = services.federated_client()
        self._cancel = threading.Event()
        self._busy = False
        self._progress = _Progress(self)
        self._progress.changed.connect(self._on_progress)
        self._build()
        self.refresh()

    # ---- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(16)
        versions = Card("Model weights", self)
        form = QFormLayout()
        form.setSpacing(8)
        self.active_label = label("…", wrap=True)  # "tumornet-1.2/base (shipped with the app)"
        self.server_label = label("…", wrap=True)
        self.server_detail = label("", "muted", wrap=True)
        form.addRow("In use on this computer:", self.active_label)
        form.addRow("Latest on the server:", self.server_label)
        form.addRow("", self.server_detail)
        versions.body.addLayout(form)
        versions.body.addStretch(1)
        top.addWidget(versions, 1)

        dataset = Card("Confirmed cases on this computer", self)
        self.dataset_grid = QGridLayout()
        self.dataset_grid.setHorizontalSpacing(24)
        self.dataset_grid.setVerticalSpacing(4)
        self.dataset_grid.setColumnStretch(2, 1)
        dataset.body.addLayout(self.dataset_grid)
        dataset.body.addStretch(1)
        self.dataset_labels: dict[str, QLabel] = {}
        self._total_caption: QLabel | None = None
        self.dataset_total = label("…")
        self.dataset_total.setStyleSheet("font-weight: 600;")
        top.addWidget(dataset, 1)
        self.content.addLayout(top)

        training = Card("Train locally", self)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.train_button = button("Train on local cases", "primary")
        self.cancel_button = button("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress_bar = QProgressBar(training)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("%p%")
        self.progress_bar.setAccessibleName("Training progress")
        self.progress_bar.setVisible(False)  # only while training: a stale half-full bar misleads
        row.addWidget(self.train_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress_bar, 1)
        row.addStretch(0)
        training.body.addLayout(row)
        self.train_result = _Message()
        training.body.addWidget(self.train_result)
        self.content.addWidget(training)

        sharing = Card("Share with other clinics", self)
        self.upload_button = button("Share update", accessible="Share the update with the server")
        self.pull_button = button("Get latest weights", accessible="Get the latest shared weights")
        self.rollback_button = button("Roll back", accessible="Roll back to the previous weights")
        self.aggregate_button = button("Combine updates", accessible="Combine clinic updates now")
        self.upload_button.setToolTip("Send this clinic's training result (weights only) to the server")
        self.pull_button.setToolTip("Use the newest weights the clinics built together")
        self.rollback_button.setToolTip("Go back to the weights used before the last change")
        self.aggregate_button.setToolTip(
            "Administrators: aggregate this round's updates on the server"
        )
        self.aggregate_button.setVisible(self._is_admin())
        sharing.body.addWidget(ButtonRow([self.upload_button, self.pull_button,
                                          self.rollback_button, self.aggregate_button], spacing=8))
        self.message = _Message("muted")
        self.message.setAccessibleName("What happened")
        sharing.body.addWidget(self.message)
        self.content.addWidget(sharing)

        chart_box = Card("Versions and their accuracy on this clinic's confirmed cases", self)
        self.chart = VersionChart(chart_box)
        self.chart.setMinimumHeight(220)
        chart_box.body.addWidget(self.chart, 1)
        self.content.addWidget(chart_box, 1)

        self.train_button.clicked.connect(self.start_training)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.upload_button.clicked.connect(self.upload)
        self.pull_button.clicked.connect(self.pull)
        self.rollback_button.clicked.connect(self.rollback)
        self.aggregate_button.clicked.connect(self.aggregate)

    # ---- who is signed in, which server ---------------------------------------------------

    def _username(self) -> str | None:
        user = self._services.accounts.current_user
        if user is not None:
            return user.username
        return self._services.settings.current_user

    def _is_admin(self) -> bool:
        """An administrator here, or one the server named (only the server's admins can aggregate)."""
        name = self._username()
        doc = self._services.store.collection("users").get(name) if name else None
        return bool(doc and (doc.get("is_admin") or doc.get("server_admin")))

    def _remote(self) -> SyncRemote:
        sync = self._services.sync
        if sync is None:
            raise FederatedError(NO_SERVER_MESSAGE)
        return SyncRemote(sync, self._username())

    # ---- running things in the background -------------------------------------------------

    def _run(self, what: str, fn, on_done) -> None:
        if self._busy:
            return
        self._set_busy(True)
        self.message.setText(what)
        run_in_background(
            fn,
            on_result=on_done,
            on_error=self._on_error,
            on_finished=lambda: self._set_busy(False),
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (
            self.train_button,
            self.upload_button,
            self.pull_button,
            self.rollback_button,
            self.aggregate_button,
        ):
            widget.setEnabled(not busy)
        if not busy:
            self.cancel_button.setEnabled(False)

    def is_busy(self) -> bool:
        return self._busy

    # ---- refresh --------------------------------------------------------------------------

    def refresh(self) -> None:
        run_in_background(
            self.client.status, on_result=self._show_status, on_error=self._on_error, owner=self
        )

    def _show_status(self, status: dict[str, Any]) -> None:
        shipped = " (shipped with the app)" if status["using_shipped_head"] else ""
        self.active_label.setText(f"{status['active_version']}{shipped}")
        server = status.get("server") or {}
        self.server_label.setText(str(server.get("version") or "not known yet"))
        details = []
        if server.get("round") is not None:
            details.append(f"round {server['round']}")
        if server.get("contributors") is not None:
            contributors = server["contributors"]
            count = len(contributors) if isinstance(contributors, list) else contributors
            details.append(count_text(count, "clinic"))
        if server.get("total_examples") is not None:
            details.append(f"{server['total_examples']} cases")
        if server.get("pending_updates"):
            details.append(f"{count_text(server['pending_updates'], 'update')} waiting to be combined")
        if server.get("updated"):
            details.append(
                "updated "
                + dt.datetime.fromtimestamp(float(server["updated"])).strftime("%d %b %Y %H:%M")
            )
        self.server_detail.setText(", ".join(details))
        self._show_dataset(status["dataset"])
        self.chart.set_points(
            [
                VersionPoint(e["version"], e.get("local_accuracy"), bool(e.get("rolled_back_at")))
                for e in status["history"]
            ]
        )
        self.rollback_button.setEnabled(not self._busy and bool(status["stack"]))
        ready = [u for u in status["updates"] if u["state"] == "ready"]
        self.upload_button.setEnabled(not self._busy and bool(ready))

    def _show_dataset(self, counts: dict[str, int]) -> None:
        names = label_texts()
        for row, (key, count) in enumerate(counts.items()):
            if key not in self.dataset_labels:
                self.dataset_grid.addWidget(label(names.get(key, key)), row, 0)
                self.dataset_labels[key] = label()
                self.dataset_labels[key].setAlignment(Qt.AlignmentFlag.AlignRight)
                self.dataset_grid.addWidget(self.dataset_labels[key], row, 1)
            self.dataset_labels[key].setText(str(count))
        if self._total_caption is None:
            self._total_caption = label("Total")
            self._total_caption.setStyleSheet("font-weight: 600;")
            self.dataset_total.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.dataset_grid.addWidget(self._total_caption, len(counts), 0)
        self.dataset_grid.addWidget(self.dataset_total, len(counts), 1)
        self.dataset_total.setText(str(sum(counts.values())))

    # ---- actions --------------------------------------------------------------------------

    def start_training(self) -> None:
        if self._busy:
            return
        self._cancel.clear()
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Starting…")
        self.progress_bar.setVisible(True)
        self.train_result.setText("")
        self._run(
            "Training on this clinic's confirmed cases…",
            lambda: self.client.train(
                username=self._username(),
                progress=self._progress.changed.emit,
                cancelled=self._cancel.is_set,
            ),
            self._on_trained,
        )
        self.cancel_button.setEnabled(True)

    def cancel_training(self) -> None:
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.message.setText("Stopping…")

    def _on_progress(self, stage: str, done: int, total: int) -> None:
        # Reading the images is the first half of the bar, the training passes the second.
        fraction = done / max(total, 1)
        value = fraction * 50 if stage == "embedding" else 50 + fraction * 50
        self.progress_bar.setValue(int(value))
        self.progress_bar.setFormat("Reading cases %p%" if stage == "embedding" else "Training %p%")

    def _on_trained(self, outcome) -> None:
        result = outcome.result
        self.progress_bar.setValue(100)
        self.progress_bar.setFormat("Done")
        self.train_result.setText(
            f"Trained on {result.num_train} cases and checked on {result.num_val} held-back cases: "
            f"accuracy {result.accuracy_before:.0%} before, {result.accuracy_after:.0%} after. "
            "Share the update so other clinics benefit."
        )
        self.message.setText("Local training finished.")
        self.refresh()

    def _on_error(self, exc: Exception) -> None:
        # Whatever stopped it, the bar must not stay half full as if work were still going on.
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(False)
        if isinstance(exc, TrainingCancelled):
            self.message.setText("Training cancelled; nothing was changed.")
        else:
            self.message.setText(plain_error(exc))
        self.refresh()

    def upload(self) -> None:
        def queue_and_send() -> dict[str, Any]:
            doc = self.client.queue_upload()
            sync = self._services.sync
            if sync is not None:
                try:
                    sync.run_once()
                except Exception as exc:  # offline is normal: the outbox keeps it for the next sync
                    log.info("update queued; sync did not finish: %s", exc)
            return self.client.update(doc["id"]) or doc

        self._run("Sharing the update…", queue_and_send, self._on_uploaded)

    def _on_uploaded(self, doc: dict[str, Any]) -> None:
        if doc.get("state") == "uploaded":
            self.message.setText(f"Update with {doc['num_examples']} cases sent to the server.")
        else:
            self.message.setText(
                f"Update with {doc['num_examples']} cases is waiting to be sent; it goes at the next sync."
            )
        self.refresh()

    def pull(self) -> None:
        self._run(
            "Getting the latest shared weights…",
            lambda: self.client.pull(self._remote()),
            self._on_pulled,
        )

    def _on_pulled(self, entry: dict[str, Any] | None) -> None:
        if entry is None:
            self.message.setText("This computer already uses the latest shared weights.")
        else:
            accuracy = entry.get("local_accuracy")
            figure = (
                f" Accuracy on this clinic's confirmed cases: {accuracy:.0%}."
                if accuracy is not None
                else ""
            )
            self.message.setText(f"Now using shared weights {entry['version']}.{figure}")
        self.refresh()

    def rollback(self) -> None:
        self._run("Rolling back…", self.client.rollback, self._on_rolled_back)

    def _on_rolled_back(self, version: str) -> None:
        self.message.setText(f"Rolled back: now using {version}.")
        self.refresh()

    def aggregate(self) -> None:
        self._run(
            "Asking the server to combine this round's updates…",
            lambda: self._remote().trigger_aggregation(),
            self._on_aggregated,
        )

    def _on_aggregated(self, answer: dict[str, Any]) -> None:
        version = answer.get("version")
        self.message.setText(
            f"The server combined the updates: version {version}."
            if version
            else "The server accepted the request."
        )
        self.refresh()
