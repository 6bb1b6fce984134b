"""The option ``renamed_inventions`` (``mock_portal/inventions.py``): every invented id,
class and wording spelt another way in what the browser gets, the sourced names kept."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from mock_portal import inventions
from mock_portal.app import create_app

LOGIN = "/CP/webHP?requestType=ApplicationRH&actionVal=loginModel&screenId=90000512"


def test_rename_spells_ids_classes_and_wordings_another_way_and_keeps_sourced_names() -> None:
    html = (
        '<a id="loginLink" href="#">Login</a><div class="alert alert-danger" role="alert" '
        'id="errorMessage">An application for this IEC is already submitted. A new '
        "application can be filed after it is processed or in the next financial year.</div>"
        '<label for="username">Username</label><input id="username" name="username">'
        '<input name="txt_Captcha" placeholder="Enter Captcha"><img id="captcha" alt="Captcha">'
        '<div id="mainSectionWrap"></div><input id="applicationNumber" name="applicationNumber">'
        "<button>Save and Next</button>"
    )
    out = inventions.rename(html)
    for invented in ("loginLink", "alert-danger", "errorMessage", "already submitted"):
        assert invented not in out
    for kept in ('id="username"', 'name="txt_Captcha"', 'id="captcha"', "mainSectionWrap"):
        assert kept in out
    assert 'id="applicationNumber" name="applicationNumber"' in out
    assert ">Username<" not in out and "Enter Captcha" not in out and "Save and Next" not in out
    # the page's own script and style follow the same table
    assert inventions.rename("document.getElementById('errorMessage')") == (
        f"document.getElementById('{inventions.renamed_id('errorMessage')}')"
    )
    assert inventions.rename("#loginLink, .alert-danger {}") == (
        f"#{inventions.renamed_id('loginLink')}, .{inventions.renamed_class('alert-danger')} {{}}"
    )


def test_the_option_renames_the_pages_and_scripts_only_while_on(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "p.db"), test_mode=True))
    assert 'id="loginLink"' in client.get("/CP/").text
    client.post("/__mock__/options", json={"renamed_inventions": True}).raise_for_status()
    page = client.get("/CP/")
    assert "loginLink" not in page.text and inventions.renamed_id("loginLink") in page.text
    assert int(page.headers["content-length"]) == len(page.content)
    modal = client.get(LOGIN).text
    assert 'name="txt_Captcha"' in modal and ">Username<" not in modal
    assert "alert-danger" not in client.get("/CP/static/portal.js").text
    client.post("/__mock__/reset").raise_for_status()  # clears the options
    assert 'id="loginLink"' in client.get("/CP/").text


def test_create_app_flag_renames_from_the_start(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "p.db"), renamed_inventions=True))
    assert inventions.renamed_id("loginLink") in client.get("/CP/").text


def test_a_json_key_spelt_like_an_invented_id_is_kept() -> None:
    # emBridge answers {"errorMessage": ...}; the page's script reads that key
    script = "var m = answer.errorMessage; document.querySelector('#errorMessage');"
    out = inventions.rename(script)
    assert "answer.errorMessage" in out and "'#errorMessage'" not in out
