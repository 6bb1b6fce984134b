from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from rpa.clients.records import ClientRecord, parse_record
from rpa.errors import BatchError
from rpa.journal import Journal
from rpa.renewal import (
    PlanRow,
    PlanState,
    RunLock,
    after_window,
    financial_year,
    fy_label,
    in_window,
    plan,
    plan_totals,
    playbook_name,
    to_run,
    today_in_india,
    window,
)

REPO = Path(__file__).resolve().parents[2]
MAY_15 = date(2026, 5, 15)  # in FY 2026's window
OTP_WAIT = "nobody answered the otp in 600s: OTP sent to mobile ******3210"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def client(iec: str, firm: str) -> ClientRecord:
    return parse_record(
        {
            "iec": iec,
            "pan": "AABCB4821K",
            "firm_name": firm,
            "name_as_per_pan": firm.upper(),
            "dob": "12/08/2009",
            "email": "exports@example.com",
            "mobile": "9000010001",
            "portal_password": "env:DEMO_PORTAL_PASSWORD",
            "sign_with": "dsc",
            "dsc_token": "ePass2003",
            "dsc_pin": "env:DEMO_DSC_PIN",
        }
    )


def finished(
    journal: Journal,
    iec: str,
    playbook: str,
    outcome: str,
    at: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    check: bool = False,
) -> str:
    job_id = journal.add_job(playbook, client=iec, check_mode=check)
    journal.job_started(job_id)
    journal.job_finished(job_id, outcome, result=result, error=error, finished_at=at)
    return job_id


def one(journal: Journal, iec: str, today: date) -> PlanRow:
    (row,) = plan(journal, [client(iec, "Firm")], today)
    return row


# -- the calendar ----------------------------------------------------------------------------


def test_the_financial_year_turns_on_the_first_of_april() -> None:
    assert financial_year(date(2026, 3, 31)) == 2025
    assert financial_year(date(2026, 4, 1)) == 2026
    assert financial_year(date(2026, 5, 1)) == 2026
    assert financial_year(date(2027, 2, 1)) == 2026
    assert fy_label(2026) == "FY 2026-27"
    assert fy_label(2099) == "FY 2099-00"


def test_the_window_runs_from_the_first_of_april_to_the_thirtieth_of_june_inclusive() -> None:
    assert window(2026) == (date(2026, 4, 1), date(2026, 6, 30))
    assert not in_window(date(2026, 3, 31))
    assert in_window(date(2026, 4, 1))
    assert in_window(date(2026, 6, 30))
    assert not in_window(date(2026, 7, 1))


def test_the_window_is_closed_from_the_first_of_july_to_the_thirty_first_of_march() -> None:
    assert after_window(date(2026, 3, 31))  # FY 2025's window closed long ago
    assert not after_window(date(2026, 4, 1))
    assert not after_window(date(2026, 6, 30))
    assert after_window(date(2026, 7, 1))
    assert after_window(date(2027, 3, 31))


def test_today_is_the_indian_date_whatever_the_machines_time_zone() -> None:
    assert today_in_india(datetime(2026, 3, 31, 19, 0, tzinfo=UTC)) == date(2026, 4, 1)
    assert today_in_india(datetime(2026, 3, 31, 18, 0, tzinfo=UTC)) == date(2026, 3, 31)


# -- the plan --------------------------------------------------------------------------------


