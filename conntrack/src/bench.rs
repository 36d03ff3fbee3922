//! Benchmark workloads (being built).
