//! The editor setups of `editors/` are what their editors read: the VS Code extension's manifest,
//! grammar and language configuration are JSON naming files that exist, its commands are the server's,
//! and Helix's languages.toml parses and runs `beamtalk lsp`. (Neovim's runs for real in tests/neovim.rs.)

use std::path::Path;

use serde_json::Value;

fn editors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/editors"))
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_vscode_extension_is_consistent() {
    let dir = editors().join("vscode");
    let manifest = json(&dir.join("package.json"));
    let contributes = &manifest["contributes"];
    let language = &contributes["languages"][0];
    assert_eq!(language["extensions"][0], ".bt");
    json(&dir.join(language["configuration"].as_str().expect("a configuration")));
    let grammar = json(
        &dir.join(
            contributes["grammars"][0]["path"]
                .as_str()
                .expect("a grammar"),
        ),
    );
    assert_eq!(
        grammar["scopeName"],
        contributes["grammars"][0]["scopeName"]
    );
    assert!(grammar["patterns"].as_array().is_some_and(|p| p.len() > 5));
    assert!(dir.join(manifest["main"].as_str().expect("main")).is_file());
    let script = std::fs::read_to_string(dir.join("extension.js")).expect("extension.js");
    // Every command the extension binds is contributed, and every server command it sends exists.
    for c in contributes["commands"].as_array().expect("commands") {
        let name = c["command"].as_str().expect("a name");
        assert!(
            script.contains(&format!("\"{name}\"")),
            "{name} is not registered"
        );
    }
    for server_command in ["beamtalk.eval", "beamtalk.load", "beamtalk.test"] {
        assert!(
            script.contains(&format!("\"{server_command}\"")),
            "{server_command}"
        );
    }
    assert!(script.contains("\"lsp\""));
}

#[test]
fn the_helix_configuration_runs_the_server_for_bt_files() {
    let text =
        std::fs::read_to_string(editors().join("helix/languages.toml")).expect("languages.toml");
    let config: toml::Value = toml::from_str(&text).expect("valid TOML");
    assert_eq!(
        config["language-server"]["beamtalk"]["command"].as_str(),
        Some("beamtalk")
    );
    assert_eq!(
        config["language-server"]["beamtalk"]["args"][0].as_str(),
        Some("lsp")
    );
    let lang = &config["language"][0];
    assert_eq!(lang["file-types"][0].as_str(), Some("bt"));
    assert_eq!(lang["language-servers"][0].as_str(), Some("beamtalk"));
}
