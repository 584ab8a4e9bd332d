//! The CLI's integration tests, one module per command or concern, built as one test binary
//! (one link instead of one per file). Each runs the `convscope` binary in a scratch
//! directory. Select a module by name, e.g. `cargo test -p convscope-cli --test suite nn_cli`.

mod common;

mod arch_cli;
mod bench_cli;
mod bounds_cli;
mod broken_pipe;
mod ensemble_cli;
mod images_cli;
mod nn_cli;
mod robust_cli;
mod train_args;
