"""The ground floor: the vocabulary and facts every layer imports (names, errors, citations,
score descriptors, torch-free arch encodings, safe JSON, how a catalogue of descriptors finds its
files and plug-ins); it imports nothing else of the project, so builder, query, distribution
and CLI can all depend on it without a cycle."""
