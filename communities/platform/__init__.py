"""The platform: what every sub-domain app plugs into, by registering, never by editing this package.

- ``policies``: named permission predicates (django-rules); each app defines its own in its ``policies.py``.
- ``audit_actions``: the audit trail's action names and labels; each app declares its own.
- ``jobs``: reminder rules (run by the daily sweep) and jobs (listed by ``run_job``, scheduled by beat).
- ``navigation``: the staff tabs, the member tabs and the home destinations.
- ``web``: helpers every app's views share (pagination, safe redirects, service errors, the admin chrome).

Apps register from their ``AppConfig.ready()``; the registries are plain module-level objects filled once at start.
"""
