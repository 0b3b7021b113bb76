"""The real-host loop: the same requests to a host and to a mock, and their answers compared.

- ``wire``: one HTTP request / response as bytes, and what a recording may keep of it;
- ``ids``: which contact of one host is which contact of the other;
- ``compare``: two answers to one request, normalised, and their differences;
- ``mirror``: an in-process kore-mock that follows another host's answers;
- ``upstream``: requests forwarded to a host unchanged;
- ``proxy``: the shadowing proxy (``kore-mock proxy``), its log of exchanges and recording;
- ``recording``: the JSON-lines file format of exchanges;
- ``replay``: a recording replayed against a fresh mock (``kore-mock replay``).
"""
