"""The annual IEC update ("renewal"): the window, what each client needs now, a run lock.

Every IEC must be updated on the DGFT portal between 1 April and 30 June of each financial
year (FY ``N`` runs from 1 April N to 31 March N+1). After 30 June DGFT de-activates the
IECs that were not; a later successful update re-activates them. Dates are Indian dates.

``plan(journal, records, today)`` says, for each client, what the journal knows:

==============  ===============================================================  ==========
state           meaning                                                          run?
==============  ===============================================================  ==========
due             not updated this FY yet, the window is open                      in window
done            updated this FY (the date and acknowledgement are shown)         no
overdue         not updated by 30 June, or the portal said de-activated          yes
in-progress     the latest update application is with the Regional Authority     no
needs-input     this FY's last attempt waited for an OTP/captcha nobody gave     yes
unknown         the journal has nothing on this IEC                              yes
==============  ===============================================================  ==========

The evidence is the client's jobs of the ``renew``/``update_iec`` playbooks and portal
snapshots of ``iec_status``, newest first (check-mode and unfinished jobs say nothing).
The first *decisive* job decides: a snapshot, or a submission (``changed``), or a guard
that found this FY's update there (``ok`` with ``already_done``). A newer attempt that
ended ``needs-input`` turns a due/overdue client into ``needs-input``; a newer failure is
mentioned in the detail. A submission whose application came back ``Deficient`` is not
done; one still ``In Progress`` is ``in-progress``.

``to_run`` turns a plan into the IECs ``rpa renew run`` processes. ``RunLock`` (in
``rpa.runlock``, re-exported here) keeps two runs (the timer and a person, say) from
working at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Literal

from rpa.clients.records import ClientRecord
from rpa.journal import JobRow, Journal
from rpa.runlock import RunLock

__all__ = [
    "IST",
    "PlanRow",
    "PlanState",
    "RunLock",
    "after_window",
    "classify",
    "financial_year",
    "fy_label",
    "in_window",
    "plan",
    "plan_totals",
    "playbook_name",
    "to_run",
    "today_in_india",
    "window",
]

IST = timezone(timedelta(hours=5, minutes=30), "IST")
RENEW_PLAYBOOKS = frozenset({"renew", "update_iec"})
STATUS_PLAYBOOK = "iec_status"

APP_APPROVED = "approved"
APP_IN_PROGRESS = "in progress"
APP_DEFICIENT = "deficient"

Source = Literal["journal", "portal"]
_DEACTIVATED = "not updated by {end:%d %B %Y}, so de-activated: an update re-activates it"


class PlanState(StrEnum):
    DUE = "due"
    DONE = "done"
    OVERDUE = "overdue"
    IN_PROGRESS = "in-progress"
    NEEDS_INPUT = "needs-input"
    UNKNOWN = "unknown"


# What `renew run` processes, in the window and after it (1 July – 31 March).
RUN_IN_WINDOW = frozenset(
    {PlanState.DUE, PlanState.NEEDS_INPUT, PlanState.UNKNOWN, PlanState.OVERDUE}
)
RUN_AFTER_WINDOW = frozenset({PlanState.OVERDUE, PlanState.NEEDS_INPUT, PlanState.UNKNOWN})


# -- the calendar ----------------------------------------------------------------------------


def financial_year(d: date) -> int:
    """The FY ``d`` falls in, by its starting year: 2026-05-01 → 2026, 2027-02-01 → 2026."""
    return d.year if d.month >= 4 else d.year - 1


def window(fy: int) -> tuple[date, date]:
    """The update window of FY ``fy``: 1 April – 30 June, both included."""
    return date(fy, 4, 1), date(fy, 6, 30)


def in_window(d: date) -> bool:
    start, end = window(financial_year(d))
    return start <= d <= end


def after_window(d: date) -> bool:
    """1 July – 31 March: this FY's window has closed (IECs not updated are de-activated)."""
    return d > window(financial_year(d))[1]


def fy_label(fy: int) -> str:
    """2026 → ``FY 2026-27``."""
    return f"FY {fy}-{(fy + 1) % 100:02d}"


def today_in_india(now: datetime | None = None) -> date:
    """Today's date in India, whatever the machine's time zone (the portal's calendar)."""
    return (now or datetime.now(UTC)).astimezone(IST).date()


# -- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    iec: str
    firm_name: str
    state: PlanState
    last_updated: date | None = None
    ack_number: str | None = None
    detail: str = ""  # one line a consultant understands
    source: Source = "journal"  # "portal": read off the portal by an iec_status job
    job_id: str | None = None  # the journal job the state was read from

    def to_dict(self) -> dict[str, Any]:
        return {
            "iec": self.iec,
            "firm_name": self.firm_name,
            "state": str(self.state),
            "last_updated": self.last_updated.isoformat() if self.last_updated else None,
            "ack_number": self.ack_number,
            "detail": self.detail,
            "source": self.source,
            "job_id": self.job_id,
        }


