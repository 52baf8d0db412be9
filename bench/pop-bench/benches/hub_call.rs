//! In-process call paths of the pop runtime: a call by reference with JSON
//! kwargs against the direct, typed call of the same plugin.
//!
//! Every async case runs on the same tokio current-thread runtime, through
//! criterion's `to_async` (one `block_on` around the whole timing loop), so
//! direct and by-reference calls pay exactly the same executor cost.
//!
//! Run: `cargo bench -p pop-bench` (add `-- fib/` to pick a group).
//! The overhead of a call by reference is `fib/by_ref - fib/direct`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pop::prelude::*;
use pop_bench::math;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime can be built")
}

/// `rpc.math.fib` (async, returns `Result<u64>`), num = 11.
fn fib(c: &mut Criterion) {
    let rt = runtime();
    let hub = &pop_bench::hub();
    let sub = hub.sub("rpc").expect("rpc was added");
    let mut group = c.benchmark_group("fib");

    // The direct, typed call: what `crate::rpc::math::fib(&hub, 11).await` costs.
    group.bench_function("direct", |b| {
        b.to_async(&rt)
            .iter(|| async move { math::fib(black_box(hub), black_box(11)).await.unwrap() });
    });
    // SPEC section 5's call by reference, kwargs built per call as written there.
    group.bench_function("by_ref", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(black_box("rpc.math.fib"), json!({ "num": black_box(11) }))
                .await
                .unwrap()
        });
    });
    // The same, with the kwargs built outside the timed region (`iter_batched`).
    // Not cheaper than `by_ref`: each input is a separate, cache-cold map, and
    // binding still removes its entry and frees it inside the call.
    group.bench_function("by_ref_prebuilt_kwargs", |b| {
        b.to_async(&rt).iter_batched(
            || json!({ "num": 11 }),
            |kwargs| async move { hub.call(black_box("rpc.math.fib"), kwargs).await.unwrap() },
            BatchSize::SmallInput,
        );
    });
    // No kwargs at all (`null`: defaults apply, num = 10), against the direct call with 10:
    // the dispatch cost with no JSON object to build, bind or drop.
    group.bench_function("direct_num_10", |b| {
        b.to_async(&rt)
            .iter(|| async move { math::fib(black_box(hub), black_box(10)).await.unwrap() });
    });
    group.bench_function("by_ref_null_kwargs", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(black_box("rpc.math.fib"), Value::Null)
                .await
                .unwrap()
        });
    });
    // kwargs binding with a number sent as a string, as pop's tutorial sends it.
    group.bench_function("by_ref_numeric_string", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(black_box("rpc.math.fib"), json!({ "num": black_box("11") }))
                .await
                .unwrap()
        });
    });
    // What the router does per request once the body is parsed: a ref relative to its sub.
    group.bench_function("sub_call_numeric_string", |b| {
        b.to_async(&rt).iter(|| async move {
            sub.call(
                hub,
                black_box("math.fib"),
                json!({ "num": black_box("11") }),
            )
            .await
            .unwrap()
        });
    });
    group.finish();
}

/// `rpc.math.triple` (sync, returns a plain `u64`), num = 33.
fn triple(c: &mut Criterion) {
    let rt = runtime();
    let hub = &pop_bench::hub();
    let mut group = c.benchmark_group("triple");

    // Plain Rust, no runtime at all.
    group.bench_function("direct", |b| {
        b.iter(|| math::triple(black_box(hub), black_box(33)));
    });
    // The direct call inside the same async loop as the call by reference, like for like.
    group.bench_function("direct_in_async", |b| {
        b.to_async(&rt)
            .iter(|| async move { math::triple(black_box(hub), black_box(33)) });
    });
    group.bench_function("by_ref", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(
                black_box("rpc.math.triple"),
                json!({ "num": black_box(33) }),
            )
            .await
            .unwrap()
        });
    });
    group.bench_function("by_ref_numeric_string", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(
                black_box("rpc.math.triple"),
                json!({ "num": black_box("33") }),
            )
            .await
            .unwrap()
        });
    });
    group.finish();
}

/// `rpc.checked.triple`: `triple` under one sync `pre` contract, on both paths.
fn contract(c: &mut Criterion) {
    let rt = runtime();
    let hub = &pop_bench::hub();
    let mut group = c.benchmark_group("triple_one_pre");
    group.bench_function("direct", |b| {
        b.iter(|| pop_bench::checked::triple(black_box(hub), black_box(33)));
    });
    group.bench_function("by_ref", |b| {
        b.to_async(&rt).iter(|| async move {
            hub.call(
                black_box("rpc.checked.triple"),
                json!({ "num": black_box(33) }),
            )
            .await
            .unwrap()
        });
    });
    group.finish();
}

/// What building and dropping the kwargs object costs on its own (part of `by_ref`).
fn kwargs(c: &mut Criterion) {
    let mut group = c.benchmark_group("kwargs");
    group.bench_function("build_and_drop_number", |b| {
        b.iter(|| json!({ "num": black_box(11) }));
    });
    group.bench_function("build_and_drop_string", |b| {
        b.iter(|| json!({ "num": black_box("11") }));
    });
    group.finish();
}

criterion_group!(benches, fib, triple, contract, kwargs);
criterion_main!(benches);
