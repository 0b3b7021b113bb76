"""The ``/__mock__`` control plane: kore-mock's own API, kept apart from the vendor's."""
