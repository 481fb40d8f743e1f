//! Turning `argv` into a [`Cli`] without building what the command line does not use.
//!
//! The six global options are accepted before or after the subcommand. clap's `global = true` does that
//! by copying them into every subcommand (and merging their values back) before parsing: a quarter of
//! the instructions and 15 page faults of a cold `beamtalk rpc`. Here they are added only to the
//! subcommand the command line names, found by reading the arguments in front of it with the top-level
//! command's own definitions. Whatever that quick parse does not accept outright (help, errors, forms
//! it does not follow) is parsed again by the full command, so messages and help are exactly clap's.

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, CommandFactory, FromArgMatches};

use super::{Cli, Global};

/// The ids of the options in [`Global`].
const GLOBAL_IDS: [&str; 6] = ["home", "cookie_file", "timeout", "verbose", "json", "tls"];

/// Parses this process's arguments, exiting with clap's message (and code) when they are not valid.
pub fn parse() -> Cli {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(cli) = parse_quick(&args) {
        return cli;
    }
    let wants_json = args.iter().any(|a| a == "--json");
    let mut command = full_command();
    let mut matches = command
        .try_get_matches_from_mut(args)
        .unwrap_or_else(|e| exit_with(e, wants_json));
    let cli = Cli::from_arg_matches_mut(&mut matches)
        .unwrap_or_else(|e| exit_with(e.format(&mut command), wants_json));
    // The parser's tables are left to the process's exit: freeing them cost more than building them.
    std::mem::forget(matches);
    std::mem::forget(command);
    cli
}

/// Exits as clap would (its message and code), except that with `--json` a usage error is one JSON
/// document on stdout, like every other error then: `{"error": {"kind": "usage", "message", "detail"}}`.
fn exit_with(e: clap::Error, json: bool) -> ! {
    if !json || !e.use_stderr() {
        e.exit()
    }
    let text = e.render().to_string();
    // The first paragraph is the message ("required arguments were not provided:" and their names).
    let (first, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let error = serde_json::json!({"kind": "usage", "message": message, "detail": rest.trim()});
    println!("{}", serde_json::json!({ "error": error }));
    std::process::exit(2)
}

/// The whole command line interface, global options in every subcommand (help, completions, errors).
pub fn full_command() -> clap::Command {
    Cli::command().mut_args(|a| if is_global(&a) { a.global(true) } else { a })
}

fn is_global(arg: &Arg) -> bool {
    GLOBAL_IDS.contains(&arg.get_id().as_str())
}

/// `None` when the full parse must decide.
fn parse_quick(args: &[OsString]) -> Option<Cli> {
    let command = Cli::command();
    let name = invoked_subcommand(&command, args)?;
    // At the subcommand, the options come from its command line only: the environment and defaults are
    // the top level's. They are global there only when it has subcommands of its own (`workspace`):
    // clap's merging of global values is itself a sixth of a cold `rpc`.
    let nested = command
        .find_subcommand(&name)
        .is_some_and(|sc| sc.has_subcommands());
    let local: Vec<Arg> = command
        .get_arguments()
        .filter(|a| is_global(a))
        .map(|a| {
            a.clone()
                .env(None::<&str>)
                .default_value(None::<&str>)
                .global(nested)
        })
        .collect();
    let mut command = command.mut_subcommand(&name, |sc| sc.args(local));
    let mut matches = command.try_get_matches_from_mut(args).ok()?;
    let given = Given::read(matches.subcommand()?.1);
    let mut cli = Cli::from_arg_matches_mut(&mut matches).ok()?;
    given.apply(&mut cli.global);
    std::mem::forget(matches);
    std::mem::forget(command);
    Some(cli)
}

/// The subcommand's name (not an alias), reading the top-level options in front of it; `None` when
/// something there is not a plain top-level option.
fn invoked_subcommand(command: &clap::Command, args: &[OsString]) -> Option<String> {
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let arg = arg.to_str()?;
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline_value) = match long.split_once('=') {
                Some((name, _)) => (name, true),
                None => (long, false),
            };
            let option = command
                .get_arguments()
                .find(|a| a.get_long() == Some(name))?;
            if option.get_action().takes_values() && !inline_value {
                rest.next()?;
            }
        } else if let Some(shorts) = arg.strip_prefix('-') {
            for short in shorts.chars() {
                let option = command
                    .get_arguments()
                    .find(|a| a.get_short() == Some(short))?;
                if option.get_action().takes_values() {
                    return None;
                }
            }
            if shorts.is_empty() {
                return None;
            }
        } else {
            return command
                .find_subcommand(arg)
                .map(|sc| sc.get_name().to_owned());
        }
    }
    None
}

