"""Time the NB101 enumeration against the benchmark's own walk (hash every labelled graph).

    python bench/nb101_enumeration.py [--baseline-vertices 6] [--repeats 2]

Per repeat, interleaved: the walk NAS-Bench-101's ``generate_graphs.py`` does (every full DAG,
every labelling, one module hash each; the first pair per hash kept) and
:func:`enumerate_nb101`, both up to ``--baseline-vertices`` vertices (the walk is too slow for 7),
then :func:`enumerate_nb101` over the whole space.  Prints seconds, cells and labelled graphs,
and the walk's projected time for the whole space at its measured rate per graph.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from naswot_db.core.nb101_cell import CANONICAL_OPS, cell_hash
from naswot_db.core.nb101_enumeration import SPACE_SIZE, _full_dags, enumerate_nb101


def walk(max_vertices: int) -> tuple[int, int]:
    """(cells, labelled graphs hashed) of the benchmark's walk, matrices by NumPy as ours."""
    first: dict[str, object] = {}
    graphs = 0
    for n in range(2, max_vertices + 1):
        for matrix in _full_dags(n)[1]:
            adjacency = matrix.astype(int).tolist()
            for labels in itertools.product(range(3), repeat=n - 2):
                graphs += 1
                ops = ["input", *(CANONICAL_OPS[label] for label in labels), "output"]
                first.setdefault(cell_hash(adjacency, ops), labels)
    return len(first), graphs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-vertices", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rates = []
    for repeat in range(args.repeats):
        started = time.perf_counter()
        cells, graphs = walk(args.baseline_vertices)
        walked = time.perf_counter() - started
        rates.append(walked / graphs)
        started = time.perf_counter()
        small = enumerate_nb101(args.baseline_vertices)
        ours_small = time.perf_counter() - started
        assert len(small) == cells
        started = time.perf_counter()
        space = enumerate_nb101()
        ours = time.perf_counter() - started
        assert len(space) == SPACE_SIZE
        print(f"repeat {repeat}: <= {args.baseline_vertices} vertices: walk {walked:.1f} s "
              f"({graphs:,} graphs hashed, {cells:,} cells), enumerate_nb101 {ours_small:.2f} s; "
              f"whole space: enumerate_nb101 {ours:.1f} s ({len(space):,} cells, "
              f"{space.graphs:,} labelled graphs, {len(space):,} hashed)")
    print(f"walk over the whole space, projected at {np.median(rates) * 1e6:.0f} us per graph: "
          f"{np.median(rates) * space.graphs:.0f} s")


if __name__ == "__main__":
    main()
