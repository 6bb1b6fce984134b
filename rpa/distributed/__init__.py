"""Offices with several PCs: client jobs run on Temporal, each on the PC holding its token.

```
office PC: rpa batch --temporal ─► Temporal server ─► rpa worker (PC 1: tokens A, B)
           (journal, certificates,                └─► rpa worker (PC 2: tokens C, Aadhaar)
            console, reports)     ◄── results ─────────┘
```

- ``messages``  what travels through Temporal (plain dataclasses, no Temporal import);
- ``routing``   workflow ids ``<playbook>:<IEC>:<FY>`` and task queues
  (``rpa-token-<token>``, ``rpa-shared``);
- ``workflow``  the deterministic workflow: one activity, its retry policy, its result;
- ``activity``  runs one client through ``Agent.run_client`` (lease, guard, journal) on the
  worker, heartbeating;
- ``tokens``    the worker's emBridge ``ListToken``;
- ``worker``    the pollers of one PC, started and stopped as tokens come and go;
- ``starter``   the office side of a batch: workflows started, followed, filed;
- ``results``   a remote result filed into the office journal like a local job's;
- ``console``   OTP and captcha providers that ask the office console over HTTP.

Only this package and ``rpa.cli.worker`` import ``temporalio``; the CLI imports them when
a command with ``--temporal`` runs.
"""
