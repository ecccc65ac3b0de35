"""`careops simulate`: every scheduled process over a span of days on a frozen clock.

world.py (scratch database, SMTP sink, demo data, the frozen clock), core.py (the agenda and
the run's figures), schedule.py (fire times from prefect.yaml's schedules), processes.py and
watch.py (what each scheduled deployment's flow does, through the same service functions),
people.py and incidents.py (what staff and customers do between the runs), invariants.py
(what must hold afterwards), report.py (the printed figures), runner.py (joins them).
"""
