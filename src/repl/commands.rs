//! REPL commands: `:help`, `:load`, `:reload`, `:bindings`, `:clear`, `:actors`, `:kill`, `:modules`,
//! `:transcript`, `:test`, `:changes`, `:dirty`, `:flush`, `:interrupt`, `:quit`.

/// A parsed `:command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:help`, or `:help Class [selector]`.
    Help(Option<(String, Option<String>)>),
    Load(Vec<String>),
    Reload(Option<String>),
    Bindings,
    Clear,
    Actors,
    Kill(String),
    Modules,
    Transcript,
    /// `:test [Class|path]`.
    Test(Option<String>),
    /// `:changes`: the ChangeLog; `:dirty`: the methods changed and not yet flushed.
    Changes,
    Dirty,
    Flush,
    Interrupt,
    Quit,
}

pub const HELP: &str = "\
Type Beamtalk expressions; `.` separates statements. Multi-line input continues while brackets are open
or a class body is being written (an empty line ends it).
  :help                 this text
  :help Class [sel]     a class's comment and methods (or one method's)
  :load FILE|DIR  (:l)  compile and load classes from .bt files
  :reload [Class] (:r)  load again the files loaded in this session (or only the one defining Class)
  :bindings             the workspace's bindings
  :clear                drop all bindings
  :actors               running actors
  :kill ACTOR           stop an actor (a binding name or <0.123.0>)
  :modules              loaded class modules
  :transcript           recent output of actors that outlived their evaluation
  :test [Class|PATH]    run TestCase classes: one, those a file or directory loads, or all loaded
  :changes              methods changed in memory (the ChangeLog), oldest first
  :dirty                methods changed and not yet written back to their files
  :flush                write the durable changes into their .bt files (inside the project)
  :interrupt            (Ctrl-C) interrupt the running evaluation
  :quit           (:q)  leave the REPL (Ctrl-D); the workspace keeps running";

/// Parses a line starting with `:`; `Err` carries a message for an unknown or malformed command.
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.trim().trim_start_matches(':').split_whitespace();
    let name = words.next().unwrap_or_default();
    let rest: Vec<String> = words.map(str::to_owned).collect();
    let one = |what: &str| {
        rest.first()
            .cloned()
            .ok_or_else(|| format!(":{name} needs {what}"))
    };
    Ok(match name {
        "help" | "h" | "?" => Command::Help(
            rest.first()
                .map(|class| (class.clone(), rest.get(1).cloned())),
        ),
        "load" | "l" if !rest.is_empty() => Command::Load(rest),
        "load" | "l" => return Err(":load needs a file or directory".to_owned()),
        "reload" | "r" => Command::Reload(rest.first().cloned()),
        "bindings" | "b" => Command::Bindings,
        "clear" => Command::Clear,
        "actors" | "a" => Command::Actors,
        "kill" => Command::Kill(one("an actor (binding name or pid)")?),
        "modules" | "m" => Command::Modules,
        "transcript" | "t" => Command::Transcript,
        "test" => Command::Test(rest.first().cloned()),
        "changes" => Command::Changes,
        "dirty" => Command::Dirty,
        "flush" => Command::Flush,
        "interrupt" => Command::Interrupt,
        "quit" | "q" | "exit" => Command::Quit,
        other => return Err(format!("unknown command :{other} (:help lists them)")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_aliases() {
        assert_eq!(parse(":q"), Ok(Command::Quit));
        assert_eq!(parse(":help"), Ok(Command::Help(None)));
        assert_eq!(
            parse(":help Counter increment"),
            Ok(Command::Help(Some((
                "Counter".into(),
                Some("increment".into())
            ))))
        );
        assert_eq!(
            parse(":l a.bt b.bt"),
            Ok(Command::Load(vec!["a.bt".into(), "b.bt".into()]))
        );
        assert_eq!(
            parse(":reload Counter"),
            Ok(Command::Reload(Some("Counter".into())))
        );
        assert_eq!(parse(":kill acc"), Ok(Command::Kill("acc".into())));
        assert!(parse(":kill").is_err());
        assert!(parse(":nope").is_err());
    }
}
