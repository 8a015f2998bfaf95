"""The reports table: one Qt model over every report, and the proxy that filters it per tab.

Built for 10,000+ rows: each row's display text and sort keys are computed once when the
report arrives, filtering is one cheap predicate per row, and sorting is a single Python
sort of precomputed keys in the source model (the proxy forwards `sort`), instead of the
proxy's O(n log n) calls back into Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from desktop_app.ui.doctor.formatting import (
    confidence_text,
    date_text,
    label_key_of,
    label_text,
    status_text,
)

COLUMNS = ("Patient", "Date", "Model finding", "Confidence", "Status", "Reviewer")
PATIENT, DATE, LABEL, CONFIDENCE, STATUS, REVIEWER = range(len(COLUMNS))
REPORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the report dict
REPORT_ID_ROLE = Qt.ItemDataRole.UserRole + 2

_filter_generations = itertools.count()  # unique across proxies sharing one model
_DATE_BITS = 42  # Unix milliseconds fit until the year 2109
_DATE_MASK = (1 << _DATE_BITS) - 1

STATUS_COLOURS = {"pending": "#b45309", "approved": "#15803d", "rejected": "#b91c1c"}
_STATUS_ORDER = {"pending": 0, "rejected": 1, "approved": 2}


@dataclass(slots=True, eq=False)
class ReportRow:
    """A report plus everything the table shows, computed once."""

    report: dict
    texts: tuple[str, ...]
    values: tuple  # per column: the value it sorts by (name, date, finding, confidence, …)
    search: str  # lower-case patient name and username
    status: str
    label_key: str
    timestamp: int
    # Per column: the value's rank among all rows, then the date, as one int (see _rank_rows).
    keys: tuple[int, ...] = ()
    # The last filter verdict and which filter generation produced it (see ReportFilterProxy).
    verdict: bool = False
    verdict_generation: int = -1

    @property
    def report_id(self) -> str:
        return self.report["id"]


def make_row(report: dict, patient_name: str, reviewer_name: str) -> ReportRow:
    status = report.get("status") or "pending"
    key = label_key_of(report)
    timestamp = int(report.get("timestamp") or 0)
    confidence = report.get("confidence")
    texts = (
        patient_name,
        date_text(timestamp),
        label_text(key, report.get("label")),
        confidence_text(confidence),
        status_text(status) + (" ⚠" if report.get("conflict") else ""),
        reviewer_name,
    )
    primary = (  # what each column sorts by
        patient_name.lower(),
        timestamp,
        texts[LABEL].lower(),
        confidence if confidence is not None else -1.0,
        _STATUS_ORDER.get(status, 9),
        reviewer_name.lower(),
    )
    search = f"{patient_name} {report.get('username', '')}".lower()
    return ReportRow(report, texts, primary, search, status, key, timestamp)


class ReportTableModel(QAbstractTableModel):
    """Every report the doctor can see, one row each."""

    def __init__(self, name_of: Callable[[str], str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._name_of = name_of or (lambda username: username)
        self._rows: list[ReportRow] = []
        self._row_of: dict[str, int] | None = {}
        self._sorted_revision = -1
        self._counts: dict[str, int] | None = None
        self._ranked = False  # rows carry current sort keys
        self._by_patient: dict[str, list[dict]] | None = None
        self._pending: list[str] = []
        self._pending_revision = -1
        self._sort: tuple[int, Qt.SortOrder] = (DATE, Qt.SortOrder.DescendingOrder)
        self.revision = 0  # bumped whenever rows move or change, so proxies refresh their caches

    # ----- loading ------------------------------------------------------------------------
    def _row_for(self, report: dict) -> ReportRow:
        reviewer = report.get("reviewed_by") or ""
        return make_row(report, self._name_of(report.get("username", "")),
                        self._name_of(reviewer) if reviewer else "")

    def set_reports(self, reports: Iterable[dict]) -> None:
        self.beginResetModel()
        self._counts = self._by_patient = None
        self._ranked = False
        self._rows = [self._row_for(report) for report in reports]
        self._apply_sort()
        self.endResetModel()

    def upsert(self, report: dict) -> None:
        """Add or refresh one report in place (a review, a sync) without resetting the table."""
        self._counts = self._by_patient = None
        self._ranked = False
        row_index = self.row_of(report["id"])
        if row_index is None:
            position = len(self._rows)
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.append(self._row_for(report))
            self._index_by_id()[report["id"]] = position
            self.revision += 1
            self.endInsertRows()
            return
        self._rows[row_index] = self._row_for(report)
        self.revision += 1
        self.dataChanged.emit(self.index(row_index, 0), self.index(row_index, len(COLUMNS) - 1))

    def remove(self, report_id: str) -> None:
        row_index = self.row_of(report_id)
        if row_index is None:
            return
        self.beginRemoveRows(QModelIndex(), row_index, row_index)
        self._counts = self._by_patient = None
        self._ranked = False
        del self._rows[row_index]
        self._reindex()
        self.endRemoveRows()

    # ----- lookups ------------------------------------------------------------------------
    def pending_ids(self) -> list[str]:
        """Pending reports in the table's current order; cached until rows move or change."""
        if self._pending_revision != self.revision:
            self._pending = [row.report["id"] for row in self._rows if row.status == "pending"]
            self._pending_revision = self.revision
        return self._pending

    def reports_of(self, username: str) -> list[dict]:
        """One patient's reports, newest first; the index is rebuilt after a change, not a sort."""
        if self._by_patient is None:
            by_patient: dict[str, list[dict]] = {}
            for row in self._rows:
                by_patient.setdefault(row.report.get("username", ""), []).append(row.report)
            for found in by_patient.values():
                found.sort(key=lambda report: report.get("timestamp") or 0, reverse=True)
            self._by_patient = by_patient
        return self._by_patient.get(username, [])

    def status_counts(self) -> dict[str, int]:
        """Reports per status plus 'all'; cached until a report is added or changed."""
        if self._counts is None:
            counts = {"pending": 0, "approved": 0, "rejected": 0}
            for row in self._rows:
                counts[row.status] = counts.get(row.status, 0) + 1
            counts["all"] = len(self._rows)
            self._counts = counts
        return self._counts

    def row(self, row_index: int) -> ReportRow:
        return self._rows[row_index]

    def rows(self) -> list[ReportRow]:
        return self._rows

    def _index_by_id(self) -> dict[str, int]:
        if self._row_of is None:
            self._row_of = {row.report["id"]: position for position, row in enumerate(self._rows)}
        return self._row_of

    def row_of(self, report_id: str) -> int | None:
        return self._index_by_id().get(report_id)

    def report(self, report_id: str) -> dict | None:
        row_index = self.row_of(report_id)
        return None if row_index is None else self._rows[row_index].report

    # ----- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return row.texts[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return QColor(STATUS_COLOURS.get(row.status, "#334155"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == CONFIDENCE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == REPORT_ROLE:
            return row.report
        if role == REPORT_ID_ROLE:
            return row.report_id
        if role == Qt.ItemDataRole.ToolTipRole and column == STATUS and row.report.get("conflict"):
            return "Another decision was made on this report elsewhere; open it to resolve."
        return None

    # ----- sorting ------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        if (column, order) == self._sort and self._sorted_revision == self.revision:
            return  # already in this order (the view asks twice when the header indicator moves)
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        moved_rows = [self._rows[index.row()] for index in old_persistent]
        flipped = column == self._sort[0] and self._sorted_revision == self.revision
        self._sort = (column, order)
        if flipped:  # same column, other direction: a reversed ascending order is descending
            self._rows.reverse()
            self._reindex()
            self._sorted_revision = self.revision
        else:
            self._apply_sort()
        if old_persistent:  # keep selections and the current row on the same reports
            position = {id(row): row_index for row_index, row in enumerate(self._rows)}
            new_persistent = [self.index(position[id(row)], index.column())
                              for row, index in zip(moved_rows, old_persistent, strict=True)]
            self.changePersistentIndexList(old_persistent, new_persistent)
        self.layoutChanged.emit()

    def sort_column(self) -> tuple[int, Qt.SortOrder]:
        return self._sort

    def _apply_sort(self) -> None:
        column, order = self._sort
        rows = self._rows
        if not self._ranked:
            self._rank_rows()
        keys = [row.keys[column] for row in rows]
        # Sorting positions by a C-level key lookup avoids a Python call per comparison, and
        # plain ints compare far faster than (text, date) tuples.
        ranked = sorted(range(len(rows)), key=keys.__getitem__,
                        reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [rows[position] for position in ranked]
        self._reindex()
        self._sorted_revision = self.revision

    def _rank_rows(self) -> None:
        """Give every row one int per column: its value's rank, then its date for ties.

        Done once per change of the data (not per sort): ints compare far faster than
        (text, date) tuples, and a sort then only reads them.
        """
        ranks = []
        for column in range(len(COLUMNS)):
            distinct = sorted({row.values[column] for row in self._rows})
            ranks.append({value: position for position, value in enumerate(distinct)})
        for row in self._rows:
            stamp = row.timestamp & _DATE_MASK
            row.keys = tuple((rank[value] << _DATE_BITS) | stamp
                             for rank, value in zip(ranks, row.values, strict=True))
        self._ranked = True

    def _reindex(self) -> None:
        self._row_of = None  # rebuilt on the next lookup: a sort need not pay for it
        self.revision += 1


class ReportFilterProxy(QSortFilterProxyModel):
    """Per-tab view of the table: status, patient search, finding and date range."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self._search = ""
        self._label_key: str | None = None
        self._date_from: int | None = None
        self._date_to: int | None = None
        self._generation = next(_filter_generations)
        self._model: ReportTableModel | None = None

    def source(self) -> ReportTableModel:
        return self._model

    def set_filters(self, *, status: str | None = ..., search: str | None = ...,
                    label_key: str | None = ..., date_from: int | None = ...,
                    date_to: int | None = ...) -> None:
        """Change any subset of the filters and re-filter once (arguments left out are kept)."""
        self.beginFilterChange()
        if status is not ...:
            self._status = status or None
        if search is not ...:
            self._search = (search or "").strip().lower()
        if label_key is not ...:
            self._label_key = label_key or None
        if date_from is not ...:
            self._date_from = date_from
        if date_to is not ...:
            self._date_to = date_to
        self._generation = next(_filter_generations)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filters(self) -> dict:
        return {"status": self._status, "search": self._search, "label_key": self._label_key,
                "date_from": self._date_from, "date_to": self._date_to}

    def accepts(self, row: ReportRow) -> bool:
        """Whether one report passes the current filters."""
        if self._status is not None and row.status != self._status:
            return False
        if self._label_key is not None and row.label_key != self._label_key:
            return False
        if self._date_from is not None and row.timestamp < self._date_from:
            return False
        if self._date_to is not None and row.timestamp >= self._date_to:
            return False
        return not self._search or self._search in row.search

    def setSourceModel(self, model: ReportTableModel) -> None:  # noqa: N802
        self._model = model  # kept on the Python side: filterAcceptsRow runs 10,000 times
        super().setSourceModel(model)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802
        # Verdicts live on the rows, so a sort (which only moves rows) re-filters for free.
        row = self._model.rows()[source_row]
        if row.verdict_generation != self._generation:
            row.verdict = self.accepts(row)
            row.verdict_generation = self._generation
        return row.verdict

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The source sorts its precomputed keys in one pass; the proxy keeps the source order.
        self.source().sort(column, order)

    def report_at(self, proxy_row: int) -> dict | None:
        if not 0 <= proxy_row < self.rowCount():
            return None
        return self.source().row(self.mapToSource(self.index(proxy_row, 0)).row()).report

    def proxy_row_of(self, report_id: str) -> int | None:
        source_row = self.source().row_of(report_id)
        if source_row is None:
            return None
        proxy_index = self.mapFromSource(self.source().index(source_row, 0))
        return proxy_index.row() if proxy_index.isValid() else None
