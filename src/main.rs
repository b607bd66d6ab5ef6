//! The `custscore` binary: parse the command line, run it, print the whole error chain on
//! stderr and map it to an exit code (0 ok, 2 bad input or usage, 1 anything else).

use clap::Parser;

fn main() {
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
