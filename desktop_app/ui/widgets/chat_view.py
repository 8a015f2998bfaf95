"""A conversation view: bubbles with times, per-message state (sending/sent/failed + retry), composer."""

from __future__ import annotations

import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QStackedLayout,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import user_message_of
from desktop_app.ui.widgets.common import EmptyState, button, format_time
from desktop_app.ui.workers import run_in_background, write_lane

log = logging.getLogger(__name__)

MessageRole = Qt.ItemDataRole.UserRole + 1
MineRole = Qt.ItemDataRole.UserRole + 2
FOREGROUND_POLL_S = 3  # while the conversation is on screen, as the clinic's earlier app did
BACKGROUND_POLL_S = 15  # window in the background: poll slower
MAX_MESSAGE_CHARS = 4000
INPUT_HINT = "Write a message…  (Enter sends, Shift+Enter for a new line)"
STATE_TEXT = {"sending": "Waiting to send", "sent": "Sent", "failed": "Not sent — click to retry"}
# With no clinic server "waiting" would never end: say where the message is instead.
NO_SERVER_STATE_TEXT = {**STATE_TEXT, "sending": "Kept on this computer"}
NO_SERVER_NOTICE = ("This computer is not connected to your clinic's server, so messages are kept "
                    "here and nothing is sent yet. They are sent once the clinic connects it.")


