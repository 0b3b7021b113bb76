"""``kore-mock fidelity``: which of the mock's readings a host confirms, and its profile.

- ``client``: the contract suite's client, keeping each probe's exchanges as evidence;
- ``probes``: one small, safe scenario per reading of the tenant profile;
- ``run``: the probes in order against one host, each cleaned up and checked by listing;
- ``report``: ``fidelity.json``, ``profile.yaml`` and ``fidelity.md``.
"""
