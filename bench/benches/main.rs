//! The criterion benchmarks of migseal, one binary (one link and one copy
//! of criterion's analysis code, which keeps the quick CI run's build
//! short). Each module measures migseal and its reference in the same run;
//! the ratios are printed at the end.
//!
//! ```sh
//! cargo bench -p migseal-bench                      # everything, full sizes
//! MIGSEAL_BENCH_QUICK=1 cargo bench -p migseal-bench # quick: 64 MiB images
//! cargo bench -p migseal-bench -- stream-1MiB       # one group
//! ```

mod compat;
mod fragments;
mod header;
mod parallel;
mod seal;
mod signature;
mod stream;

use migseal_bench::harness::Run;

fn main() {
    let mut run = Run::start();
    stream::bench(&mut run);
    parallel::bench(&mut run);
    seal::bench(&mut run);
    header::bench(&mut run);
    signature::bench(&mut run);
    compat::bench(&mut run);
    fragments::bench(&mut run);
    run.finish();
}
