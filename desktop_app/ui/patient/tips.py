"""Health tips: the clinic's reading content, grouped by category."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout

from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.widgets.common import Card, EmptyState, Screen, label


class HealthTipsScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("Health tips", "Practical advice while you wait for your review and after.")
        self.ctx = ctx
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.content.addLayout(self.grid)
        self.empty = EmptyState("tips", "No tips available",
                                "Your clinic has not published health tips on this computer.")
        self.empty.setVisible(False)
        self.content.addWidget(self.empty)
        self.content.addStretch(1)
        self._loaded = False

    def refresh(self) -> None:
        if not self._loaded:
            self.run(lambda: self.ctx.services.content.health_tips(), on_result=self._show)

    def _show(self, tips: list[dict]) -> None:
        self._loaded = True
        self.empty.setVisible(not tips)
        for number, tip in enumerate(tips):
            card = Card()
            category = label(tip.get("category", "").upper(), "label")
            card.body.addWidget(category)
            card.body.addWidget(label(tip["title"], "section", wrap=True))
            card.body.addWidget(label(tip["body"], None, wrap=True))
            if tip.get("source"):
                card.body.addWidget(label(f"Source: {tip['source']}", "muted", wrap=True))
            card.body.addStretch(1)
            card.setAccessibleName(tip["title"])
            self.grid.addWidget(card, number // 2, number % 2)
