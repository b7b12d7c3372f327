//! `mpwan`: parse the command line, set up logging, run the subcommand.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = mpwan::cli::Cli::parse();
    mpwan::logging::init(cli.log_format, cli.log_level);
    mpwan::commands::run(&cli)
}