def plan(
    journal: Journal,
    records: Iterable[ClientRecord | tuple[int, ClientRecord]],
    today: date,
) -> list[PlanRow]:
    """One row per client (first row of a repeated IEC), in the client file's order.

    ``records`` are ``ClientRecord``s or ``ClientFile.records`` (``(row, record)`` pairs).
    """
    rows: list[PlanRow] = []
    seen: set[str] = set()
    for item in records:
        record = item[1] if isinstance(item, tuple) else item
        if record.iec in seen:
            continue
        seen.add(record.iec)
        rows.append(classify(record.iec, record.firm_name, journal.jobs(client=record.iec), today))
    return rows


def plan_totals(rows: Iterable[PlanRow]) -> dict[str, int]:
    """Clients per state, every state present (zeros included), in ``PlanState`` order."""
    counts = Counter(row.state for row in rows)
    return {str(state): counts.get(state, 0) for state in PlanState}


def to_run(
    rows: Sequence[PlanRow],
    today: date,
    *,
    include_overdue: bool = True,
    force: bool = False,
) -> list[str]:
    """The IECs ``renew run`` should process on ``today``.

    In the window: due, needs-input, unknown and overdue (de-activated last year) clients.
    From 1 July to 31 March: only those that are or may be de-activated (overdue,
    needs-input, unknown), to re-activate them; none with ``include_overdue=False``.
    ``force`` ignores the calendar and the journal: every client (each job's guard reads
    the portal first, so nothing is submitted twice).
    """
    if force:
        return [row.iec for row in rows]
    if in_window(today):
        states = RUN_IN_WINDOW if include_overdue else RUN_IN_WINDOW - {PlanState.OVERDUE}
    else:
        states = RUN_AFTER_WINDOW if include_overdue else frozenset()
    return [row.iec for row in rows if row.state in states]


def classify(iec: str, firm_name: str, jobs: Iterable[JobRow], today: date) -> PlanRow:
    """The state of one client on ``today`` from its journal jobs (any order)."""
    fy = financial_year(today)
    base: _Finding | None = None
    attempt: tuple[JobRow, date] | None = None  # the newest unfinished attempt this FY
    evidence = _evidence(jobs, fy)
    for job, day in evidence:
        base = _decisive(job, day, fy, today)
        if base is not None:
            break
        if attempt is None and job.status in ("needs-input", "failed") and _this_fy(day, fy):
            attempt = (job, day)
    if not evidence:
        detail = (
            "nothing in the journal about this IEC: `renew run` treats it as due"
            " (its guard reads the portal first); `renew plan --refresh` reads it now"
        )
        return PlanRow(iec=iec, firm_name=firm_name, state=PlanState.UNKNOWN, detail=detail)
    if base is None:
        base = _not_done(today, last_updated=None, why="no update this year in the journal")
    if base.state in (PlanState.DUE, PlanState.OVERDUE) and attempt is not None:
        job, day = attempt
        if job.status == "needs-input":
            what = job.error or "a challenge"
            base = _Finding(
                PlanState.NEEDS_INPUT,
                f"the run of {day} waited for input: {what}; the next run asks again"
                + (f"; {_DEACTIVATED.format(end=window(fy)[1])}" if after_window(today) else ""),
                last_updated=base.last_updated,
                source=base.source,
                job=job,
            )
        else:
            failure = job.error or job.error_kind or "no reason recorded"
            base = replace(base, detail=f"the attempt of {day} failed ({failure}); {base.detail}")
    return PlanRow(
        iec=iec,
        firm_name=firm_name,
        state=base.state,
        last_updated=base.last_updated,
        ack_number=base.ack,
        detail=base.detail,
        source=base.source,
        job_id=base.job.id if base.job else None,
    )


# -- evidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Finding:
    state: PlanState
    detail: str
    last_updated: date | None = None
    ack: str | None = None
    source: Source = "journal"
    job: JobRow | None = None


def playbook_name(playbook: str) -> str:
    """``playbooks/update-iec.yaml`` → ``update_iec``: how a job names its playbook varies."""
    name = playbook.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml"):
        name = name.removesuffix(suffix)
    return name.replace("-", "_").lower()


def _evidence(jobs: Iterable[JobRow], fy: int) -> list[tuple[JobRow, date]]:
    """Finished, real (not check-mode) renew jobs and successful status reads, with their
    Indian date, newest first. Jobs of a later FY than ``fy`` are left out (planning as of
    a past ``--today``)."""
    found: list[tuple[str, JobRow, date]] = []
    for job in jobs:
        name = playbook_name(job.playbook)
        if job.check_mode or (name not in RENEW_PLAYBOOKS and name != STATUS_PLAYBOOK):
            continue
        if job.status not in ("ok", "changed", "failed", "needs-input"):
            continue
        if name == STATUS_PLAYBOOK and job.status != "ok":
            continue  # a status read that failed read nothing
        stamp = job.finished_at or job.created_at
        moment = _parse_moment(stamp)
        if moment is None:
            continue
        day = moment.astimezone(IST).date()
        if financial_year(day) > fy:
            continue
        found.append((moment.astimezone(UTC).isoformat(), job, day))
    found.sort(key=lambda item: item[0], reverse=True)
    return [(job, day) for _, job, day in found]


