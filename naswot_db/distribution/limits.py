"""The default bounds of a fetch, in a module light enough for the CLI's option defaults."""

# the largest real archive (NB101, every seed) is well below 1 GiB
DEFAULT_MAX_BYTES = 8 << 30
DEFAULT_DEADLINE_S = 3600.0
# rows a fetch merges at most: the merge holds an archive's rows in memory (peak RSS
# measured by bench/fetch_memory.py: 705 MiB for 1M score rows, 1,743 MiB for 3M)
DEFAULT_MAX_ROWS = 10_000_000
