"""Health: the nightly sweep of every practice machine, judged against the same policy model deploy uses.

Collectors on the hosts gather raw facts (``collectors/``); everything is judged on the controller:

| module | holds |
|---|---|
| ``model`` | states (Nagios codes, "worst of"), check definitions, outcomes, coverage |
| ``checks`` | ``data/checks.yaml`` -> ``CheckDef``s |
| ``facts`` | the collectors' JSON -> validated ``HostFacts`` (or ``FactsError`` with a reason) |
| ``expect`` | per host, what it must carry (from the policy model, catalog, fleet.yml) |
| ``evaluate`` | evaluators keyed by check kind: facts + expectations -> ``Outcome`` |
| ``rollup`` | per practice / client / fleet: coverage and worst state (also rebuilt from a stored run) |
| ``settings`` | fleet.yml's optional ``health:`` section (forks, timeout, output cap, POSIX service probes) |
| ``storage`` | a host and its checks in one transaction, practice roll-ups, stale runs, ``prune_health`` |
| ``show`` | reading a stored sweep back (``fleet health show``) |
| ``transport`` | one round trip per host under a hard deadline: OpenSSH (POSIX, Windows OpenSSH), PSRP/WinRM |
| ``psrp_worker`` | the PSRP round trip in a process of its own (pypsrp), so the deadline can end it |
| ``collectors/`` | ``posix.sh`` (sh + awk, Linux/macOS) and ``windows.ps1``: raw facts as JSON, no secret out |
| ``sweep`` | the sweep: collect in parallel, judge, stream into the store |
| ``drift`` | what `fleet deploy` would still change on a host, judged from the collected facts |

Reports of a stored sweep are ``fleet.report``; alerts ``fleet.alerts``; the nightly job ``fleet.schedule``.

Importing this package imports nothing heavy.
"""
