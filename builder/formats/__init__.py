"""Readers of the benchmarks' own file formats: TFRecord + CRC32C and NB101's protobuf records,
NATS-Bench / NAS-Bench-201 result files, and the CIFAR / ImageNet16 / NATS pickles."""