def test_a_client_set_is_classified_by_what_the_journal_knows(journal: Journal) -> None:
    # due: updated last FY only
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2025-05-10T06:00:00+00:00",
        result={"ack_number": "ACK-2025-1", "submitted_on": "2025-05-10"},
    )
    # done: submitted this FY
    done_job = finished(
        journal,
        "1000000002",
        "renew",
        "changed",
        "2026-04-10T06:00:00+00:00",
        result={
            "ack_number": "ACK-2026-2",
            "submitted_on": "2026-04-10",
            "application_status": "Approved",
        },
    )
    # done: the guard found this FY's update already there
    finished(
        journal,
        "1000000003",
        "update_iec",
        "ok",
        "2026-04-20T06:00:00+00:00",
        result={"already_done": True, "ack_number": "ACK-2026-3", "last_updated": "2026-04-02"},
    )
    # done: the portal says it was updated this FY
    finished(
        journal,
        "1000000004",
        "iec_status",
        "ok",
        "2026-05-01T06:00:00+00:00",
        result={
            "iec_status": "active",
            "last_updated": "2026-04-05",
            "application_status": "Approved",
            "application_ack": "ACK-2026-4",
            "linked_user": "exports@example.com",
        },
    )
    # overdue: the portal said de-activated (read last FY, nothing since)
    finished(
        journal,
        "1000000005",
        "iec_status",
        "ok",
        "2026-03-01T06:00:00+00:00",
        result={"iec_status": "deactivated", "last_updated": "2024-05-01"},
    )
    # in-progress: the latest application is with the Regional Authority
    finished(
        journal,
        "1000000006",
        "iec_status",
        "ok",
        "2026-05-02T06:00:00+00:00",
        result={
            "iec_status": "active",
            "last_updated": "2025-04-20",
            "application_status": "In Progress",
            "application_ack": "ACK-2026-6",
        },
    )
    # needs-input: the last attempt waited for an OTP nobody gave
    finished(journal, "1000000007", "renew", "needs-input", "2026-05-14T04:00:00Z", error=OTP_WAIT)
    # unknown: client 1000000008 has no job at all; other playbooks do not count
    finished(journal, "1000000008", "link_iec", "changed", "2026-04-03T06:00:00+00:00")

    records = [(i + 2, client(f"100000000{i}", f"Firm {i}")) for i in range(1, 9)]
    rows = {row.iec: row for row in plan(journal, records, MAY_15)}

    assert {iec: row.state for iec, row in rows.items()} == {
        "1000000001": PlanState.DUE,
        "1000000002": PlanState.DONE,
        "1000000003": PlanState.DONE,
        "1000000004": PlanState.DONE,
        "1000000005": PlanState.OVERDUE,
        "1000000006": PlanState.IN_PROGRESS,
        "1000000007": PlanState.NEEDS_INPUT,
        "1000000008": PlanState.UNKNOWN,
    }
    assert rows["1000000001"].last_updated == date(2025, 5, 10)
    assert "30 June 2026" in rows["1000000001"].detail
    assert rows["1000000002"].ack_number == "ACK-2026-2"
    assert rows["1000000002"].last_updated == date(2026, 4, 10)
    assert rows["1000000002"].job_id == done_job
    assert rows["1000000002"].source == "journal"
    assert rows["1000000003"].ack_number == "ACK-2026-3"
    assert rows["1000000003"].last_updated == date(2026, 4, 2)
    assert rows["1000000004"].source == "portal"
    assert rows["1000000004"].last_updated == date(2026, 4, 5)
    assert rows["1000000004"].ack_number == "ACK-2026-4"
    assert rows["1000000005"].source == "portal"
    assert "de-activated" in rows["1000000005"].detail
    assert rows["1000000006"].ack_number == "ACK-2026-6"
    assert "Regional Authority" in rows["1000000006"].detail
    assert "******3210" in rows["1000000007"].detail
    assert "--refresh" in rows["1000000008"].detail
    assert rows["1000000002"].firm_name == "Firm 2"
    assert plan_totals(rows.values()) == {
        "due": 1,
        "done": 3,
        "overdue": 1,
        "in-progress": 1,
        "needs-input": 1,
        "unknown": 1,
    }
    assert rows["1000000002"].to_dict()["last_updated"] == "2026-04-10"


