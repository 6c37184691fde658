"""The annual assessment (年度考核), a sub-domain of the service side: its own app (label ``assessment``).

- ``grading``: the rule (which grade a year's figures earn) and what a year is;
- ``computation``: a year's figures of a range of members, written as drafts;
- ``runs``: the job's orchestration (runs in chunks, resumed, finalising, telling members and units);
- ``services``: community staff's review; ``selectors``: every read of the pages;
- ``views``, ``urls`` (namespace ``assessment``), ``tasks`` (registered with communities.platform.jobs).

It reads the service side (records, claims) and the members' side; nothing below it imports it.
"""
