"""HTTP client for the TumorPredict wire contract (legacy shapes plus the project server's additions)."""

from __future__ import annotations

import base64
import copy
import http.client
import json
import logging
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions

from desktop_app.core.errors import UserFacingError

log = logging.getLogger(__name__)

# Statuses worth another try on a call that is safe to repeat.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_READ_ONLY_POSTS = frozenset({"/list_reports", "/get_messages", "/get_inbox", "/get_report"})


class _CutOff(Exception):
    """A 2xx answer whose body is not the JSON it should be: cut off on the way (a server crash, a proxy)."""


# Everything that means "no whole answer came back": what a crash, a reset or a cut line looks like.
_TRANSPORT_FAILURES = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # the body was cut off mid-way
    requests.exceptions.ContentDecodingError,  # a compressed body cut off mid-way
    urllib3.exceptions.HTTPError,  # ProtocolError and friends, should requests let one through
    http.client.HTTPException,  # IncompleteRead, BadStatusLine
    _CutOff,
)


class ApiError(UserFacingError):
    """A call that did not succeed; `user_message` is plain words for the status bar."""

    def __init__(self, user_message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(user_message)
        self.status = status
        self.code = code


class ServerUnreachable(ApiError):
    """No answer at all: refused, reset, timed out, or the name does not resolve."""


class ServerFailed(ApiError):
    """The server answered with a 5xx (or a 429) even after the retries that were safe."""


class AuthRequired(ApiError):
    """The token is missing, expired or revoked: the user must sign in again."""


class RequestRejected(ApiError):
    """A 4xx answer: repeating the same request will not help."""


@dataclass
class LoginResult:
    token: str | None
    user: dict[str, Any]
    role: str | None  # None on a legacy server, which keeps no roles


@dataclass
class PredictResult:
    report_id: str | None  # None on a legacy server
    label: str | None
    confidence: float | None
    model_version: str | None
    probabilities: dict[str, float] | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    """A list answer; `cursor` is None when the server ignored `since` (legacy full list)."""

    items: list[dict[str, Any]]
    cursor: Any  # opaque: sent back exactly as received (JSON number or string)
    has_more: bool = False  # the server capped the page: ask again from `cursor`


@dataclass
class SentMessage:
    """One item of a batch send: the server's id, or why the server refused that message."""

    message_id: str | None
    error: RequestRejected | None = None


@dataclass
class ServerCapabilities:
    """What the server turned out to support, learned from its answers (None: not seen yet)."""

    report_ids: bool | None = None
    cursors: bool | None = None
    message_batches: bool | None = None  # False once the server answered /send_messages with 404/405
    clock_offset_s: float = 0.0  # server clock minus ours, from the Date header

    @property
    def legacy(self) -> bool:
        return self.report_ids is False or self.cursors is False

    @property
    def honours_idempotency_keys(self) -> bool:
        # Only the project server honours client ids, and only it returns report ids or cursors.
        return bool(self.report_ids or self.cursors)


class ApiClient:
    """One `requests.Session` per server; safe calls retry with exponential backoff and jitter."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 20.0,
        max_retries: int = 3,
        backoff_base: float = 0.2,
        backoff_cap: float = 4.0,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.session = session or _session_for(self.base_url)
        self.capabilities = ServerCapabilities()

    def close(self) -> None:
        self.session.close()

    def with_token(self, token: str | None) -> ApiClient:
        """A view for one user: same session, settings and learned capabilities, its own token.

        Lets several threads send for different users at once without sharing a token field.
        """
        view = copy.copy(self)
        view.token = token
        return view

    # ---- accounts -------------------------------------------------------------------------

    def register(
        self,
        username: str,
        email: str,
        password: str,
        *,
        role: str | None = None,
        full_name: str | None = None,
        doctor: str | None = None,
        enrollment_code: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"username": username, "email": email, "password": password}
        optional = {"role": role, "full_name": full_name, "doctor": doctor, "enrollment_code": enrollment_code}
        body.update({k: v for k, v in optional.items() if v})
        return self._call("POST", "/register", body, auth=False, safe=False)

    def login(self, username: str, password: str) -> LoginResult:
        answer = self._call("POST", "/login", {"username": username, "password": password}, auth=False, safe=False)
        user = answer.get("user") or {"username": username}
        self.token = answer.get("token")
        return LoginResult(token=self.token, user=user, role=user.get("role"))

    def logout(self) -> None:
        """Revokes the token on the server when it knows how; forgets it here either way."""
        try:
            if self.token:
                self._call("POST", "/logout", {}, safe=False)
        except RequestRejected as exc:
            if exc.status != 404:  # a legacy server has no /logout: nothing to revoke
                raise
        except AuthRequired:
            pass  # already expired: logging out is done
        finally:
            self.token = None

    def request_otp(self, username: str) -> dict[str, Any]:
        return self._call("POST", "/request_otp", {"username": username}, auth=False, safe=False)

    def verify_otp(self, username: str, otp: str, new_password: str) -> dict[str, Any]:
        body = {"username": username, "otp": otp, "new_password": new_password}
        return self._call("POST", "/verify_otp", body, auth=False, safe=False)

    # ---- reports --------------------------------------------------------------------------

    def predict(
        self,
        username: str,
        image: bytes,
        *,
        client_report_id: str | None = None,
        prediction: dict[str, Any] | None = None,
        timestamp_ms: int | None = None,
    ) -> PredictResult:
        body: dict[str, Any] = {"username": username, "image_b64": base64.b64encode(image).decode("ascii")}
        if client_report_id:
            body["client_report_id"] = client_report_id
        if prediction:
            body["prediction"] = prediction
        if timestamp_ms is not None:
            body["timestamp"] = timestamp_ms
        answer = self._call("POST", "/predict", body, safe=bool(client_report_id))
        report_id = answer.get("report_id")
        self.capabilities.report_ids = report_id is not None
        return PredictResult(
            report_id=str(report_id) if report_id is not None else None,
            label=answer.get("label"),
            confidence=answer.get("confidence"),
            model_version=answer.get("model_version"),
            probabilities=answer.get("probabilities"),
            raw=answer,
        )

    def list_reports(self, username: str, since: Any = None) -> Page:
        body: dict[str, Any] = {"username": username}
        if since is not None:
            body["since"] = since
        answer = self._call("POST", "/list_reports", body, safe=True)
        return self._page(answer, "reports")

    def report_image(self, report_id: str) -> bytes:
        """The scan of a report (project server only)."""
        return self._call("GET", f"/report_image/{report_id}", None, safe=True, raw=True)

    def doctor_update_report(
        self,
        report_id: str,
        action: str,
        doctor_notes: str = "",
        *,
        label: str | None = None,
        reason: str | None = None,
        client_review_id: str | None = None,
    ) -> dict[str, Any]:
        """`client_review_id` makes a resend after a lost answer change nothing on the project server."""
        body: dict[str, Any] = {"report_id": report_id, "action": action, "doctor_notes": doctor_notes}
        if label:
            body["confirmed_label"] = label
        if reason:
            body["reject_reason"] = reason
        if client_review_id:
            body["client_review_id"] = client_review_id
        return self._call("POST", "/doctor_update_report", body, safe=bool(client_review_id))

    # ---- chat -----------------------------------------------------------------------------

    def send_message(
        self, sender: str, receiver: str, message: str, *, client_message_id: str | None = None
    ) -> str | None:
        body: dict[str, Any] = {"sender": sender, "receiver": receiver, "message": message}
        if client_message_id:
            body["client_message_id"] = client_message_id
        answer = self._call("POST", "/send_message", body, safe=bool(client_message_id))
        message_id = answer.get("message_id")
        return str(message_id) if message_id is not None else None

    def send_messages(self, messages: list[dict[str, Any]]) -> list[SentMessage]:
        """Several messages in one request (project server only), in order; each dict has `sender`,
        `receiver`, `message` and `client_message_id`. The ids make a repeat harmless, so it is retried.

        Raises RequestRejected with status 404/405 (and notes it in `capabilities`) when the server
        has no batch endpoint: send those messages one by one instead.
        """
        body = {"messages": [{k: m[k] for k in ("sender", "receiver", "message", "client_message_id")}
                             for m in messages]}
        try:
            answer = self._call("POST", "/send_messages", body, safe=True)
        except RequestRejected as exc:
            if exc.status in (404, 405):
                self.capabilities.message_batches = False
            raise
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(messages):
            raise ServerFailed("The server sent an answer the app cannot read (/send_messages).")
        self.capabilities.message_batches = True
        return [_sent_message(item) for item in results]

    def get_messages(self, user1: str, user2: str, since: Any = None) -> Page:
        body: dict[str, Any] = {"user1": user1, "user2": user2}
        if since is not None:
            body["since"] = since
        answer = self._call("POST", "/get_messages", body, safe=True)
        return self._page(answer, "messages")

    def get_inbox(self, since: Any = None) -> Page:
        """Every message to or from the signed-in user after `since` (project server only)."""
        body: dict[str, Any] = {} if since is None else {"since": since}
        answer = self._call("POST", "/get_inbox", body, safe=True)
        return self._page(answer, "messages")

    # ---- federated learning ---------------------------------------------------------------

    def upload_weights_json(self, username: str, weights: Any) -> dict[str, Any]:
        """The legacy upload: a JSON array of numbers."""
        return self._call("POST", "/upload_weights", {"username": username, "weights": weights}, safe=False)

    def upload_weights_npz(
        self,
        username: str,
        npz: bytes,
        *,
        num_examples: int,
        base_version: str | None,
        update_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The project server's upload: a multipart `.npz` with named arrays and its metadata."""
        form: dict[str, Any] = {"username": username, "num_examples": str(num_examples)}
        if base_version:
            form["base_version"] = base_version
        if update_id:
            form["client_update_id"] = update_id
        if extra:
            form["meta"] = json.dumps(extra)
        files = {"weights": ("update.npz", npz, "application/octet-stream")}
        return self._call("POST", "/upload_weights", None, form=form, files=files, safe=bool(update_id))

    def get_global_meta(self) -> dict[str, Any]:
        return self._call("GET", "/get_global_meta", None, safe=True)

    def download_global_weights(self) -> bytes:
        return self._call("GET", "/download_global_weights", None, safe=True, raw=True)

    def trigger_aggregation(self) -> dict[str, Any]:
        return self._call("POST", "/trigger_aggregation", {}, safe=False)

    # ---- plumbing -------------------------------------------------------------------------

    def server_now_ms(self) -> int:
        """Our best guess of the server's clock, for matching legacy records by time."""
        return int((time.time() + self.capabilities.clock_offset_s) * 1000)

    def _page(self, answer: dict[str, Any], key: str) -> Page:
        cursor = answer.get("cursor")
        self.capabilities.cursors = cursor is not None
        items = answer.get(key)
        return Page(items=list(items) if isinstance(items, list) else [], cursor=cursor,
                    has_more=bool(answer.get("has_more")) and cursor is not None)

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        auth: bool = True,
        safe: bool,
        form: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        # A client id only makes a write safe to repeat once the server has shown it honours them.
        may_retry = safe and (method == "GET" or path in _READ_ONLY_POSTS or self.capabilities.honours_idempotency_keys)
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method, url, json=body, data=form, files=files, headers=headers, timeout=self.timeout
                )
                self._note_clock(response)
                if not (response.status_code in _RETRYABLE_STATUSES and may_retry and attempt < self.max_retries):
                    return self._answer(path, response, had_token=bool(headers), raw=raw)
            except _TRANSPORT_FAILURES as exc:
                if may_retry and attempt < self.max_retries:
                    attempt += 1
                    self._sleep_before_retry(attempt, None, f"{path}: {type(exc).__name__}")
                    continue
                raise ServerUnreachable(_unreachable_message(self.base_url, exc)) from exc
            except requests.RequestException as exc:  # a malformed URL and the like: a repeat will not help
                raise ServerUnreachable(_unreachable_message(self.base_url, exc)) from exc
            attempt += 1
            self._sleep_before_retry(attempt, response.headers.get("Retry-After"), f"{path}: HTTP {response.status_code}")

    def _answer(self, path: str, response: requests.Response, *, had_token: bool, raw: bool) -> Any:
        status = response.status_code
        if status < 400:
            if raw:
                return response.content
            try:
                answer = response.json()
            except ValueError as exc:
                raise _CutOff(f"{path}: the answer is not whole JSON") from exc
            if not isinstance(answer, dict):
                raise ServerFailed(f"The server sent an answer the app cannot read ({path}).", status=status)
            return answer
        code = _error_code(response)
        if status == 401 and (had_token or code in ("token_required", "token_expired", "invalid_token", "unauthorized")):
            raise AuthRequired("Your sign-in has expired. Please sign in again to sync.", status=status, code=code)
        if status == 429:
            raise ServerFailed("The server is busy. The app will try again shortly.", status=status, code=code)
        if status >= 500:
            raise ServerFailed(f"The server had a problem (error {status}). The app will try again.", status=status, code=code)
        raise RequestRejected(_rejection_message(code, status), status=status, code=code)

    def _sleep_before_retry(self, attempt: int, retry_after: str | None, what: str) -> None:
        delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        delay = random.uniform(delay / 2, delay)  # jitter: devices that failed together retry apart
        if retry_after and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), self.backoff_cap))
        log.info("retrying %s (attempt %d) in %.2f s", what, attempt + 1, delay)
        time.sleep(delay)

    def _note_clock(self, response: requests.Response) -> None:
        date = response.headers.get("Date")
        if not date:
            return
        try:
            self.capabilities.clock_offset_s = parsedate_to_datetime(date).timestamp() - time.time()
        except (TypeError, ValueError):
            pass


