"""The vendor API: the seven contacts operations of openapi.yaml, on the vendor's paths.

``dispatch`` serves every request under the vendor API's prefix in its fixed steps (in front of
Flask), ``routes`` binds each operationId to its path and holds the views, ``hooks`` applies the
rate limit and faults before every vendor request, ``handlers`` turns domain results into the
documented bodies.
"""
