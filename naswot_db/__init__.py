"""naswot-db: NASWOT scores of whole NAS benchmarks, precomputed and queryable."""

__version__ = "0.1.0"
