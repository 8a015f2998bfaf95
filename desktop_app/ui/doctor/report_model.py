"""The reports table: one Qt model over every report, and the per-tab view that filters it.

Built for 10,000+ rows: each row's display text and sort keys are computed once when the
data changes, sorting is one numpy argsort of cached int keys in the source model (the view
forwards `sort`), and each tab's view keeps its shown rows as an index array, so neither a
sort nor a filter makes Qt call back into Python once per row.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    QAbstractProxyModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from desktop_app.ui.doctor.formatting import (
    confidence_text,
    date_text,
    label_key_of,
    label_text,
    patient_key,
    patient_text,
    status_text,
)
from desktop_app.ui.theme import STATUS_COLOURS

COLUMNS = ("Patient", "Date", "Model finding", "Confidence", "Status", "Reviewer")
PATIENT, DATE, LABEL, CONFIDENCE, STATUS, REVIEWER = range(len(COLUMNS))
REPORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the report dict
REPORT_ID_ROLE = Qt.ItemDataRole.UserRole + 2

_filter_generations = itertools.count()  # unique across proxies sharing one model
_DATE_BITS = 42  # Unix milliseconds fit until the year 2109
_DATE_MASK = (1 << _DATE_BITS) - 1

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


def cell_data(row: ReportRow, column: int, role):
    """What one cell shows for a Qt role; shared by the table and its per-tab views."""
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
        self._ranked_rows: list[ReportRow] = []  # the rows in the order their keys were cached
        self._key_columns = np.empty((0, len(COLUMNS)), dtype=np.int64)  # one column of keys per table column
        self._by_patient: dict[str, list[dict]] | None = None
        self._pending: list[str] = []
        self._pending_revision = -1
        self._sort: tuple[int, Qt.SortOrder] = (DATE, Qt.SortOrder.DescendingOrder)
        self.revision = 0  # bumped whenever rows move or change, so proxies refresh their caches

    # ----- loading ------------------------------------------------------------------------
    def _row_for(self, report: dict) -> ReportRow:
        reviewer = report.get("reviewed_by") or ""
        return make_row(report, patient_text(report, self._name_of),
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
                by_patient.setdefault(patient_key(row.report), []).append(row.report)
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
        return cell_data(self._rows[index.row()], index.column(), role)

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
        if not self._ranked:
            self._rank_rows()
        keys = self._key_columns[:, column]
        # One stable numpy argsort of the cached int keys (rows in the order they were ranked);
        # negating keeps ties in the order a stable descending sort would.
        ranked = np.argsort(-keys if order == Qt.SortOrder.DescendingOrder else keys, kind="stable")
        ranked_rows = self._ranked_rows
        self._rows = [ranked_rows[position] for position in ranked.tolist()]
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
        self._ranked_rows = list(self._rows)
        self._key_columns = np.array([row.keys for row in self._rows], dtype=np.int64).reshape(-1, len(COLUMNS))
        self._ranked = True

    def _reindex(self) -> None:
        self._row_of = None  # rebuilt on the next lookup: a sort need not pay for it
        self.revision += 1


_VERDICT = operator.attrgetter("verdict")


def _position(rows: list[ReportRow], row: ReportRow) -> int | None:
    try:
        return rows.index(row)  # eq=False rows compare by identity
    except ValueError:
        return None


class ReportFilterProxy(QAbstractProxyModel):
    """Per-tab view of the table: status, patient search, finding and date range.

    Holds the shown source rows as one array instead of being a QSortFilterProxyModel: that
    one calls back into Python (filterAcceptsRow, rowCount) once per row after every sort
    and filter change, which alone cost more than the 50 ms budget with 10,000 reports.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self._search = ""
        self._label_key: str | None = None
        self._date_from: int | None = None
        self._date_to: int | None = None
        self._generation = next(_filter_generations)
        self._model: ReportTableModel | None = None
        self._shown = np.empty(0, dtype=np.int64)  # source rows shown, in source order
        self._proxy_of = np.empty(0, dtype=np.int64)  # per source row: its row here, or -1
        self._held: list[tuple[QModelIndex, ReportRow]] = []  # persistent indexes across a sort
        self._columns_revision = -1
        self._cached_columns: tuple = (None, None, None, [])

    def source(self) -> ReportTableModel:
        return self._model

    def set_filters(self, *, status: str | None = ..., search: str | None = ...,
                    label_key: str | None = ..., date_from: int | None = ...,
                    date_to: int | None = ...) -> None:
        """Change any subset of the filters and re-filter once (arguments left out are kept)."""
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
        self._hold_persistent()
        self._refilter()
        self._release_persistent()

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

    def _verdict(self, row: ReportRow) -> bool:
        # Verdicts live on the rows, so a sort (which only moves rows) re-filters for free.
        if row.verdict_generation != self._generation:
            row.verdict = self.accepts(row)
            row.verdict_generation = self._generation
        return row.verdict

    def _refilter(self) -> None:
        """Judge every row at once with numpy masks over cached columns, then keep the verdicts."""
        rows = self._model.rows() if self._model is not None else []
        status, label_key, timestamp, search = self._columns(rows)
        mask = np.ones(len(rows), dtype=bool)
        if self._status is not None:
            mask &= status == self._status
        if self._label_key is not None:
            mask &= label_key == self._label_key
        if self._date_from is not None:
            mask &= timestamp >= self._date_from
        if self._date_to is not None:
            mask &= timestamp < self._date_to
        if self._search:
            needle = self._search
            mask &= np.fromiter((needle in text for text in search), dtype=bool, count=len(rows))
        generation = self._generation
        for row, verdict in zip(rows, mask.tolist(), strict=True):
            row.verdict = verdict
            row.verdict_generation = generation
        self._set_shown(np.flatnonzero(mask), len(rows))

    def _columns(self, rows: list[ReportRow]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """The filtered-on fields as arrays in the source's row order, rebuilt when rows move."""
        revision = self._model.revision if self._model is not None else -1
        if self._columns_revision != revision or len(self._cached_columns[3]) != len(rows):
            self._cached_columns = (
                np.array([row.status for row in rows], dtype=object),
                np.array([row.label_key for row in rows], dtype=object),
                np.fromiter((row.timestamp for row in rows), dtype=np.int64, count=len(rows)),
                [row.search for row in rows],
            )
            self._columns_revision = revision
        return self._cached_columns

    def _set_shown(self, shown: np.ndarray, source_rows: int) -> None:
        self._shown = shown
        self._proxy_of = np.full(source_rows, -1, dtype=np.int64)
        self._proxy_of[shown] = np.arange(len(shown))

    # ----- keeping the view's selection on the same reports when rows move ----------------
    def _hold_persistent(self) -> None:
        self.layoutAboutToBeChanged.emit()
        rows = self._model.rows() if self._model is not None else []
        self._held = [(index, rows[int(self._shown[index.row()])])
                      for index in self.persistentIndexList() if index.row() < len(self._shown)]

    def _release_persistent(self) -> None:
        held, self._held = self._held, []
        if held:
            rows = self._model.rows()
            found: dict[int, int | None] = {}
            old, new = [], []
            for index, row in held:
                # Only the view's few selected and current rows are held: finding each by
                # identity is far cheaper than rebuilding the source's id index after a sort.
                if id(row) not in found:
                    found[id(row)] = _position(rows, row)
                source_row = found[id(row)]
                proxy_row = -1 if source_row is None else int(self._proxy_of[source_row])
                old.append(index)
                new.append(self.index(proxy_row, index.column()) if proxy_row >= 0 else QModelIndex())
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    # ----- following the source -----------------------------------------------------------
    def setSourceModel(self, model: ReportTableModel) -> None:  # noqa: N802
        self.beginResetModel()
        self._model = model
        super().setSourceModel(model)
        model.modelReset.connect(self._source_reset)
        model.layoutAboutToBeChanged.connect(self._hold_persistent)
        model.layoutChanged.connect(self._source_layout_changed)
        model.rowsInserted.connect(self._source_rows_changed)
        model.rowsRemoved.connect(self._source_rows_changed)
        model.dataChanged.connect(self._source_data_changed)
        self._refilter()
        self.endResetModel()

    def _source_reset(self) -> None:
        self.beginResetModel()
        self._refilter()
        self.endResetModel()

    def _source_layout_changed(self) -> None:
        # A sort only moves rows: every row already holds its verdict for the current filters.
        rows = self._model.rows()
        mask = np.fromiter(map(_VERDICT, rows), dtype=bool, count=len(rows))
        self._set_shown(np.flatnonzero(mask), len(rows))
        self._release_persistent()

    def _source_rows_changed(self, *_args) -> None:
        # One report added or removed (a sync, a new upload): rare, so the layout is rebuilt.
        self._hold_persistent()
        self._refilter()
        self._release_persistent()

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        rows = self._model.rows()
        changed = range(top_left.row(), bottom_right.row() + 1)
        shown_before = [bool(self._proxy_of[row] >= 0) for row in changed]
        # A changed report (a decision, a sync) is judged again; it may leave or join this tab.
        for row in changed:
            rows[row].verdict_generation = -1
        if [self._verdict(rows[row]) for row in changed] != shown_before:
            self._source_rows_changed()
            return
        for row in changed:
            proxy_row = int(self._proxy_of[row])
            if proxy_row >= 0:
                self.dataChanged.emit(self.index(proxy_row, 0), self.index(proxy_row, len(COLUMNS) - 1))

    # ----- Qt model API -------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._shown) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index=QModelIndex()) -> QModelIndex:  # noqa: B008
        return QModelIndex()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid()

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        return self._model.headerData(section, orientation, role) if self._model else None

    def mapToSource(self, proxy_index) -> QModelIndex:  # noqa: N802
        if not proxy_index.isValid() or self._model is None or proxy_index.row() >= len(self._shown):
            return QModelIndex()
        return self._model.index(int(self._shown[proxy_index.row()]), proxy_index.column())

    def mapFromSource(self, source_index) -> QModelIndex:  # noqa: N802
        if not source_index.isValid() or source_index.row() >= len(self._proxy_of):
            return QModelIndex()
        proxy_row = int(self._proxy_of[source_index.row()])
        return self.index(proxy_row, source_index.column()) if proxy_row >= 0 else QModelIndex()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        # Straight to the source's row: the base class would go through mapToSource per cell.
        if not index.isValid() or index.row() >= len(self._shown):
            return None
        return cell_data(self._model.row(int(self._shown[index.row()])), index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The source sorts its precomputed keys in one pass; this view keeps the source order.
        self.source().sort(column, order)

    def report_at(self, proxy_row: int) -> dict | None:
        if not 0 <= proxy_row < len(self._shown):
            return None
        return self.source().row(int(self._shown[proxy_row])).report

    def proxy_row_of(self, report_id: str) -> int | None:
        source_row = self.source().row_of(report_id)
        if source_row is None:
            return None
        proxy_row = int(self._proxy_of[source_row])
        return proxy_row if proxy_row >= 0 else None