class ChatMessageModel(QAbstractListModel):
    """Messages of one conversation, oldest first, keyed by local id."""

    def __init__(self, me: str = "", parent=None) -> None:
        super().__init__(parent)
        self.me = me
        self._messages: list[dict] = []
        self.state_text = STATE_TEXT

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._messages)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._messages):
            return None
        message = self._messages[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return message.get("message", "")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "You" if message.get("sender") == self.me else message.get("sender", "")
            state = self.state_text.get(message.get("state", ""), "") if who == "You" else ""
            return f"{who}, {format_time(message.get('timestamp'))}: {message.get('message', '')}. {state}"
        if role == MessageRole:
            return message
        if role == MineRole:
            return message.get("sender") == self.me
        return None

    def set_messages(self, messages: list[dict]) -> None:
        """Replace the contents; an unchanged list causes no reset (no flicker, keeps scroll)."""
        if messages == self._messages:
            return
        self.beginResetModel()
        self._messages = list(messages)
        self.endResetModel()

    def message(self, row: int) -> dict:
        return self._messages[row]

    def messages(self) -> list[dict]:
        return list(self._messages)


class BubbleDelegate(QStyledItemDelegate):
    """Paints a message as a rounded bubble: mine on the right in blue, theirs on the left."""

    PAD_X, PAD_Y, GAP, MARGIN = 14, 9, 4, 10
    MINE, MINE_TEXT = QColor("#1F6FD1"), QColor("#FFFFFF")
    THEIRS, THEIRS_TEXT, BORDER = QColor("#FFFFFF"), QColor("#1E293B"), QColor("#E2E8F0")
    META, FAILED = QColor("#56657A"), QColor("#B91C1C")

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _max_text_width(self) -> int:
        return max(160, int(self._view.viewport().width() * 0.66) - 2 * self.PAD_X)

    def _text_rect(self, text: str, font: QFont) -> QRect:
        flags = int(Qt.TextFlag.TextWordWrap)
        return QFontMetrics(font).boundingRect(QRect(0, 0, self._max_text_width(), 100000), flags, text)

    @staticmethod
    def _meta_font(font: QFont) -> QFont:
        meta = QFont(font)
        meta.setPointSizeF(max(7.0, font.pointSizeF() * 0.82))
        return meta

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        text_rect = self._text_rect(index.data() or "", option.font)
        meta_height = QFontMetrics(self._meta_font(option.font)).height()
        height = text_rect.height() + 2 * self.PAD_Y + self.GAP + meta_height + self.MARGIN
        return QSize(self._view.viewport().width(), height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        message: dict = index.data(MessageRole) or {}
        mine = bool(index.data(MineRole))
        text = message.get("message", "")
        text_rect = self._text_rect(text, option.font)
        bubble_w = text_rect.width() + 2 * self.PAD_X
        bubble_h = text_rect.height() + 2 * self.PAD_Y
        area = option.rect.adjusted(12, self.MARGIN // 2, -12, 0)
        left = area.right() - bubble_w if mine else area.left()
        bubble = QRect(left, area.top(), bubble_w, bubble_h)

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.MINE if mine else self.BORDER, 1))
        painter.setBrush(self.MINE if mine else self.THEIRS)
        painter.drawRoundedRect(bubble, 12, 12)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#0F3D7A"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(bubble.adjusted(-2, -2, 2, 2), 13, 13)
        painter.setPen(self.MINE_TEXT if mine else self.THEIRS_TEXT)
        painter.setFont(option.font)
        painter.drawText(bubble.adjusted(self.PAD_X, self.PAD_Y, -self.PAD_X, -self.PAD_Y),
                         int(Qt.TextFlag.TextWordWrap), text)

        meta = format_time(message.get("timestamp"))
        state = message.get("state", "sent")
        if mine:
            meta = f"{meta} · {index.model().state_text.get(state, state)}"
        meta_font = self._meta_font(option.font)
        painter.setFont(meta_font)
        painter.setPen(self.FAILED if mine and state == "failed" else self.META)
        meta_rect = QRect(area.left(), bubble.bottom() + self.GAP, area.width(),
                          QFontMetrics(meta_font).height())
        align = Qt.AlignmentFlag.AlignRight if mine else Qt.AlignmentFlag.AlignLeft
        painter.drawText(meta_rect, int(align | Qt.AlignmentFlag.AlignVCenter), meta)
        painter.restore()


class _Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submit = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submit.emit()
            return
        super().keyPressEvent(event)


class ChatView(QWidget):
    """Display and composer only; owners connect `send_requested`, `retry_requested`, `poll`."""

    send_requested = Signal(str)
    retry_requested = Signal(str)  # local message id
    poll = Signal()  # fires every few seconds while visible: refresh from the store / server

    def __init__(self, me: str = "", parent: QWidget | None = None,
                 empty_text: str = "No messages yet. Write the first one below.") -> None:
        super().__init__(parent)
        self.model = ChatMessageModel(me, self)
        self.list = QListView(self)
        self.list.setObjectName("chatList")
        self.list.setAccessibleName("Conversation")
        self.list.setModel(self.model)
        self.list.setItemDelegate(BubbleDelegate(self.list))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.list.clicked.connect(self._on_clicked)
        self.list.activated.connect(self._on_clicked)  # Enter on a failed message retries too

        self.empty = EmptyState("chat", "No messages yet", empty_text, self)
        self._stack_host = QWidget(self)
        self._stack = QStackedLayout(self._stack_host)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.list)

        self.input = _Composer(self)
        self.input.setPlaceholderText(INPUT_HINT)
        self.input.setAccessibleName("Message text")
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 18)
        self.input.setTabChangesFocus(True)
        self.input.submit.connect(self._submit)
        self.send_button = button("Send", "primary", accessible="Send message")
        self.send_button.clicked.connect(self._submit)
        self.notice = QLabel("", self)
        self.notice.setObjectName("chatNotice")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self._standing_notice = ""

        composer = QHBoxLayout()
        composer.setSpacing(8)
        composer.addWidget(self.input, 1)
        composer.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self._stack_host, 1)
        layout.addWidget(self.notice)
        layout.addLayout(composer)

        self._poll_seconds = float(FOREGROUND_POLL_S)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll.emit)
        self._apply_poll_rate()
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._apply_poll_rate)

    # ----- data ------------------------------------------------------------------------
    def set_me(self, me: str) -> None:
        self.model.me = me

    def set_messages(self, messages: list[dict]) -> None:
        at_bottom = self._scrolled_to_bottom()
        grew = len(messages) != self.model.rowCount()
        self.model.set_messages(messages)
        self._stack.setCurrentWidget(self.list if messages else self.empty)
        if grew or at_bottom:
            QTimer.singleShot(0, self._scroll_to_bottom)

    def _scroll_to_bottom(self) -> None:
        if shiboken6.isValid(self.list):  # the view may be gone by the time the timer fires
            self.list.scrollToBottom()

    def set_notice(self, text: str) -> None:
        """A message about the last action; with none, the standing no-server notice (if any)."""
        text = text or self._standing_notice
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def set_no_server(self, no_server: bool) -> None:
        """No clinic server on this computer: messages are kept here, not "waiting to send"."""
        self.model.state_text = NO_SERVER_STATE_TEXT if no_server else STATE_TEXT
        self._standing_notice = NO_SERVER_NOTICE if no_server else ""
        self.set_notice("")
        self.list.viewport().update()

    def set_enabled_for_sending(self, enabled: bool, reason: str = "") -> None:
        self.input.setEnabled(enabled)
        self.send_button.setEnabled(enabled)
        # Re-enabling must bring back the usual hint, not leave the "why you can't write" text behind.
        self.input.setPlaceholderText(INPUT_HINT if enabled or not reason else reason)

    # ----- actions ---------------------------------------------------------------------
    def _submit(self) -> None:
        text = self.input.toPlainText().strip()
        if not text:
            return
        if len(text) > MAX_MESSAGE_CHARS:
            self.set_notice(f"That message is too long ({len(text)} characters). "
                            f"Please keep it under {MAX_MESSAGE_CHARS}.")
            return
        self.set_notice("")
        self.input.clear()
        self.send_requested.emit(text)

    def _on_clicked(self, index) -> None:
        message = index.data(MessageRole) or {}
        if index.data(MineRole) and message.get("state") == "failed":
            self.retry_requested.emit(message.get("id", ""))

    def _scrolled_to_bottom(self) -> bool:
        bar = self.list.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    # ----- polling ---------------------------------------------------------------------
    def _apply_poll_rate(self, _state=None) -> None:
        active = QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
        seconds = self._poll_seconds if active else max(self._poll_seconds, BACKGROUND_POLL_S)
        self._timer.setInterval(max(1, int(seconds * 1000)))

    def set_poll_seconds(self, seconds: float) -> None:
        """How often to poll while the app is in front (slower in the background)."""
        self._poll_seconds = max(1.0, float(seconds))
        self._apply_poll_rate()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._timer.start()
        self.poll.emit()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self._timer.stop()