/// The global options given after the subcommand's name.
struct Given {
    home: Option<std::path::PathBuf>,
    cookie_file: Option<std::path::PathBuf>,
    timeout: Option<std::time::Duration>,
    verbose: Option<u8>,
    json: bool,
    tls: bool,
}

impl Given {
    fn read(matches: &ArgMatches) -> Self {
        Self {
            home: typed(matches, "home"),
            cookie_file: typed(matches, "cookie_file"),
            timeout: typed(matches, "timeout"),
            verbose: typed(matches, "verbose"),
            json: typed(matches, "json").unwrap_or(false),
            tls: typed(matches, "tls").unwrap_or(false),
        }
    }

    fn apply(self, global: &mut Global) {
        global.home = self.home.or(global.home.take());
        global.cookie_file = self.cookie_file.or(global.cookie_file.take());
        global.timeout = self.timeout.unwrap_or(global.timeout);
        global.verbose = self.verbose.unwrap_or(global.verbose);
        global.json |= self.json;
        global.tls |= self.tls;
    }
}

/// The value of `id` when it came from the command line.
fn typed<T: Clone + Send + Sync + 'static>(matches: &ArgMatches, id: &str) -> Option<T> {
    if matches.value_source(id) != Some(ValueSource::CommandLine) {
        return None;
    }
    matches.get_one::<T>(id).cloned()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;

    fn argv(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn quick(line: &str) -> Cli {
        parse_quick(&argv(line)).unwrap_or_else(|| panic!("quick parse of {line:?}"))
    }

    fn full(line: &str) -> Cli {
        let mut matches = full_command()
            .try_get_matches_from(argv(line))
            .expect("valid");
        Cli::from_arg_matches_mut(&mut matches).expect("valid")
    }

    #[test]
    fn the_global_ids_are_the_fields_of_global() {
        use clap::Args;
        let command = Global::augment_args(clap::Command::new("probe"));
        let ids: Vec<&str> = command
            .get_arguments()
            .map(|a| a.get_id().as_str())
            .collect();
        assert_eq!(ids, GLOBAL_IDS);
    }

    #[test]
    fn the_full_command_is_consistent() {
        full_command().debug_assert();
    }

    #[test]
    fn global_options_anywhere_mean_what_the_full_parse_says() {
        for line in [
            "beamtalk rpc n erlang node",
            "beamtalk --json rpc n erlang node",
            "beamtalk rpc n erlang node --json",
            "beamtalk --home /a rpc --home /b n erlang node",
            "beamtalk --home=/a --timeout 5s -vv nodes",
            "beamtalk nodes --timeout 2s --cookie-file /c -v --tls",
            "beamtalk workspace --json list",
            "beamtalk workspace list --json --home /h",
            "beamtalk --timeout 3s workspace create w --project /p --timeout 4s",
            "beamtalk -v eval -w w 3+4",
            "beamtalk rpc n m f --bogus",
            "beamtalk rpc n m f -1 --json",
            "beamtalk tls init --json --san h",
            "beamtalk workspace stop --all -v",
        ] {
            let (q, f) = (quick(line), full(line));
            assert_eq!(format!("{:?}", q), format!("{:?}", f), "{line}");
        }
    }

    #[test]
    fn the_deepest_option_wins() {
        let cli = quick("beamtalk --home /a --timeout 1s rpc --home /b n erlang node");
        assert_eq!(cli.global.home, Some(PathBuf::from("/b")));
        assert_eq!(cli.global.timeout, Duration::from_secs(1));
    }

    #[test]
    fn help_unknown_options_and_odd_forms_go_to_the_full_parse() {
        for line in [
            "beamtalk --help",
            "beamtalk rpc --help",
            "beamtalk --bogus rpc n m f",
            "beamtalk -x rpc n m f",
            "beamtalk nosuch",
            "beamtalk --home",
            "beamtalk",
        ] {
            assert!(parse_quick(&argv(line)).is_none(), "{line}");
        }
    }
}
