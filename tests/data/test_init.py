"""The data package's public names are reachable from ``lstmlab`` itself (lazily)."""

import lstmlab
import lstmlab.data


def test_public_names_are_exported_at_the_top():
    for name in lstmlab.data.__all__:
        assert getattr(lstmlab, name) is getattr(lstmlab.data, name)
        assert name in lstmlab.__all__
