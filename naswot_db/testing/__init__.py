"""What the tests and the benchmarks share: small tables in the real Parquet layout, whole-space
tables for simulated searches, and the slow, obvious copy of the reference NASWOT procedure
that the fast scorer is checked against.  Nothing in the tool itself imports this package."""
