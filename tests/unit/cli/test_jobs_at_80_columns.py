"""``rpa jobs list`` and ``rpa jobs show`` read well in an 80-column terminal (issue 16 §8)."""

from __future__ import annotations

from jobsjournal import BUSY_ERROR, SIGN_PATH, WIDTH, Jobs, invoke
from rich.cells import cell_len
from typer.testing import CliRunner

from rpa.journal import JobStatus, Journal
from rpa.outcomes import Outcome

SCREEN = 24  # lines


def lines_of(output: str) -> list[str]:
    return output.rstrip("\n").split("\n")


def test_jobs_list_shows_whole_job_ids_one_line_per_job_at_80_columns(
    cli: CliRunner, jobs: Jobs
) -> None:
    result = invoke(cli, jobs.data, "jobs", "list")
    assert result.exit_code == 0, result.output
    lines = lines_of(result.output)
    assert len(lines) == 1 + 1 + 5, result.output  # the header, the batch, a line per job
    assert all(cell_len(line) <= WIDTH for line in lines), result.output
    for job_id in jobs.ids:
        [line] = [line for line in lines if job_id in line]
        assert line.startswith(job_id + " ")
    assert f"batch {jobs.batch}" in lines[1]
    [dsc] = [line for line in lines if jobs.dsc_failed in line]
    assert dsc.endswith("…") and "DSC_CERT_AMBIGUOUS the" in dsc


def test_jobs_list_filters_by_status_and_says_when_nothing_matches(
    cli: CliRunner, jobs: Jobs
) -> None:
    failed = invoke(cli, jobs.data, "jobs", "list", "--status", "failed")
    assert failed.exit_code == 0, failed.output
    assert len(lines_of(failed.output)) == 1 + 1 + 2
    none = invoke(cli, jobs.data, "jobs", "list", "--status", "pending")
    assert none.exit_code == 0 and none.output.strip() == "no jobs match"


def test_jobs_list_with_an_unknown_status_is_an_error_that_lists_the_statuses(
    cli: CliRunner, jobs: Jobs
) -> None:
    result = invoke(cli, jobs.data, "jobs", "list", "--status", "bogus")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "'bogus'" in said
    for status in [*JobStatus, *Outcome]:
        assert status.value in said


def test_the_statuses_jobs_list_accepts_are_the_journals() -> None:
    from rpa.cli.jobs import STATUSES

    assert set(STATUSES) == {s.value for s in JobStatus} | {o.value for o in Outcome}


def test_jobs_show_of_a_failed_job_fits_a_screen_with_the_error_once(
    cli: CliRunner, jobs: Jobs
) -> None:
    result = invoke(cli, jobs.data, "jobs", "show", jobs.dsc_failed)
    assert result.exit_code == 0, result.output
    lines = lines_of(result.output)
    assert len(lines) <= SCREEN, result.output
    assert all(cell_len(line) <= WIDTH for line in lines), result.output
    said = " ".join(result.output.split())
    assert said.count("holds 2 certificates") == 1, result.output
    assert "DSC_CERT_AMBIGUOUS" in said and SIGN_PATH in said
    # the timeline folded to its blocks, down to the step that failed
    assert "✗ Sign with the DSC token" in result.output
    assert "#1.6.9.1 click" not in result.output and "Open the login page" not in result.output
    assert "playwright show-trace" in result.output


def test_jobs_show_of_a_changed_job_gives_the_result_as_fields_not_json(
    cli: CliRunner, jobs: Jobs
) -> None:
    result = invoke(cli, jobs.data, "jobs", "show", jobs.changed)
    assert result.exit_code == 0, result.output
    lines = lines_of(result.output)
    assert len(lines) <= SCREEN, result.output
    assert all(cell_len(line) <= WIDTH for line in lines), result.output
    assert "{" not in result.output and '"ack_number"' not in result.output
    [ack] = [line for line in lines if "IEC/UPD/2026/000001" in line]
    assert ack.split() == ["ack_number", "IEC/UPD/2026/000001"]
    assert any(line.split() == ["application_status", "Approved"] for line in lines)
    # what changed shows however deep it is; the steps inside the blocks do not
    assert "✎ Sign and submit" in result.output
    assert "Print the e-IEC" not in result.output


def test_jobs_show_full_shows_every_step(cli: CliRunner, jobs: Jobs) -> None:
    folded = invoke(cli, jobs.data, "jobs", "show", jobs.changed)
    full = invoke(cli, jobs.data, "jobs", "show", jobs.changed, "--full")
    assert full.exit_code == 0, full.output
    for name in jobs.steps[jobs.changed]:
        assert name in full.output, name
    steps = len(jobs.steps[jobs.changed])
    assert len(lines_of(folded.output)) < steps <= len(lines_of(full.output))


def test_jobs_show_lists_retries_under_the_step_that_was_retried(
    cli: CliRunner, jobs: Jobs
) -> None:
    result = invoke(cli, jobs.data, "jobs", "show", jobs.busy)
    assert result.exit_code == 0, result.output
    lines = lines_of(result.output)
    assert sum("attempt 1: the portal is busy" in line for line in lines) == 1
    assert sum("attempt 2: the portal is busy" in line for line in lines) == 1
    said = " ".join(result.output.split())
    assert said.count(BUSY_ERROR[:40]) == 1


def test_a_folded_timeline_nests_blocks_and_names_deep_steps_by_their_path(jobs: Jobs) -> None:
    from rpa.cli.jobs import fold_timeline

    journal = Journal(jobs.data / "journal.sqlite3")
    try:
        folded = fold_timeline(journal.timeline(jobs.changed))
    finally:
        journal.close()
    shown = [("  " * line.depth) + line.mark + " " + line.name for line in folded]
    assert shown == [
        "✓ Annual update",
        "  ✓ Update IEC",
        "    ✓ Log in",
        "      ? waiting for captcha",
        "    ✓ Annual update",
        "      ✎ Sign and submit",
        "✓ Download the e-IEC",
        "  ✓ Download the e-IEC",
        "    ✓ Log in",
    ]
