"""The default bounds of a fetch, in a module light enough for the CLI's option defaults."""

# the largest real archive (NB101, every seed) is well below 1 GiB
DEFAULT_MAX_BYTES = 8 << 30
DEFAULT_DEADLINE_S = 3600.0
# rows a fetch merges at most.  The merge streams them (one batch in memory, DuckDB's joins
# spilling beyond 256 MB; bench/fetch_memory.py: peak RSS 442 MiB for 1M score rows, 497 MiB
# for 3M, against 716 and 1,738 MiB when it held them), so the bound is the time and temporary
# disk a merge takes, not memory
DEFAULT_MAX_ROWS = 10_000_000