def _decisive(job: JobRow, day: date, fy: int, today: date) -> _Finding | None:
    """What ``job`` says about this FY's update, or None when it says nothing."""
    result = job.result
    app = _text(result.get("application_status"))
    app_key = app.lower() if app else None
    if playbook_name(job.playbook) == STATUS_PLAYBOOK:
        return _from_snapshot(job, day, fy, today) if job.status == "ok" else None
    if job.status == "changed":
        submitted = _day(result.get("submitted_on")) or day
        ack = _text(result.get("ack_number"))
        if not _this_fy(submitted, fy):
            why = f"last submitted on {submitted}, in {fy_label(financial_year(submitted))}"
            return _not_done(today, last_updated=submitted, why=why, job=job)
        if app_key == APP_DEFICIENT:
            why = (
                f"{_application(ack)} of {submitted} came back Deficient:"
                " correct the client's details; the next run submits again"
            )
            return _not_done(today, last_updated=None, why=why, job=job)
        if app_key == APP_IN_PROGRESS:
            return _Finding(
                PlanState.IN_PROGRESS,
                f"submitted on {submitted}, with the Regional Authority",
                ack=ack,
                job=job,
            )
        return _Finding(
            PlanState.DONE,
            f"updated on {submitted}" + (f", acknowledgement {ack}" if ack else ""),
            last_updated=submitted,
            ack=ack,
            job=job,
        )
    if job.status == "ok" and result.get("already_done"):
        last = _day(result.get("last_updated"))
        ack = _text(result.get("ack_number"))
        if not _this_fy(day, fy):
            why = f"last found updated on {day}, in {fy_label(financial_year(day))}"
            return _not_done(today, last_updated=last or day, why=why, job=job)
        return _Finding(
            PlanState.DONE,
            f"already updated this year (found on {day})"
            + (f", acknowledgement {ack}" if ack else ""),
            last_updated=last,
            ack=ack,
            job=job,
        )
    return None


def _from_snapshot(job: JobRow, day: date, fy: int, today: date) -> _Finding:
    """A portal snapshot (``iec_status`` job): the portal's word, as of ``day``."""
    result = job.result
    last = _day(result.get("last_updated"))
    app = _text(result.get("application_status"))
    ack = _text(result.get("application_ack"))
    status = (_text(result.get("iec_status")) or "").lower()
    seen = f"the portal on {day}"
    if last is not None and _this_fy(last, fy):
        return _Finding(
            PlanState.DONE,
            f"{seen}: updated on {last}" + (f", acknowledgement {ack}" if ack else ""),
            last_updated=last,
            ack=ack,
            source="portal",
            job=job,
        )
    if app and app.lower() == APP_IN_PROGRESS:
        return _Finding(
            PlanState.IN_PROGRESS,
            f"{seen}: the update application is with the Regional Authority",
            last_updated=last,
            ack=ack,
            source="portal",
            job=job,
        )
    if status == "deactivated":
        return _Finding(
            PlanState.OVERDUE,
            f"{seen}: de-activated; an update re-activates it",
            last_updated=last,
            ack=ack,
            source="portal",
            job=job,
        )
    why = f"{seen}: last updated {last}" if last else f"{seen}: never updated"
    if app and app.lower() == APP_DEFICIENT:
        why += f"; {_application(ack)} came back Deficient"
    return replace(_not_done(today, last_updated=last, why=why, job=job), source="portal")


def _not_done(
    today: date, *, last_updated: date | None, why: str, job: JobRow | None = None
) -> _Finding:
    fy = financial_year(today)
    end = window(fy)[1]
    if after_window(today):
        return _Finding(
            PlanState.OVERDUE,
            f"{why}; {_DEACTIVATED.format(end=end)}",
            last_updated=last_updated,
            job=job,
        )
    return _Finding(
        PlanState.DUE,
        f"{why}; {fy_label(fy)}'s update is due by {end:%d %B %Y}",
        last_updated=last_updated,
        job=job,
    )


def _application(ack: str | None) -> str:
    return f"the application {ack}" if ack else "the application"


def _this_fy(d: date, fy: int) -> bool:
    return financial_year(d) == fy


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _day(value: Any) -> date | None:
    """A date the portal gave: ``YYYY-MM-DD`` (the contract), or ``DD/MM/YYYY`` as shown."""
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


def _parse_moment(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
