//! The `custscore` binary: parse the command line, run it, print the whole error chain on
//! stderr and map it to an exit code (0 ok, 2 bad input or usage, 3 not enough memory, 1
//! anything else, a panic included).

use clap::Parser;

/// glibc's allocator, with a failed allocation reported by custscore (`alloc.rs`).
#[global_allocator]
static ALLOCATOR: custscore::alloc::Reported = custscore::alloc::Reported;

fn main() {
    allocator_settings();
    let cli = custscore::cli::Cli::parse();
    let code = custscore::error::main_guard(|| {
        let Err(err) = custscore::commands::run(cli) else {
            return 0;
        };
        // A closed pipe on stdout is the reader's choice, not a failure.
        if err.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }) {
            return 0;
        }
        eprintln!("custscore: error: {err:#}");
        custscore::error::exit_code(&err)
    });
    std::process::exit(code);
}

/// How glibc's allocator serves this process: every thread from one arena, and blocks of up
/// to 256 MiB from that arena's heap instead of a mapping of their own, so that memory a
/// stage frees is what the next stage's columns are carved from. The pipeline frees large
/// buffers stage after stage (the ledger's rows, 320 MB on 10M rows, are freed before the
/// customer columns are put in rank order); returned to the system and asked for again,
/// every 4 KiB page costs a fault and a clearing (~1.7 µs here). On the 10M-row ledger:
/// minor faults 247k → 160k, CPU time about a tenth less, peak 600 → 650 MB
/// (benches/README.md). One arena means one lock for every thread; the stages that run in
/// parallel allocate little (their buffers are made before and reused). A stage that
/// allocates per item on several threads shows as futex calls: `perf stat -e
/// syscalls:sys_enter_futex` counts a few thousand per run; a `Vec` per model group once
/// made it 180k–460k.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn allocator_settings() {
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn allocator_settings() {}
