//! The `custscore` binary: parse the command line, run it, print the whole error chain on
//! stderr and map it to an exit code (0 ok, 2 bad input or usage, 1 anything else).

use clap::Parser;

fn main() {
    fixed_mmap_threshold();
    let cli = custscore::cli::Cli::parse();
    if let Err(err) = custscore::commands::run(cli) {
        // A closed pipe on stdout is the reader's choice, not a failure.
        if err.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }) {
            std::process::exit(0);
        }
        eprintln!("custscore: error: {err:#}");
        std::process::exit(custscore::error::exit_code(&err));
    }
}

/// glibc raises its mmap threshold (up to 32 MiB) each time a large block is freed, after
/// which blocks of up to that size come from the heap and stay in the process when freed.
/// The pipeline frees large column buffers stage after stage; with the threshold fixed at
/// 1 MiB they go back to the system and the peak memory on a 10M-row ledger dropped from
/// about 840 MB to 720 MB at the same speed. Since the reader keeps rows in 256 blocks per
/// thread (a few hundred KiB each, grown and then freed when the blocks are joined), the
/// threshold is 256 KiB: growing such a block is then a remap, not a copy, and freeing it
/// returns it, 825 MB → 675 MB peak at the same speed (benches/README.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_mmap_threshold() {}
