"""Asks why a prediction is rejected and what the correct finding is."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.labels import NO_TUMOUR, NOT_ASSESSABLE, finding_texts
from desktop_app.core.wording import finding_text
from desktop_app.ui.theme import set_role

# Alt+letter for each finding; distinct letters, so every finding can be picked from the keyboard.
ACCESS_KEYS = {"glioma": "G", "meningioma": "M", "pituitary": "P", NO_TUMOUR: "t", NOT_ASSESSABLE: "a"}


def _with_access_key(text: str, letter: str | None) -> str:
    """`text` with Qt's '&' before the first `letter` ("No tumor", "t" → "No &tumor")."""
    at = text.find(letter) if letter else -1
    return text if at < 0 else f"{text[:at]}&{text[at:]}"


class RejectDialog(QDialog):
    """Reason (required) and the confirmed finding: one of the other classes or 'not assessable'.

    The model's own finding is shown but cannot be chosen: rejecting it and "confirming" it at once
    told the patient "not confirmed … Doctor's finding: <the same thing>".
    Keys: Alt+letter picks a finding, Ctrl+Enter confirms, Esc cancels.
    """

    def __init__(self, model_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reject the model's finding")
        self.setAccessibleName("Reject the model's finding")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.model_key = model_key
        model_label = finding_text(model_key)
        intro = QLabel(f"The model suggested <b>{model_label}</b>. Rejecting means that is not right: "
                       "what is the correct finding?", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.findings = QButtonGroup(self)
        self.finding_buttons: dict[str, QRadioButton] = {}
        for key, text in finding_texts().items():
            radio = QRadioButton(_with_access_key(text, ACCESS_KEYS.get(key)), self)
            radio.setAccessibleName(f"Correct finding: {text}")
            if key == model_key:
                radio.setText(f"{text} (the model's finding: approve instead)")
                radio.setAccessibleName(f"{text}: the model's finding, approve the report instead")
                radio.setEnabled(False)
            self.findings.addButton(radio)
            self.finding_buttons[key] = radio
            layout.addWidget(radio)

        reason_label = QLabel("&Reason (the patient sees this after review):", self)
        layout.addWidget(reason_label)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setAccessibleName("Reason for rejecting")
        self.reason_edit.setPlaceholderText("e.g. Enhancing lesion is extra-axial, consistent with meningioma.")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(90)
        reason_label.setBuddy(self.reason_edit)
        layout.addWidget(self.reason_edit)

        self.problem = QLabel("", self)
        self.problem.setProperty("role", "error")
        self.problem.setVisible(False)
        layout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.reject_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.reject_button.setText("Reject report")
        set_role(self.reject_button, "danger", "kind")  # re-polished, so it is drawn red
        self.reject_button.setAccessibleName("Reject report")
        self.buttons.accepted.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.activateWindow()
        self._first_choice().setFocus()  # arrow keys then move between findings

    def keyPressEvent(self, event) -> None:  # noqa: N802
        ctrl_enter = (event.modifiers() & Qt.KeyboardModifier.ControlModifier
                      and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter))
        if ctrl_enter:
            self._confirm()
            return
        super().keyPressEvent(event)

    def _first_choice(self) -> QRadioButton:
        return next(radio for radio in self.finding_buttons.values() if radio.isEnabled())

    def select_finding(self, key: str) -> None:
        self.finding_buttons[key].setChecked(True)

    def finding(self) -> str | None:
        for key, radio in self.finding_buttons.items():
            if radio.isChecked():
                return key
        return None

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _confirm(self) -> None:
        if self.finding() is None:
            self._show_problem("Choose the correct finding.")
            self._first_choice().setFocus()
            return
        if not self.reason():
            self._show_problem("Write a short reason; it is kept with the report.")
            self.reason_edit.setFocus()
            return
        self.accept()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
