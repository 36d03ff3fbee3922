//! Criterion benchmarks of the tracker, beside the code they measure; the
//! full workloads with the OVS-shaped figures are `ctswitch ct-bench`.

use std::hint::black_box;

use conntrack::bench;
use criterion::{criterion_group, criterion_main, Criterion};

fn workloads(c: &mut Criterion) {
    let mut group = c.benchmark_group("conntrack");
    group.sample_size(10);
    group.bench_function("hot: 32k packets of one UDP connection, commit", |b| {
        b.iter(|| black_box(bench::hot(1, 32 * 1024)))
    });
    group.bench_function("tcp: create, look up and flush 20k connections", |b| {
        b.iter(|| black_box(bench::tcp(1, 20_000)))
    });
    group.bench_function(
        "zones: 20 zones of 1000, 4 rounds of flush/commit/lookup",
        |b| b.iter(|| black_box(bench::zones(1, 20, 4))),
    );
    group.finish();
}

criterion_group!(benches, workloads);
criterion_main!(benches);
