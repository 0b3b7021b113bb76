"""The vendor API: the seven contacts operations of openapi.yaml, on the vendor's paths.

``routes`` binds each operationId to its path and runs the request's walk, ``hooks`` applies
the rate limit and faults before every vendor request, ``handlers`` turns domain results into
the documented bodies.
"""
