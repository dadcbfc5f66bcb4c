"""The built-in spaces' torch-free encodings: one parser per arch string, read the same way by
the builder, REA's mutation and NASLib's keys."""

from __future__ import annotations

import numpy as np
import pytest

from naswot_db.builder.spaces.nats_cells import parse_arch_str
from naswot_db.builder.spaces.nats_sss import benchmark_arch_strs as sss_arch_strs
from naswot_db.builder.spaces.nb201 import benchmark_arch_strs as nb201_arch_strs
from naswot_db.core.encodings import EncodingError, nats_sss, nb201
from naswot_db.core.spaces import space_encoding


def test_every_nb201_cell_round_trips_through_its_edges_and_naslib_key():
    for arch_str in nb201_arch_strs():
        assert nb201.format_edges(nb201.edges(arch_str)) == arch_str
        assert nb201.arch_of_naslib_key(nb201.naslib_key(arch_str)) == arch_str


def test_nb201_edges_are_listed_by_target_node():
    ops = nb201.edges("|nor_conv_3x3~0|+|none~0|skip_connect~1|"
                      "+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    assert ops == ("nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1",
                   "none")


@pytest.mark.parametrize("bad", ["|none~0|+|none~0|none~1|",  # two nodes
                                 "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",  # 1 <- 1
                                 "|nor_conv_7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|"])
def test_a_string_that_is_no_nb201_cell_is_refused(bad):
    with pytest.raises(EncodingError, match="is not an NB201 cell string"):
        nb201.edges(bad)


def test_the_builder_parses_with_its_own_wider_op_list():
    """NATS cells with operations NB201 does not search (7x7 convolutions) still build."""
    assert parse_arch_str("|nor_conv_7x7~0|") == [[("nor_conv_7x7", 0)]]
    with pytest.raises(ValueError, match="invalid edge 'conv~0'"):
        parse_arch_str("|conv~0|")


def test_sss_indices_and_strings_are_one_list():
    strings = sss_arch_strs()
    assert len(strings) == nats_sss.ARCH_COUNT == 32_768
    for index in (0, 1, 8, 511, 32_767):
        channels = nats_sss.channels_of(index)
        assert strings[index] == nats_sss.format_channels(channels)
        assert nats_sss.index_of(nats_sss.parse_channels(strings[index])) == index


def test_nb201_mutation_changes_one_edge_to_another_operation():
    strings = list(nb201_arch_strs())
    mutation = space_encoding("nats-tss").mutation(strings, [None] * len(strings))
    parents = np.arange(0, len(strings), 7)
    children = mutation.mutate(parents, np.random.default_rng(1).random((parents.size, 3)))
    for parent, child in zip(parents, children):
        before, after = nb201.edges(strings[parent]), nb201.edges(strings[child])
        assert sum(a != b for a, b in zip(before, after)) == 1


def test_nds_arch_strings_round_trip_and_have_no_mutation():
    from naswot_db.core.encodings import EncodingError
    from naswot_db.core.spaces import space_encoding

    encoding = space_encoding("nds-darts")
    net = {"genotype": {"normal": [["sep_conv_3x3", 0]], "normal_concat": [2]}, "width": 16,
           "depth": 8, "aux": False}
    text = encoding.format(net)
    assert text == '{"aux":false,"depth":8,"genotype":{"normal":[["sep_conv_3x3",0]],' \
                   '"normal_concat":[2]},"width":16}'
    assert encoding.parse(text) == net and encoding.format(encoding.parse(text)) == text
    assert encoding.mutation is None and encoding.naslib_key is None
    for bad in ("[1, 2]", "{not json", '{"a": NaN}'):
        with pytest.raises(EncodingError):
            encoding.parse(bad)
