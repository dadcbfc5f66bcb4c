"""Each space's mutation, vectorised over runs: parent rows and uniforms in, child rows out.

A space's mutation is part of its arch encoding (:mod:`naswot_db.core.encodings`), found
through its descriptor (:mod:`naswot_db.core.spaces`; nb101-original searches NB101's archs),
so a space whose encoding has a mutation runs REA and AREA with no edit here.  The built-in
ones: NAS-Bench-201's ``mutate_topology_func`` (:mod:`~naswot_db.core.encodings.nb201`),
NATS-Bench's ``mutate_size_func`` (:mod:`~naswot_db.core.encodings.nats_sss`) and
NAS-Bench-101's ``mutate_spec`` (:mod:`~naswot_db.core.encodings.nb101`).

A child must be an arch of the searched space (fitness and targets stored); a digit mutation
that leaves it is an error naming the parent, since REA needs the whole space ingested.
"""

from __future__ import annotations

import numpy as np

from naswot_db.core.encodings import Mutation
from naswot_db.core.spaces import space_encoding

from ..errors import QueryError
from .ground_truth import EvaluationTables

__all__ = ["Mutation", "check_children", "mutation_for"]


def mutation_for(tables: EvaluationTables) -> Mutation:
    """The mutation of ``tables.space``; a space without one is an error."""
    encoding = space_encoding(tables.space)
    if encoding is None or encoding.mutation is None:
        raise QueryError(f"space {tables.space!r} has no mutation; REA and AREA run on spaces "
                         f"whose encoding has one")
    return encoding.mutation(tables.arch_strs, tables.encodings)


def check_children(tables: EvaluationTables, parents: np.ndarray, children: np.ndarray) -> None:
    """Raise when a mutation left the searched space (an arch without its ground truth)."""
    lost = children < 0
    if lost.any():
        parent = int(parents[np.flatnonzero(lost)[0]])
        raise QueryError(
            f"a mutation of arch {tables.arch_ids[parent]} ({tables.arch_strs[parent]}) reached an "
            f"arch with no {tables.fitness_column.spec} ground truth or target accuracy; REA "
            f"needs every arch of space {tables.space!r} ingested")
