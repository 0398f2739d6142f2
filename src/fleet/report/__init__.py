"""Reports of a stored health sweep: what `fleet report` writes.

- ``model``: one sweep (with the previous one and a trend) read from the store into a ``FleetReport``;
- ``directory``: the names an MSP and its clients read, from the inventory;
- ``formats``: JSON, CSV, JUnit XML and the Prometheus textfile; ``html``: the self-contained HTML page.
"""
