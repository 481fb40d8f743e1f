//! The editor setup of `editors/neovim` in a real Neovim (headless): opening a `.bt` file starts
//! `beamtalk lsp` through `vim.lsp`, and its diagnostics and completions arrive there.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Project, run};

/// Neovim, or why the test cannot run (under CI that fails it: nothing is skipped silently).
fn nvim() -> Option<&'static str> {
    let found = Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "nvim is missing: `scripts/setup.sh --for-tests` installs Debian's neovim"
        );
        eprintln!("skipped: nvim is not installed (scripts/setup.sh --for-tests installs it)");
        return None;
    }
    Some("nvim")
}

const SCRIPT: &str = r#"
local out = assert(io.open(os.getenv("BT_RESULT"), "w"))
vim.opt.runtimepath:prepend(os.getenv("BT_EDITORS"))
require("beamtalk").setup({ cmd = { os.getenv("BT_BIN"), "lsp" } })
vim.cmd("edit " .. os.getenv("BT_FILE"))
out:write("filetype:" .. vim.bo.filetype .. "\n")
local got = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
for _, d in ipairs(vim.diagnostic.get(0)) do
  out:write("diagnostic:" .. d.lnum .. ":" .. d.message .. "\n")
end
local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = 3, character = 19 } }
local responses = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 20000) or {}
for _, r in pairs(responses) do
  local items = (r.result and (r.result.items or r.result)) or {}
  for _, item in ipairs(items) do
    out:write("completion:" .. item.label .. "\n")
  end
end
out:close()
vim.cmd("qa!")
"#;

#[test]
fn neovim_gets_diagnostics_and_completion_through_vim_lsp() {
    let Some(nvim) = nvim() else { return };
    let p = Project::new();
    let dir = p.project.path();
    std::fs::write(dir.join("beamtalk.toml"), "[package]\nname = \"demo\"\n").expect("manifest");
    let file = dir.join("main.bt");
    std::fs::write(
        &file,
        "Actor subclass: Counter\n  state: n = 0\n  bump => self.n := self.n + undefinedThing\n  run => Counter sp\n",
    )
    .expect("source");
    let script = dir.join("check.lua");
    std::fs::write(&script, SCRIPT).expect("script");
    let result = dir.join("result.txt");
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/neovim");
    let cmd = common::beamtalk(&p.epmd, &p.ws.home);
    let bin = cmd.get_program().to_owned();
    let mut nv = Command::new(nvim);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => nv.env(k, v),
            None => nv.env_remove(k),
        };
    }
    nv.current_dir(dir)
        .args(["--headless", "--clean", "-n", "-u", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("BT_RESULT", &result)
        .env("BT_EDITORS", &editors)
        .env("BT_BIN", &bin)
        .env("BT_FILE", &file);
    let (code, out, err, took) = run(&mut nv);
    let text = std::fs::read_to_string(&result)
        .unwrap_or_else(|e| panic!("no result ({e}); nvim exited {code}: {out}{err}"));
    assert!(took < Duration::from_secs(60));
    assert!(text.contains("filetype:beamtalk"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("diagnostic:2:") && l.contains("undefinedThing")),
        "{text}"
    );
    let completions: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("completion:"))
        .collect();
    assert!(completions.contains(&"spawn"), "{text}");
    assert!(!completions.contains(&"split:"), "{text}");
}