class ConversationPanel(QWidget):
    """A ChatView wired to the chat service for one pair of users; all store calls off the UI thread.

    `on_poll` (optional) runs in the background before each refresh, e.g. a sync engine's
    "fetch new messages" step; without it the panel re-reads the local store.
    """

    changed = Signal()  # messages sent, read or received: badges elsewhere should refresh

    def __init__(self, chat_service, me: str, peer: str | None, *,
                 on_poll: Callable[[], object] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chat = chat_service
        self.me, self.peer = me, peer
        self.on_poll = on_poll
        self._loading = False
        self._sync_worker = None  # see follow_sync
        self._polling = False
        self.view = ChatView(me, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.view.send_requested.connect(self.send)
        self.view.retry_requested.connect(self.retry)
        self.view.poll.connect(self.refresh)
        self.set_peer(peer)

    def set_peer(self, peer: str | None) -> None:
        self.peer = peer
        self.view.set_messages([])
        self.view.set_enabled_for_sending(bool(peer), "" if peer else "No one to write to yet.")
        if peer and self.isVisible():
            self.refresh()
        self._follow()

    # ----- the server's side of the open conversation ---------------------------------------
    def follow_sync(self, worker) -> None:
        """While this conversation is on screen, `worker` (the window's SyncWorker) polls the
        server for it, and what arrives is shown without anyone pressing a key."""
        self._sync_worker = worker
        worker.messages_arrived.connect(self._arrived)
        self._follow()

    def _follow(self) -> None:
        worker = self._sync_worker
        if worker is None:
            return
        if self.peer and self.isVisible():
            worker.open_chat(self.me, self.peer)
            self._polling = True
        elif self._polling:  # only the poll this panel started
            worker.close_chat()
            self._polling = False

    def _arrived(self, peer: str, _count: int) -> None:
        if peer == self.peer:
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._follow()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self._follow()  # no longer visible: the poll stops

    def _load(self, mark_read: bool) -> list[dict]:
        if self.on_poll is not None:
            try:
                self.on_poll()
            except Exception as exc:  # a failed poll must not hide what is stored locally
                log.info("chat poll failed: %s", exc)
        messages = self.chat.conversation(self.me, self.peer)
        unread = any(self.me not in m.get("read_by", []) and m.get("sender") == self.peer
                     for m in messages)
        if mark_read and unread:  # only what was actually on screen counts as read
            self.chat.mark_read(self.me, self.peer)
            return self.chat.conversation(self.me, self.peer)
        return messages

    def refresh(self) -> None:
        if not self.peer or self._loading:
            return
        self._loading = True
        peer = self.peer
        # Messages count as read only when the conversation is on screen, not merely built.
        run_in_background(self._load, self.isVisible(), owner=self,
                          on_result=lambda msgs: self._show(peer, msgs),
                          on_error=self._failed, on_finished=self._done)

    def _done(self) -> None:
        self._loading = False

    def _show(self, peer: str, messages: list[dict]) -> None:
        if peer != self.peer:  # the user switched conversation while this was loading
            return
        before = self.view.model.messages()
        self.view.set_messages(messages)
        if before != messages:
            self.changed.emit()

    def _failed(self, exc: Exception) -> None:
        self.view.set_notice(user_message_of(exc, "Messages could not be loaded just now. They are "
                                                  "kept safely; please try again in a moment."))

    def send(self, text: str) -> None:
        if not self.peer:
            return
        # On the write lane: two quick sends are saved and queued in the order they were typed.
        run_in_background(self.chat.send, self.me, self.peer, text, pool=write_lane(), owner=self,
                          on_result=lambda _m: self._after_write(),
                          on_error=lambda exc: self._send_failed(text, exc))

    def _send_failed(self, text: str, exc: Exception) -> None:
        self.view.input.setPlainText(text)  # nothing the patient typed is lost
        self._failed(exc)

    def retry(self, message_id: str) -> None:
        run_in_background(self.chat.retry, message_id, pool=write_lane(), owner=self,
                          on_result=lambda _m: self._after_write(), on_error=self._failed)

    def _after_write(self) -> None:
        self.view.set_notice("")
        self._loading = False
        self.refresh()
        self.changed.emit()
