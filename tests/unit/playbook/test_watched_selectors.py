"""The CSS selectors a look at the page takes: those of every condition and detector."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rpa.playbook.model import Playbook
from rpa.steps.screen import watched_selectors

Load = Callable[[Path], Playbook]


def test_a_look_takes_the_css_of_every_condition_and_detector_of_the_playbooks_used(
    write, load: Load
) -> None:
    write(
        """
        detect:
          busy: {visible: {css: "#faultPage"}}
          errors:
            - {when: {visible: {css: ".alert-danger", has_text: "is required"}}, code: REQUIRED}
        steps:
          - wait_for: {any: [{visible: {css: "#dashboard"}}, {text: Welcome}]}
        """,
        "login.yaml",
    )
    playbook = load(
        write(
            """
            detect:
              overlay: {css: "#progressbar"}
            retry: {attempts: 2, until: {hidden: {css: ".spinner"}}}
            steps:
              - use: login
              - when: {not: {visible: {css: "#logoutLink"}}}
                click: {css: "#loginButton"}
              - name: Guarded
                guard: {all: [{visible: {css: "#ack"}}, "1 == 1"]}
                retry: {attempts: 2, until: {visible: {css: "#saved"}}}
                block:
                  - assert: {visible: {css: "#done"}}
                  - wait_for: {visible: {css: "#row-{{ client.iec }}"}}
                  - wait_for: {visible: {role: button, name: Next}}
            """
        )
    )
    assert watched_selectors(playbook) == (
        "#ack",
        "#dashboard",
        "#done",
        "#faultPage",
        "#logoutLink",
        "#progressbar",
        "#saved",
        ".alert-danger",
        ".spinner",
    )
