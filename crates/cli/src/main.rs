//! `convscope`: the command-line face of convscope's core.

/// `println!` through [`out::write`]: a closed stdout (`convscope … | head -1`) ends the
/// process quietly with status 0 instead of panicking with "Broken pipe".
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`out::write`] (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))
    };
}

mod arch;
mod bench;
mod classify;
mod ensemble;
mod eval;
mod model_file;
mod out;
mod samples;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use convscope_core::arch::{Volume, zoo};

#[derive(Debug, Parser)]
#[command(
    name = "convscope",
    version,
    about = "Convolutional networks, explained by computing them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Output size of a convolution along one axis: (W − F + 2P)/S + 1.
    Size {
        /// Input width W.
        #[arg(long, short = 'w')]
        input: usize,
        /// Kernel size F.
        #[arg(long, short = 'f')]
        kernel: usize,
        /// Stride S.
        #[arg(long, short = 's', default_value_t = 1)]
        stride: usize,
        /// Zero padding P.
        #[arg(long, short = 'p', default_value_t = 0)]
        padding: usize,
        /// Dilation D.
        #[arg(long, short = 'd', default_value_t = 1)]
        dilation: usize,
    },
    /// A network's layers: output volume, parameters, MACs and receptive field of each.
    Arch {
        /// Network name, for example alexnet_lecture, vgg16, resnet50 (see --list).
        #[arg(required_unless_present_any = ["list", "net"], conflicts_with = "net")]
        name: Option<String>,
        /// Any network: its text form ("conv 6 5x5 pad 2, relu, maxpool 2, …"), a .json or
        /// text file holding a description, or a .safetensors file (the network it carries).
        #[arg(long, value_name = "DESCRIPTION|FILE")]
        net: Option<String>,
        /// Input volume HxWxC (default: the network's own, e.g. 227x227x3).
        #[arg(long, value_name = "HxWxC", allow_hyphen_values = true)]
        input: Option<Volume>,
        /// Print JSON instead of the text table.
        #[arg(long)]
        json: bool,
        /// List the networks.
        #[arg(long, conflicts_with_all = ["name", "net", "input", "json"])]
        list: bool,
    },
    /// Train LeNet-5 on MNIST or Fashion-MNIST and write the weights as safetensors.
    Train(train::TrainArgs),
    /// Accuracy and confusion matrix of a model on a test set.
    Eval(eval::EvalArgs),
    /// Classify image files with a trained model (top-3 classes, or JSON).
    Classify(classify::ClassifyArgs),
    /// Merge trained models of one network into one file that averages their logits.
    Ensemble(ensemble::EnsembleArgs),
    /// Write the web app's gallery: the first images of each class of the test split.
    Samples(samples::SamplesArgs),
    /// Time LeNet-5 inference and training on this machine (seeded weights; see
    /// BENCHMARKS.md for the comparison with other engines).
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Size {
            input,
            kernel,
            stride,
            padding,
            dilation,
        } => match convscope_core::conv_output_size(input, kernel, stride, padding, dilation) {
            Ok(out) => {
                outln!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Arch {
            name,
            net,
            input,
            json,
            list,
        } => run_arch(name.as_deref(), net.as_deref(), input, json, list),
        Command::Train(args) => report(train::run(&args)),
        Command::Eval(args) => report(eval::run(&args)),
        Command::Classify(args) => report(classify::run(&args)),
        Command::Ensemble(args) => report(ensemble::run(&args)),
        Command::Samples(args) => report(samples::run(&args)),
        Command::Bench(args) => report(bench::run(&args)),
    }
}

/// Prints an error of `train`, `eval` or `classify` and exits with 1.
fn report(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Exit codes: 0 success, 1 the network cannot take the input, 2 usage (unknown name;
/// clap itself exits with 2 for a malformed `--input`).
fn run_arch(
    name: Option<&str>,
    net: Option<&str>,
    input: Option<Volume>,
    json: bool,
    list: bool,
) -> ExitCode {
    if list {
        out!("{}", arch::list());
        return ExitCode::SUCCESS;
    }
    let described = match net.map(model_file::read_description) {
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let Some(network) = described.or_else(|| name.and_then(zoo::by_name)) else {
        eprintln!(
            "error: unknown network '{}'; known: {}",
            name.unwrap_or_default(),
            zoo::NAMES.join(", ")
        );
        return ExitCode::from(2);
    };
    let report = match network.evaluate_with_input(input.unwrap_or(network.input)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {} cannot take this input: {e}", network.name);
            return ExitCode::FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => outln!("{s}"),
            Err(e) => {
                eprintln!("error: cannot write JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        out!("{}", arch::table(&report));
    }
    ExitCode::SUCCESS
}
