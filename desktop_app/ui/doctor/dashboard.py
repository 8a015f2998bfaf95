"""The doctor's dashboard: queue counts, the oldest waiting scans, today's work, messages, sync."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QWidget,
)

from desktop_app.ui.doctor.formatting import (
    age_text,
    confidence_text,
    label_key_of,
    label_text,
    patient_text,
    short_date_text,
    start_of_today_ms,
)
from desktop_app.ui.sync_view import KEPT_HERE, KEPT_HERE_DETAIL, NO_SERVER_TEXT
from desktop_app.ui.widgets.common import Banner, Card, Screen, button, format_time, label

OLDEST_SHOWN = 8


class StatCard(Card):
    """One big number with its caption; clicking (or Enter on) the action opens the list."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(None, parent)
        self.number = label("0", "big")
        self.number.setStyleSheet("font-size: 26pt; font-weight: 600;")
        self.caption = label(caption, "muted")
        self.body.addWidget(self.number)
        self.body.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set_value(self, value: int | str, detail: str = "") -> None:
        self.number.setText(str(value))
        self.number.setAccessibleName(f"{self.caption.text()}: {value}")
        if detail:
            self.caption.setToolTip(detail)


class DoctorDashboard(Screen):
    """Start of the day: what waits, what was done, what is new."""

    open_queue = Signal(object)  # status or None
    open_report = Signal(str)  # report id
    open_chat = Signal()
    start_triage = Signal()
    open_enrollment = Signal()

    def __init__(self, doctor_name: str, parent: QWidget | None = None) -> None:
        super().__init__("Dashboard", f"Good to see you, {doctor_name}.", parent)
        self.start_button = button("Start reviewing  (Ctrl+Enter)", "primary",
                                   accessible="Start reviewing the oldest pending scan")
        self.start_button.clicked.connect(self.start_triage.emit)
        self.header_actions.addWidget(self.start_button)

        self.admin_banner = Banner(
            "Other doctors can create an account on this computer only with a doctor enrollment "
            "code, which you set.", "info", title="You are this computer's administrator")
        self.set_code_button = button("Set the code…", "link",
                                      accessible="Open Profile to set the doctor enrollment code")
        self.set_code_button.clicked.connect(self.open_enrollment.emit)
        # The link beside the sentence, not under it: the dashboard must fit 1100×760 unscrolled.
        banner_layout = self.admin_banner.layout()
        banner_layout.setContentsMargins(16, 8, 12, 8)
        banner_layout.removeWidget(self.admin_banner.text_label)
        line = QHBoxLayout()
        line.addWidget(self.admin_banner.text_label, 1)
        line.addWidget(self.set_code_button, 0, Qt.AlignmentFlag.AlignVCenter)
        banner_layout.addLayout(line)
        self.admin_banner.setVisible(False)
        self.content.addWidget(self.admin_banner)

        grid = QGridLayout()
        grid.setSpacing(16)
        self.pending_card = StatCard("Pending review")
        self.today_card = StatCard("Reviewed today")
        self.approved_card = StatCard("Approved")
        self.rejected_card = StatCard("Rejected")
        self.unread_card = StatCard("Unread messages")
        self.sync_card = StatCard("Sync")
        self.sync_card.number.setStyleSheet("font-size: 13pt; font-weight: 600;")
        cards = [self.pending_card, self.today_card, self.approved_card, self.rejected_card,
                 self.unread_card, self.sync_card]
        for position, card in enumerate(cards):
            grid.addWidget(card, position // 3, position % 3)
        self.content.addLayout(grid)

        links = QHBoxLayout()
        links.setSpacing(8)
        for text, status in (("Pending", "pending"), ("All reports", None),
                             ("Approved", "approved"), ("Rejected", "rejected")):
            link = button(text, "link", accessible=f"Open {text.lower()} reports")
            link.clicked.connect(lambda _checked=False, status=status: self.open_queue.emit(status))
            links.addWidget(link)
        chat_link = button("Chat", "link", accessible="Open chat")
        chat_link.clicked.connect(self.open_chat.emit)
        links.addWidget(chat_link)
        links.addStretch(1)
        self.content.addLayout(links)

        oldest = Card("Waiting longest", self)
        self.oldest_hint = label("Oldest first. Enter opens the review.", "muted")
        oldest.body.addWidget(self.oldest_hint)
        self.oldest_list = QListWidget(oldest)
        self.oldest_list.setAccessibleName("Oldest pending reports")
        # Room for four rows; it grows with the window (eight forced a scroll bar at 1100×760).
        self.oldest_list.setMinimumHeight(4 * (self.fontMetrics().height() + 14))
        # Its preferred height must not count either: the scroll area sizes a page with wrapped
        # text by its preferred height, and the list's default one forced a scroll bar.
        self.oldest_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.oldest_list.itemActivated.connect(self._on_activated)
        oldest.body.addWidget(self.oldest_list, 1)
        self.content.addWidget(oldest, 1)

    def show_reports(self, reports: list[dict], name_of, doctor: str) -> None:
        counts = {"pending": 0, "approved": 0, "rejected": 0}
        today = start_of_today_ms()
        reviewed_today = 0
        pending: list[dict] = []
        for report in reports:
            status = report.get("status") or "pending"
            counts[status] = counts.get(status, 0) + 1
            if status == "pending":
                pending.append(report)
            elif report.get("reviewed_by") == doctor and (report.get("reviewed_at") or 0) >= today:
                reviewed_today += 1
        pending.sort(key=lambda report: report.get("timestamp") or 0)
        self.pending_card.set_value(counts["pending"])
        self.today_card.set_value(reviewed_today)
        self.approved_card.set_value(counts["approved"])
        self.rejected_card.set_value(counts["rejected"])
        self.start_button.setEnabled(bool(pending))
        self.oldest_list.clear()
        for report in pending[:OLDEST_SHOWN]:
            text = (f"{patient_text(report, name_of)}  ·  "
                    f"{short_date_text(report.get('timestamp'))} "
                    f"(waiting {age_text(report.get('timestamp'))})  ·  "
                    f"{label_text(label_key_of(report), report.get('label'))} "
                    f"{confidence_text(report.get('confidence'))}")
            if report.get("is_brain_mri") is False:
                text += "  ·  ⚠ may not be a brain MRI"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, report["id"])
            self.oldest_list.addItem(item)
        if not pending:
            self.oldest_list.addItem("No scans are waiting. All caught up.")
        elif self.oldest_list.currentRow() < 0:
            self.oldest_list.setCurrentRow(0)

    def show_admin_notice(self, visible: bool) -> None:
        """The first doctor on a fresh install learns they are the administrator, and what to do."""
        self.admin_banner.setVisible(visible)

    def show_unread(self, count: int) -> None:
        self.unread_card.set_value(count)

    def show_sync(self, online: bool, summary: str, pending: int, last_sync_ms) -> None:
        state = "Online" if online else "Offline"
        self.sync_card.set_value(state)
        if summary == NO_SERVER_TEXT:  # nothing is waiting: nothing will be sent without a server
            self.sync_card.caption.setText(f"{KEPT_HERE}.\nNo clinic server is connected.")
            self.sync_card.setAccessibleName(f"Sync: {state}. {KEPT_HERE_DETAIL}")
            return
        detail = f"{pending} change{'s' if pending != 1 else ''} waiting to sync"
        if last_sync_ms:
            detail += f" · last sync {format_time(last_sync_ms)}"
        head, _dash, rest = (summary or "").partition(" — ")
        summary = rest.capitalize() if head.strip().lower() == state.lower() and rest else summary
        self.sync_card.caption.setText(f"{summary}\n{detail}" if summary else detail)
        self.sync_card.setAccessibleName(f"Sync: {state}. {detail}")

    def _on_activated(self, item: QListWidgetItem) -> None:
        report_id = item.data(Qt.ItemDataRole.UserRole)
        if report_id:
            self.open_report.emit(report_id)