def _session_for(base_url: str) -> requests.Session:
    """A session that reads proxy and CA settings from the environment once, not on every call
    (requests re-reads the whole environment per request, a visible share of an idle sync pass)."""
    session = requests.Session()
    settings = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(settings.get("proxies") or {})
    session.verify = settings.get("verify", True)
    session.trust_env = False
    return session


def _sent_message(item: Any) -> SentMessage:
    item = item if isinstance(item, dict) else {}
    if item.get("message_id") is not None:
        return SentMessage(str(item["message_id"]))
    code = str(item.get("error") or "refused")
    status = item.get("status") if isinstance(item.get("status"), int) else 400
    return SentMessage(None, RequestRejected(_rejection_message(code, status), status=status, code=code))


def _error_code(response: requests.Response) -> str | None:
    try:
        answer = response.json()
    except ValueError:
        return None
    if isinstance(answer, dict) and answer.get("error") is not None:
        return str(answer["error"])
    return None


def _unreachable_message(base_url: str, exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return f"The server at {base_url} did not answer in time. Your changes are kept and will be sent later."
    return f"The server at {base_url} could not be reached. Your changes are kept and will be sent later."


_REJECTIONS = {
    "invalid_credentials": "The user name or password is not correct.",
    "username_taken": "That user name is already taken on the server.",
    "unknown_user": "The server does not know that user name.",
    "invalid_otp": "The code is not correct or has expired.",
    "not_found": "The server no longer has that record.",
    "forbidden": "The server does not allow this for your account.",
    "payload_too_large": "The file is too large for the server.",
}


def _rejection_message(code: str | None, status: int) -> str:
    if code in _REJECTIONS:
        return _REJECTIONS[code]
    if status == 403:
        return _REJECTIONS["forbidden"]
    if status == 413:
        return _REJECTIONS["payload_too_large"]
    return f"The server refused the request ({code or status})."
