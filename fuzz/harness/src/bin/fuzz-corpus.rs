//! Writes the seed corpus of every fuzz target (see the `corpus` module):
//!
//! ```text
//! fuzz-corpus [VECTORS_DIR [OUT_DIR]]     defaults: spec/vectors fuzz/corpus
//! ```
//!
//! Re-running overwrites the seeds (`seed-*`) and leaves the inputs the
//! fuzzer added alone.

use std::path::{Path, PathBuf};

use migseal_fuzz_harness::{TARGETS, corpus};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vectors = args.first().map_or_else(|| here.join("../../spec/vectors"), PathBuf::from);
    let out = args.get(1).map_or_else(|| here.join("../corpus"), PathBuf::from);
    let corpus = corpus::seeds(&vectors);
    for (target, _) in TARGETS {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let seeds = corpus.get(target).cloned().unwrap_or_default();
        for (bytes, name) in &seeds {
            let path = dir.join(format!("seed-{name}"));
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
        println!("{target:20} {:4} seeds -> {}", seeds.len(), dir.display());
    }
}