def test_after_the_thirtieth_of_june_a_client_not_updated_is_overdue(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2025-05-10T06:00:00Z",
        result={"ack_number": "A1", "submitted_on": "2025-05-10"},
    )
    finished(
        journal,
        "1000000002",
        "renew",
        "changed",
        "2026-06-30T06:00:00Z",
        result={"ack_number": "A2", "submitted_on": "2026-06-30"},
    )
    finished(journal, "1000000003", "renew", "failed", "2026-05-01T06:00:00Z", error="PAN mismatch")

    july = date(2026, 7, 1)
    assert one(journal, "1000000001", july).state is PlanState.OVERDUE
    assert "re-activates" in one(journal, "1000000001", july).detail
    assert one(journal, "1000000002", july).state is PlanState.DONE
    assert one(journal, "1000000003", july).state is PlanState.OVERDUE
    # the next March is still FY 2026: done stays done, overdue stays overdue
    march = date(2027, 3, 31)
    assert one(journal, "1000000002", march).state is PlanState.DONE
    assert one(journal, "1000000001", march).state is PlanState.OVERDUE
    # on 1 April a new FY starts and everybody is due again
    april = date(2027, 4, 1)
    assert one(journal, "1000000002", april).state is PlanState.DUE
    assert one(journal, "1000000002", april).last_updated == date(2026, 6, 30)


def test_a_failed_attempt_leaves_a_client_due_and_says_why(journal: Journal) -> None:
    finished(journal, "1000000001", "renew", "failed", "2026-05-01T06:00:00Z", error="PAN mismatch")
    row = one(journal, "1000000001", MAY_15)
    assert row.state is PlanState.DUE
    assert "PAN mismatch" in row.detail


def test_done_this_year_is_not_undone_by_a_later_failed_or_waiting_attempt(
    journal: Journal,
) -> None:
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2026-04-10T06:00:00Z",
        result={"ack_number": "A1", "submitted_on": "2026-04-10"},
    )
    finished(journal, "1000000001", "renew", "failed", "2026-05-01T06:00:00Z", error="busy")
    finished(journal, "1000000001", "renew", "needs-input", "2026-05-02T06:00:00Z", error=OTP_WAIT)
    row = one(journal, "1000000001", MAY_15)
    assert row.state is PlanState.DONE
    assert row.ack_number == "A1"


def test_the_newest_portal_reading_wins_over_an_older_waiting_attempt(journal: Journal) -> None:
    finished(journal, "1000000001", "renew", "needs-input", "2026-05-01T06:00:00Z", error=OTP_WAIT)
    finished(
        journal,
        "1000000001",
        "iec_status",
        "ok",
        "2026-05-03T06:00:00Z",
        result={"iec_status": "active", "last_updated": "2026-05-02"},
    )
    assert one(journal, "1000000001", MAY_15).state is PlanState.DONE


def test_a_waiting_attempt_newer_than_the_portal_reading_is_needs_input(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "iec_status",
        "ok",
        "2026-05-01T06:00:00Z",
        result={"iec_status": "active", "last_updated": "2025-04-20"},
    )
    finished(journal, "1000000001", "renew", "needs-input", "2026-05-03T06:00:00Z", error=OTP_WAIT)
    row = one(journal, "1000000001", MAY_15)
    assert row.state is PlanState.NEEDS_INPUT
    assert row.last_updated == date(2025, 4, 20)


def test_a_status_read_that_failed_or_waited_says_nothing(journal: Journal) -> None:
    finished(journal, "1000000001", "iec_status", "needs-input", "2026-05-01T06:00:00Z")
    finished(journal, "1000000001", "iec_status", "failed", "2026-05-02T06:00:00Z")
    assert one(journal, "1000000001", MAY_15).state is PlanState.UNKNOWN


def test_a_waiting_attempt_of_last_year_does_not_make_a_client_needs_input(
    journal: Journal,
) -> None:
    finished(journal, "1000000001", "renew", "needs-input", "2026-03-01T06:00:00Z", error=OTP_WAIT)
    assert one(journal, "1000000001", MAY_15).state is PlanState.DUE


def test_an_application_that_came_back_deficient_is_not_done(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2026-04-10T06:00:00Z",
        result={
            "ack_number": "A1",
            "submitted_on": "2026-04-10",
            "application_status": "Deficient",
        },
    )
    row = one(journal, "1000000001", MAY_15)
    assert row.state is PlanState.DUE
    assert "Deficient" in row.detail


def test_a_submission_with_the_regional_authority_is_in_progress(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "update_iec",
        "changed",
        "2026-04-10T06:00:00Z",
        result={
            "ack_number": "A1",
            "submitted_on": "2026-04-10",
            "application_status": "In Progress",
        },
    )
    row = one(journal, "1000000001", date(2026, 8, 1))
    assert row.state is PlanState.IN_PROGRESS
    assert row.ack_number == "A1"


