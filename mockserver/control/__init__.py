"""The ``/__mock__`` control plane: kore-mock's own API, kept apart from the vendor's."""

ADMIN_HEADER = "X-Mock-Admin-Token"  # the admin token of a server started with one
# on every answer of the control plane: what tells a kore-mock from another server that
# answers 200 on the same port (the CLI verbs stored its HTML page as a snapshot)
SERVER_HEADER = "X-Mock-Server"