def test_check_mode_and_unfinished_jobs_say_nothing(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2026-04-10T06:00:00Z",
        result={"ack_number": "A1", "submitted_on": "2026-04-10"},
        check=True,
    )
    finished(journal, "1000000001", "renew", "would-change", "2026-04-11T06:00:00Z", check=True)
    journal.add_job("renew", client="1000000001")  # pending
    assert one(journal, "1000000001", MAY_15).state is PlanState.UNKNOWN


def test_a_job_finished_late_on_31_march_utc_counts_for_the_indian_1_april(
    journal: Journal,
) -> None:
    finished(
        journal, "1000000001", "renew", "ok", "2026-03-31T20:00:00Z", result={"already_done": 1}
    )
    assert one(journal, "1000000001", date(2026, 4, 1)).state is PlanState.DONE


def test_planning_as_of_a_past_day_ignores_later_years_jobs(journal: Journal) -> None:
    finished(
        journal,
        "1000000001",
        "renew",
        "changed",
        "2026-04-10T06:00:00Z",
        result={"ack_number": "A1", "submitted_on": "2026-04-10"},
    )
    assert one(journal, "1000000001", date(2026, 3, 20)).state is PlanState.UNKNOWN


def test_a_playbook_named_by_its_path_counts() -> None:
    assert playbook_name("playbooks/update-iec.yaml") == "update_iec"
    assert playbook_name("renew") == "renew"
    assert playbook_name("C:\\rpa\\playbooks\\IEC_Status.yml") == "iec_status"


def test_a_repeated_iec_is_planned_once(journal: Journal) -> None:
    rows = plan(journal, [client("1000000001", "A"), client("1000000001", "B")], MAY_15)
    assert [(r.iec, r.firm_name) for r in rows] == [("1000000001", "A")]


# -- what to run -----------------------------------------------------------------------------


def rows_in_every_state() -> list[PlanRow]:
    return [PlanRow(iec=state.value, firm_name="", state=state) for state in PlanState]


def test_in_the_window_due_waiting_unknown_and_overdue_clients_are_run() -> None:
    rows = rows_in_every_state()
    assert to_run(rows, MAY_15) == ["due", "overdue", "needs-input", "unknown"]
    assert to_run(rows, date(2026, 4, 1)) == ["due", "overdue", "needs-input", "unknown"]
    assert to_run(rows, MAY_15, include_overdue=False) == ["due", "needs-input", "unknown"]


def test_after_the_window_only_clients_that_may_be_de_activated_are_run() -> None:
    rows = rows_in_every_state()
    for day in (date(2026, 7, 1), date(2027, 3, 31)):
        assert to_run(rows, day) == ["overdue", "needs-input", "unknown"]
        assert to_run(rows, day, include_overdue=False) == []


def test_force_runs_every_client_whatever_the_day() -> None:
    rows = rows_in_every_state()
    everyone = [state.value for state in PlanState]
    assert to_run(rows, date(2027, 3, 31), include_overdue=False, force=True) == everyone
    assert to_run(rows, MAY_15, force=True) == everyone


# -- the run lock ----------------------------------------------------------------------------

HOLD = (
    "import sys, time\n"
    "from rpa.renewal import RunLock\n"
    "RunLock(sys.argv[1]).acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_second_run_is_refused_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "renew.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        pattern = (
            rf"another renewal run is in progress \(pid {holder.pid} since \d\d:\d\d\);"
            rf" it holds {path}"
        )
        with pytest.raises(BatchError, match=pattern), RunLock(path):
            pass
    finally:
        holder.kill()
        holder.wait()
    # the lock died with its holder: no stale lock to clean up
    with RunLock(path) as lock:
        assert lock.held
    assert not lock.held


def test_the_lock_is_free_again_when_the_run_ends(tmp_path: Path) -> None:
    path = tmp_path / "renew.lock"
    with RunLock(path), pytest.raises(BatchError, match=f"pid {os.getpid()}"):
        RunLock(path).acquire()
    with RunLock(path) as again:
        assert again.held
