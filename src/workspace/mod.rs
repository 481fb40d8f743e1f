//! Workspaces: detached BEAM nodes running the beamtalk OTP applications, one per project or name.
//!
//! [`Workspaces`] is the lifecycle — create, list, status, stop, switch, rename, cleanup — over the
//! [`registry`] on disk and the nodes themselves, which are only ever read by RPC to
//! `beamtalk_workspace_meta` (there is no other channel).

mod erl_tools;
pub mod export;
pub mod id;
pub mod import;
pub mod info;
pub mod launch;
pub mod liveness;
pub mod node_api;
pub mod registry;
pub mod runtime;
pub mod scratch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::dist::epmd::Epmd;
use crate::dist::{CallError, ConnectError, ConnectOptions, Connection, NodeName};
use crate::home::Cookie;
pub use info::Info;
use liveness::Liveness;
pub use registry::{Entry, Registry};

/// What can go wrong managing workspaces.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("invalid workspace name `{0}`: use lower-case letters, digits and `_` (at most 64)")]
    InvalidName(String),
    #[error(
        "a workspace named `{name}` exists already; hint: pick another name, or remove it first with `beamtalk workspace stop {name}` and `beamtalk workspace rm {name}`"
    )]
    Exists { name: String },
    #[error(
        "node `{node}` still runs as workspace `{now}` (renamed from `{name}`); hint: stop `{now}` first, or pick another name"
    )]
    NodeRenamed {
        name: String,
        node: String,
        now: String,
    },
    #[error("no workspace named `{name}`{}", known_names(.known))]
    Unknown { name: String, known: Vec<String> },
    #[error("`erl` was not found on PATH: Erlang/OTP is needed to run workspaces")]
    ErlMissing,
    #[error("workspace node `{node}` failed to start:\n{reason}")]
    BootFailed {
        node: String,
        reason: String,
        log: PathBuf,
    },
    #[error("workspace node `{node}` did not become ready within {after:?}:\n{reason}")]
    BootTimeout {
        node: String,
        after: Duration,
        reason: String,
    },
    #[error("workspace node `{node}` did not stop within {after:?}")]
    StopTimeout { node: String, after: Duration },
    #[error("a node of this workspace is still running{} (it holds {})", pid_text(.pid), .pid_file.display())]
    NodeAlive { pid: Option<u32>, pid_file: PathBuf },
    #[error("workspace {id}'s node `{node}` is running{} but does not answer: {reason}", pid_text(.pid))]
    NodeUnresponsive {
        id: String,
        node: String,
        pid: Option<u32>,
        reason: String,
    },
    #[error(
        "workspace {id} is running; stop it before removing it (`beamtalk workspace stop {id}`)"
    )]
    StillRunning { id: String },
    #[error(
        "workspace {id} runs on another host or over TLS: open an Erlang shell or Observer on it from its host"
    )]
    ToolUnsupported { id: String },
    #[error(
        "a node named `{node}` already runs on this host but belongs to another beamtalk home: {reason}"
    )]
    ForeignNode { node: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("registry file {path} is unreadable: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("TLS is not set up in {dir}")]
    TlsMissing { dir: PathBuf },
    #[error(transparent)]
    Tls(#[from] crate::dist::tls::TlsError),
    #[error("TLS files for nodes: {0}")]
    TlsFiles(String),
    #[error("no node `{node}` is running on {host}, and no launcher was given to start one")]
    NoLauncher { node: String, host: String },
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Call(#[from] CallError),
}

fn pid_text(pid: &Option<u32>) -> String {
    pid.map_or(String::new(), |p| format!(" (pid {p})"))
}

fn known_names(names: &[String]) -> String {
    if names.is_empty() {
        " (there are no workspaces yet)".to_owned()
    } else {
        format!("; known workspaces: {}", names.join(", "))
    }
}

/// Where a workspace stands.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Running(Box<Info>),
    /// Registered with EPMD but not answering (or answering with an error).
    Unreachable(String),
    Stopped,
}

impl State {
    pub fn label(&self) -> &'static str {
        match self {
            State::Running(_) => "running",
            State::Unreachable(_) => "unreachable",
            State::Stopped => "stopped",
        }
    }
}

/// Every workspace with its state, and the registry files that could not be read.
#[derive(Debug)]
pub struct Listing {
    pub workspaces: Vec<(Entry, State)>,
    pub problems: Vec<WorkspaceError>,
}

/// A connection to a workspace, and whether attaching started its node.
pub struct Attached {
    pub entry: Entry,
    pub conn: Connection,
    pub started: bool,
}

impl Attached {
    /// What to tell the user when attaching started a node (so no node runs without them knowing).
    pub fn notice(&self) -> Option<String> {
        self.started.then(|| {
            format!(
                "Started workspace {id} (node {node}); it stops after {idle} idle. `beamtalk workspace stop {id}` stops it now.",
                id = self.entry.id,
                node = self.entry.node,
                idle = humantime::format_duration(DEFAULT_MAX_IDLE),
            )
        })
    }
}

/// The outcome of `create`.
#[derive(Debug)]
pub struct Created {
    pub entry: Entry,
    /// The workspace was already running; nothing was started.
    pub existed: bool,
    pub info: Box<Info>,
}

/// Default idle limit before a workspace stops itself (ADR 0004).
pub const DEFAULT_MAX_IDLE: Duration = Duration::from_secs(4 * 3600);

/// How `workspace serve` runs a node for remote clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSpec {
    /// The name or address clients reach this host by (the node is `beamtalk_workspace_<id>@<host>`).
    pub host: String,
    pub tls: bool,
    pub bind_any: bool,
    pub dist_port: Option<u16>,
    pub max_idle: Duration,
}

/// How and where to create a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSpec {
    pub max_idle: Duration,
    /// Another host (the node gets a long name there); `None` is this machine.
    pub host: Option<String>,
    /// Distribution over TLS with the certificates of `beamtalk tls init`.
    pub tls: bool,
    /// Command prefix that runs its last argument as a shell command on `host`.
    pub launcher: Option<Vec<String>>,
    /// A scratch workspace of this process (`beamtalk test`).
    pub scratch: Option<scratch::Owner>,
}

impl CreateSpec {
    /// A workspace on this machine, plain TCP on loopback.
    pub fn local(max_idle: Duration) -> Self {
        Self {
            max_idle,
            host: None,
            tls: false,
            launcher: None,
            scratch: None,
        }
    }

    /// A workspace for one `beamtalk test` run of this process: local, and quick to stop by itself.
    pub fn scratch() -> Self {
        Self {
            scratch: Some(scratch::Owner::current()),
            ..Self::local(scratch::SCRATCH_MAX_IDLE)
        }
    }
}

/// Workspace lifecycle for one home directory and cookie.
pub struct Workspaces {
    home: PathBuf,
    registry: Registry,
    cookie: Cookie,
    opts: ConnectOptions,
    timeout: Duration,
}

impl Workspaces {
    pub fn new(home: &Path, cookie: Cookie, timeout: Duration) -> Result<Self, WorkspaceError> {
        let registry = Registry::open(home)?;
        let opts = ConnectOptions::new(
            cookie.value.clone(),
            cookie.path.display().to_string(),
            timeout,
        );
        Ok(Self {
            home: home.to_path_buf(),
            registry,
            cookie,
            opts,
            timeout,
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The id `beamtalk` uses for `project` when no name is given: the one `workspace switch` chose, else
    /// the project's own hash id.
    pub fn project_workspace(&self, project: &Path) -> Result<String, WorkspaceError> {
        self.registry.project_workspace(project)
    }

    /// The id for an explicit name or, without one, for `project`.
    pub fn resolve(&self, name: Option<&str>, project: &Path) -> Result<String, WorkspaceError> {
        match name {
            Some(n) => {
                id::validate_name(n)?;
                Ok(n.to_owned())
            }
            None => self.project_workspace(project),
        }
    }

    /// The registered entry of `id`, or an error naming the known workspaces.
    pub fn entry(&self, id: &str) -> Result<Entry, WorkspaceError> {
        match self.registry.get(id)? {
            Some(e) => Ok(e),
            None => Err(self.unknown(id)?),
        }
    }

    /// The error for a workspace that does not exist, naming the known ones.
    fn unknown(&self, id: &str) -> Result<WorkspaceError, WorkspaceError> {
        Ok(WorkspaceError::Unknown {
            name: id.to_owned(),
            known: self.registry.list()?.0.into_iter().map(|e| e.id).collect(),
        })
    }

    /// Starts workspace `id` for `project` unless it already runs; returns when it answers. A remote
    /// workspace whose node already runs on its host (started by the docker image, say) is attached to.
    pub async fn create(
        &self,
        id: &str,
        project: &Path,
        spec: &CreateSpec,
    ) -> Result<Created, WorkspaceError> {
        id::validate_name(id)?;
        let project = id::canonical_project(project)?;
        let _lock = self.registry.lock(id)?;
        let previous = self.registry.get(id)?;
        if let Some(entry) = previous.clone() {
            match self.probe_live(&entry).await {
                State::Running(info) => {
                    return Ok(Created {
                        entry,
                        existed: true,
                        info,
                    });
                }
                // Its node lives (frozen, overloaded, refusing our cookie): never start a second one.
                State::Unreachable(reason) if self.liveness(&entry).is_alive() => {
                    return Err(self.unresponsive(&entry, reason));
                }
                _ => tracing::debug!(id, "replacing a stale workspace entry"),
            }
        }
        let kept = previous.filter(|p| {
            p.host.is_none() && spec.host.is_none() && self.registry.has_durable_state(p)
        });
        let node = match (&spec.host, &kept) {
            // Durable actors' store is Mnesia's, tied to its node's name: a workspace renamed since
            // that node made it starts under the same name again.
            (None, Some(prev)) => {
                crate::dist::NodeName::parse(&prev.node).map_err(|e| WorkspaceError::Corrupt {
                    path: self.registry.entry_path(id),
                    reason: e.to_string(),
                })?
            }
            (Some(host), _) => id::remote_node_name(id, host)?,
            (None, None) => id::node_name(id)?,
        };
        self.node_not_renamed(id, &node)?;
        let home = match kept.and_then(|p| p.home) {
            Some(home) => Some(home),
            None => self.registry.fresh_home(id)?,
        };
        let entry = Entry {
            id: id.to_owned(),
            node: node.to_string(),
            project_path: project.to_string_lossy().into_owned(),
            created_at: unix_now(),
            host: spec.host.clone(),
            tls: spec.tls,
            launcher: spec.launcher.clone(),
            scratch: spec.scratch.clone(),
            home,
        };
        // Before anything starts: TLS files present, certificates readable.
        let opts = self.opts_for(&entry)?;
        if spec.host.is_some()
            && let Some(info) = self.attach_running(&node, &opts).await?
        {
            self.registry.put(&entry)?;
            return Ok(Created {
                entry,
                existed: true,
                info: Box::new(info),
            });
        }
        if let Some(host) = &spec.host
            && spec.launcher.is_none()
        {
            return Err(WorkspaceError::NoLauncher {
                node: node.to_string(),
                host: host.clone(),
            });
        }
        let claim = match spec.host {
            None => {
                let claim = self.registry.pid_file(id).claim()?;
                if let Some(info) = self.adopt_registered(&node, &opts).await? {
                    self.registry.put(&entry)?;
                    return Ok(Created {
                        entry,
                        existed: true,
                        info: Box::new(info),
                    });
                }
                Some(claim)
            }
            Some(_) => None,
        };
        // Recorded before the node starts, so a crash of this process never leaves a node nobody knows.
        self.registry.put(&entry)?;
        match self.boot(&entry, node, spec.max_idle, &opts, claim).await {
            Ok(info) => Ok(Created {
                entry,
                existed: false,
                info: Box::new(info),
            }),
            Err(e) => {
                if !self.liveness(&entry).is_alive() {
                    let _ = self.registry.remove(id);
                }
                Err(e)
            }
        }
    }

    /// A renamed workspace's node keeps its name: no new workspace may start a second node of it.
    fn node_not_renamed(&self, id: &str, node: &NodeName) -> Result<(), WorkspaceError> {
        let node = node.to_string();
        for other in self.registry.list()?.0 {
            if other.id != id && other.node == node && self.liveness(&other) != Liveness::Dead {
                return Err(WorkspaceError::NodeRenamed {
                    name: id.to_owned(),
                    node,
                    now: other.id,
                });
            }
        }
        Ok(())
    }

    /// Before a local node of `node`'s name starts: EPMD must not list that name already. If it does,
    /// the node is ours only when it reports this home (it lost its pid file, say) and is then adopted;
    /// another home's node (refusing our cookie, or reporting its own home) is never touched.
    async fn adopt_registered(
        &self,
        node: &NodeName,
        opts: &ConnectOptions,
    ) -> Result<Option<Info>, WorkspaceError> {
        let epmd = Epmd::new(node.host(), opts.epmd_port, self.timeout);
        match epmd.lookup(node.name()).await {
            Ok(Some(_)) => {}
            // No EPMD (the node starts one) or the name is free.
            Ok(None) | Err(_) => return Ok(None),
        }
        let foreign = |reason: String| WorkspaceError::ForeignNode {
            node: node.to_string(),
            reason,
        };
        let conn = match Connection::connect(node, opts).await {
            Ok(conn) => conn,
            Err(ConnectError::Auth { .. }) => {
                return Err(foreign("it refused this home's cookie".to_owned()));
            }
            // A node that was just killed may still be listed for a moment: gone, the name is free.
            Err(_) if Self::leaves_epmd(&epmd, node).await => return Ok(None),
            Err(e) => return Err(foreign(format!("it does not answer ({e})"))),
        };
        let info = node_api::INFO
            .call(&conn, vec![], self.timeout)
            .await
            .map(|t| Info::from_term(&t));
        conn.shutdown(self.timeout).await;
        let home = self.home.to_string_lossy();
        match info {
            Ok(info) if info.home == home => Ok(Some(info)),
            Ok(info) if info.home.is_empty() => Err(foreign(
                "it does not say which home it belongs to".to_owned(),
            )),
            Ok(info) => Err(foreign(format!("it belongs to {}", info.home))),
            Err(e) => Err(foreign(format!("it is not a workspace of this home ({e})"))),
        }
    }

    /// Whether `node`, listed by `epmd` but not answering, leaves it within a second (it was dying).
    async fn leaves_epmd(epmd: &Epmd, node: &NodeName) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while tokio::time::Instant::now() < deadline {
            if let Ok(None) = epmd.lookup(node.name()).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// What the pid file says of `entry`'s node (`Unknown` for remote ones).
    pub fn liveness(&self, entry: &Entry) -> Liveness {
        match entry.host {
            None => self.registry.pid_file(&entry.id).check(),
            Some(_) => Liveness::Unknown,
        }
    }

    fn unresponsive(&self, entry: &Entry, reason: String) -> WorkspaceError {
        let pid = match self.liveness(entry) {
            Liveness::Alive(pid) => pid,
            _ => None,
        };
        WorkspaceError::NodeUnresponsive {
            id: entry.id.clone(),
            node: entry.node.clone(),
            pid,
            reason,
        }
    }

    /// [`Self::probe`], but a live local node that EPMD does not list (EPMD restarted) is given a few
    /// seconds to register again (its workspace re-registers every second) before it counts as
    /// unreachable.
    async fn probe_live(&self, entry: &Entry) -> State {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let state = self.probe(entry).await;
            let waiting = matches!(&state, State::Unreachable(r) if r.contains(NOT_REGISTERED));
            if !waiting || tokio::time::Instant::now() > deadline {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The workspace info of `node` if it is already registered on its host and answers.
    async fn attach_running(
        &self,
        node: &NodeName,
        opts: &ConnectOptions,
    ) -> Result<Option<Info>, WorkspaceError> {
        let epmd = Epmd::new(node.host(), opts.epmd_port, self.timeout);
        if epmd
            .lookup(node.name())
            .await
            .map_err(ConnectError::from)?
            .is_none()
        {
            return Ok(None);
        }
        let conn = Connection::connect(node, opts).await?;
        let info = node_api::INFO.call(&conn, vec![], self.timeout).await?;
        conn.shutdown(self.timeout).await;
        Ok(Some(Info::from_term(&info)))
    }

    /// The ssl_dist options file for nodes started from this home.
    fn dist_conf(&self) -> Result<PathBuf, WorkspaceError> {
        crate::pki::TlsDir::new(&self.home)
            .ensure_dist_conf()
            .map_err(|e| WorkspaceError::TlsFiles(e.to_string()))
    }

    /// Connection options for `entry`: TLS with this home's client certificate when it uses TLS.
    pub fn opts_for(&self, entry: &Entry) -> Result<ConnectOptions, WorkspaceError> {
        let mut opts = self.opts.clone();
        if entry.tls {
            opts.tls = Some(tls_client_config(&self.home)?);
        }
        Ok(opts)
    }

    /// How to start `entry`'s node as `node` on this machine or through its launcher.
    fn launch_spec(
        &self,
        entry: &Entry,
        node: NodeName,
        max_idle: Duration,
    ) -> Result<launch::LaunchSpec, WorkspaceError> {
        Ok(launch::LaunchSpec {
            id: entry.id.clone(),
            home: self.home.clone(),
            node,
            project_path: entry.project_path.clone(),
            created_at: entry.created_at,
            cookie_file: self.cookie.path.clone(),
            lib_dir: runtime::install(&self.home)?,
            max_idle,
            log_path: self.registry.log_path(&entry.id),
            crash_dump_path: self.registry.crash_dump_path(&entry.id),
            node_home: self.registry.node_home(entry.home_key()),
            host: entry.host.clone(),
            tls_conf: match entry.tls {
                true => Some(self.dist_conf()?),
                false => None,
            },
            launcher: entry.launcher.clone(),
            bind_any: false,
            dist_port: None,
        })
    }

    async fn boot(
        &self,
        entry: &Entry,
        node: NodeName,
        max_idle: Duration,
        opts: &ConnectOptions,
        claim: Option<liveness::Claim>,
    ) -> Result<Info, WorkspaceError> {
        let spec = self.launch_spec(entry, node, max_idle)?;
        let boot_timeout = self.timeout.max(Duration::from_secs(30));
        if entry.host.is_none() {
            launch::ensure_epmd(opts.epmd_port, Duration::from_secs(5)).await;
        }
        let mut child = launch::spawn(&spec, claim)?;
        let ready = match launch::wait_ready(&mut child, &spec, opts, boot_timeout).await {
            // `erl` starts EPMD when none runs and may try to register before it listens (OTP's own
            // race, seen when many nodes start at once): once it listens, the node starts again.
            Err(WorkspaceError::BootFailed { reason, .. })
                if entry.host.is_none() && launch::lost_epmd_race(&reason) =>
            {
                tracing::debug!("the node started before its EPMD listened; starting it again");
                launch::ensure_epmd(opts.epmd_port, Duration::from_secs(5)).await;
                let claim = self.registry.pid_file(&entry.id).claim()?;
                let mut child = launch::spawn(&spec, Some(claim))?;
                launch::wait_ready(&mut child, &spec, opts, boot_timeout).await
            }
            other => other,
        };
        let (conn, info) = ready?;
        conn.shutdown(self.timeout).await;
        Ok(Info::from_term(&info))
    }

    /// The command that runs workspace `id` in the foreground on this machine as `host` (`workspace
    /// serve`: the main process of a container or service), for clients elsewhere to attach to with
    /// `workspace create --host`. It is not recorded in this home's registry.
    pub fn serve_command(
        &self,
        id: &str,
        project: &Path,
        serve: &ServeSpec,
    ) -> Result<std::process::Command, WorkspaceError> {
        id::validate_name(id)?;
        let project = id::canonical_project(project)?;
        let node = id::remote_node_name(id, &serve.host)?;
        let tls = crate::pki::TlsDir::new(&self.home);
        if serve.tls && !tls.exists() {
            return Err(WorkspaceError::TlsMissing { dir: tls.dir });
        }
        let entry = Entry {
            id: id.to_owned(),
            node: node.to_string(),
            project_path: project.to_string_lossy().into_owned(),
            created_at: unix_now(),
            host: Some(serve.host.clone()),
            tls: serve.tls,
            launcher: None,
            scratch: None,
            home: self.registry.fresh_home(id)?,
        };
        let mut spec = self.launch_spec(&entry, node, serve.max_idle)?;
        spec.bind_any = serve.bind_any;
        spec.dist_port = serve.dist_port;
        launch::prepare_node_home(&spec)?;
        Ok(launch::local_command(&spec))
    }

    /// The workspace `name` (or the project's) and a connection to it. The project's workspace is
    /// created when it does not exist; a named one only with `create` (else the error lists the known
    /// ones). A known workspace whose node stopped is started again.
    pub async fn attach(
        &self,
        name: Option<&str>,
        project: &Path,
        create: bool,
    ) -> Result<Attached, WorkspaceError> {
        let id = self.resolve(name, project)?;
        let entry = match self.registry.get(&id)? {
            Some(e) => e,
            None if name.is_some() && !create => return Err(self.unknown(&id)?),
            None => {
                let created = self
                    .create(&id, project, &CreateSpec::local(DEFAULT_MAX_IDLE))
                    .await?;
                let conn = self.connect(&created.entry).await?;
                return Ok(Attached {
                    started: !created.existed,
                    entry: created.entry,
                    conn,
                });
            }
        };
        match self.connect(&entry).await {
            Ok(conn) => Ok(Attached {
                entry,
                conn,
                started: false,
            }),
            Err(WorkspaceError::Connect(e)) if self.stopped_here(&entry, &e) => {
                let created = self.create(&id, project, &recreate_spec(&entry)).await?;
                let conn = self.connect(&created.entry).await?;
                Ok(Attached {
                    started: !created.existed,
                    entry: created.entry,
                    conn,
                })
            }
            // A live node that cannot be reached does not answer (and is never replaced). A refused
            // cookie or certificate stays an authentication error, a timeout before even the TCP
            // connection was made is the limit's (`--timeout 1ns`), and local problems (TLS files) are
            // reported as they are.
            Err(WorkspaceError::Connect(e))
                if !is_refusal(&e)
                    && !e.timed_out_on_the_limit()
                    && self.liveness(&entry).is_alive() =>
            {
                Err(self.unresponsive(&entry, e.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether connecting failed because `entry`'s node is simply not running: EPMD does not list it, or
    /// (after a reboot, or with EPMD stopped) no EPMD answers on this machine and no process holds the
    /// node's pid file. Starting the node starts EPMD again.
    fn stopped_here(&self, entry: &Entry, e: &ConnectError) -> bool {
        match e {
            ConnectError::NotRegistered { .. } => true,
            ConnectError::Epmd(_) => entry.host.is_none() && self.liveness(entry) == Liveness::Dead,
            _ => false,
        }
    }

    /// Connects to a workspace's node.
    pub async fn connect(&self, entry: &Entry) -> Result<Connection, WorkspaceError> {
        let node = NodeName::parse(&entry.node)
            .map_err(|_| WorkspaceError::InvalidName(entry.node.clone()))?;
        let opts = self.opts_for(entry)?;
        let deadline = tokio::time::Instant::now() + opts.connect_timeout;
        let mut pause = Duration::from_millis(50);
        loop {
            match Connection::connect(&node, &opts).await {
                // A busy node drops a handshake it cannot finish in time; it is not a node that
                // does not answer until it drops them all within our limit.
                Err(e) if e.is_transient() && tokio::time::Instant::now() + pause < deadline => {
                    tracing::debug!(error = %e, "retrying the handshake");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Where a workspace stands: a local node whose pid file nobody holds is stopped (no EPMD needed);
    /// otherwise its node is asked when EPMD lists it.
    pub async fn probe(&self, entry: &Entry) -> State {
        let Ok(node) = NodeName::parse(&entry.node) else {
            return State::Unreachable(format!("bad node name `{}`", entry.node));
        };
        let live = self.liveness(entry);
        if live == Liveness::Dead {
            return State::Stopped;
        }
        let epmd = Epmd::new(node.host(), self.opts.epmd_port, self.timeout);
        match epmd.lookup(node.name()).await {
            Ok(None) => return unlisted(live),
            Ok(Some(_)) => {}
            Err(e) => return State::Unreachable(e.to_string()),
        }
        match self.connect(entry).await {
            Ok(conn) => self.info_state(&conn).await,
            Err(e) => State::Unreachable(e.to_string()),
        }
    }

    /// Every registered workspace with its state, probed concurrently: one EPMD NAMES per host says which
    /// nodes run and on which port, and only those are connected to.
    /// Registry files that could not be read come back beside them, to be reported.
    pub async fn list(&self) -> Result<Listing, WorkspaceError> {
        let (entries, problems) = self.registry.list()?;
        let mut hosts: Vec<String> = entries
            .iter()
            .filter_map(|e| NodeName::parse(&e.node).ok())
            .map(|n| n.host().to_owned())
            .collect();
        hosts.sort();
        hosts.dedup();
        let names = futures::future::join_all(hosts.into_iter().map(|host| async move {
            let names = Epmd::new(&host, self.opts.epmd_port, self.timeout)
                .names()
                .await;
            (
                host,
                names
                    .map(|ns| ns.into_iter().collect::<HashMap<String, u16>>())
                    .map_err(|e| e.to_string()),
            )
        }))
        .await
        .into_iter()
        .collect::<HashMap<_, _>>();
        let states =
            futures::future::join_all(entries.iter().map(|e| self.probe_listed(e, &names))).await;
        Ok(Listing {
            workspaces: entries.into_iter().zip(states).collect(),
            problems,
        })
    }

    async fn probe_listed(
        &self,
        entry: &Entry,
        names: &HashMap<String, Result<HashMap<String, u16>, String>>,
    ) -> State {
        let Ok(node) = NodeName::parse(&entry.node) else {
            return State::Unreachable(format!("bad node name `{}`", entry.node));
        };
        let live = self.liveness(entry);
        if live == Liveness::Dead {
            return State::Stopped;
        }
        match names.get(node.host()) {
            Some(Ok(listed)) => match listed.get(node.name()) {
                None => unlisted(live),
                Some(&port) => {
                    let connected = match self.opts_for(entry) {
                        Ok(opts) => Connection::connect_at(&node, port, &opts)
                            .await
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    match connected {
                        Ok(conn) => self.info_state(&conn).await,
                        Err(e) => State::Unreachable(e),
                    }
                }
            },
            Some(Err(e)) => State::Unreachable(e.clone()),
            None => State::Unreachable(format!("host {} was not asked", node.host())),
        }
    }

    async fn info_state(&self, conn: &Connection) -> State {
        match node_api::INFO.call(conn, vec![], self.timeout).await {
            Ok(info) => State::Running(Box::new(Info::from_term(&info))),
            Err(e) => State::Unreachable(e.to_string()),
        }
    }

    /// Stops workspace `id` gracefully (`beamtalk_workspace:stop/0`) and waits until its node is gone (its pid file
    /// released; for a remote node, until EPMD no longer lists it). With `force`, a local node is killed
    /// by its pid instead (for one that does not answer). Returns false when it was not running.
    pub async fn stop(&self, id: &str, force: bool) -> Result<bool, WorkspaceError> {
        let entry = self.entry(id)?;
        let node = NodeName::parse(&entry.node)
            .map_err(|_| WorkspaceError::InvalidName(entry.node.clone()))?;
        let live = self.liveness(&entry);
        if live == Liveness::Dead {
            return Ok(false);
        }
        if force && live.is_alive() {
            let pid_file = self.registry.pid_file(id);
            return Ok(pid_file.kill(self.timeout)?.is_some());
        }
        let epmd = Epmd::new(node.host(), self.opts.epmd_port, self.timeout);
        let listed = epmd.lookup(node.name()).await;
        if live == Liveness::Unknown && matches!(listed, Ok(None)) {
            return Ok(false);
        }
        let asked = match self.connect(&entry).await {
            Ok(conn) => ask_to_stop(&conn, self.timeout).await,
            Err(e) => Err(e),
        };
        if let Err(e) = asked {
            return Err(match live {
                Liveness::Alive(_) => self.unresponsive(&entry, e.to_string()),
                _ => e,
            });
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut delay = Duration::from_millis(5);
        while self.still_running(&entry, &epmd, &node).await? {
            if tokio::time::Instant::now() + delay > deadline {
                return Err(WorkspaceError::StopTimeout {
                    node: entry.node,
                    after: self.timeout,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(50));
        }
        Ok(true)
    }

    async fn still_running(
        &self,
        entry: &Entry,
        epmd: &Epmd,
        node: &NodeName,
    ) -> Result<bool, WorkspaceError> {
        match self.liveness(entry) {
            Liveness::Unknown => Ok(epmd
                .lookup(node.name())
                .await
                .map_err(ConnectError::from)?
                .is_some()),
            live => Ok(live.is_alive()),
        }
    }

    /// Forgets workspace `id` (its entry and files); refused while its node runs.
    pub async fn forget(&self, id: &str) -> Result<(), WorkspaceError> {
        let entry = self.entry(id)?;
        let _lock = self.registry.lock(id)?;
        match self.probe(&entry).await {
            State::Stopped => self.registry.forget(id),
            State::Running(_) | State::Unreachable(_) => {
                Err(WorkspaceError::StillRunning { id: id.to_owned() })
            }
        }
    }

    /// Makes `id` the workspace `beamtalk repl` attaches to in `project`.
    pub fn switch(&self, id: &str, project: &Path) -> Result<(), WorkspaceError> {
        self.entry(id)?;
        let canonical = id::canonical_project(project)?;
        self.registry
            .set_project_choice(&id::project_id(&canonical), id)
    }

    /// Renames workspace `old` to `new`; a running node keeps its node name and learns its new id.
    pub async fn rename(&self, old: &str, new: &str) -> Result<Entry, WorkspaceError> {
        id::validate_name(new)?;
        let (first, second) = if old < new { (old, new) } else { (new, old) };
        let _a = self.registry.lock(first)?;
        let _b = self.registry.lock(second)?;
        let mut entry = self.entry(old)?;
        if self.registry.get(new)?.is_some() {
            return Err(WorkspaceError::Exists {
                name: new.to_owned(),
            });
        }
        match self.probe(&entry).await {
            State::Running(_) => {
                let conn = self.connect(&entry).await?;
                let id = crate::term::binary(new);
                node_api::SET_ID.call(&conn, vec![id], self.timeout).await?;
                // Its node goes on using its private directory: the entry keeps pointing at it.
                entry.home = Some(entry.home_key().to_owned());
            }
            State::Unreachable(_) => entry.home = Some(entry.home_key().to_owned()),
            State::Stopped => self.move_home(&mut entry, new)?,
        }
        entry.id = new.to_owned();
        self.registry.put(&entry)?;
        self.registry.remove(old)?;
        self.registry.rename_choices(old, new)?;
        Ok(entry)
    }

    /// A stopped workspace renamed to `new` takes its private directory along (its next node uses it).
    fn move_home(&self, entry: &mut Entry, new: &str) -> Result<(), WorkspaceError> {
        let from = self.registry.node_home(entry.home_key());
        let to = self.registry.node_home(new);
        if from == to || !from.exists() {
            return Ok(());
        }
        if to.exists() {
            // Another workspace's (one renamed while it ran): this one keeps its own where it is.
            entry.home = Some(entry.home_key().to_owned());
            return Ok(());
        }
        std::fs::rename(&from, &to).map_err(|source| WorkspaceError::Io { path: from, source })?;
        entry.home = None;
        Ok(())
    }

    /// Stops every running workspace idle for at least `idle`; returns the ids stopped.
    pub async fn cleanup(&self, idle: Duration) -> Result<Cleanup, WorkspaceError> {
        let mut done = Cleanup {
            reaped: self.reap_scratch().await?,
            ..Cleanup::default()
        };
        let now = std::time::SystemTime::now();
        for (entry, state) in self.list().await?.workspaces {
            match state {
                State::Running(info)
                    if u128::try_from(info.idle_ms).unwrap_or(0) >= idle.as_millis()
                        && self.stop(&entry.id, false).await? =>
                {
                    done.stopped.push(entry.id);
                }
                // A remote entry's files here say nothing about its host: it is never forgotten. Nor is one
                // whose durable actors' state is on disk here: only `workspace rm` deletes that.
                State::Stopped
                    if entry.host.is_none() && !self.registry.has_durable_state(&entry) =>
                {
                    let quiet = self
                        .registry
                        .last_activity(&entry.id)
                        .and_then(|t| now.duration_since(t).ok());
                    if quiet.is_some_and(|q| q >= idle) && self.forget(&entry.id).await.is_ok() {
                        done.forgotten.push(entry.id);
                    }
                }
                _ => {}
            }
        }
        Ok(done)
    }

    /// Removes the scratch workspaces whose `beamtalk test` process is gone (killed before it could):
    /// stops each node (by its pid if it does not answer) and forgets it. Returns their ids.
    pub async fn reap_scratch(&self) -> Result<Vec<String>, WorkspaceError> {
        let mut reaped = Vec::new();
        for entry in self.registry.list()?.0 {
            if entry.scratch.as_ref().is_none_or(scratch::Owner::is_alive) {
                continue;
            }
            self.remove(&entry.id).await?;
            reaped.push(entry.id);
        }
        Ok(reaped)
    }

    /// Stops and forgets workspace `id` (a test run's scratch one, or a half-imported one), killing its
    /// node if it does not stop when asked.
    pub async fn remove(&self, id: &str) -> Result<(), WorkspaceError> {
        if self.stop(id, false).await.is_err() {
            self.stop(id, true).await?;
        }
        self.forget(id).await
    }

    /// Records activity in workspace `entry` (fire and forget).
    pub fn touch(conn: &Connection) {
        let msg = crate::term::tuple(vec![
            crate::term::atom("$gen_cast"),
            crate::term::atom("touch"),
        ]);
        let _ = conn.send_named(node_api::META, &msg);
    }
}

/// What `cleanup` did: running workspaces it stopped, and stopped ones it forgot.
#[derive(Debug, Default)]
pub struct Cleanup {
    pub stopped: Vec<String>,
    pub forgotten: Vec<String>,
    /// Scratch workspaces of `beamtalk test` runs that ended without removing them.
    pub reaped: Vec<String>,
}

/// The TLS client configuration of `home` (`beamtalk tls init` must have run).
pub fn tls_client_config(
    home: &Path,
) -> Result<std::sync::Arc<rustls::ClientConfig>, WorkspaceError> {
    let dir = crate::pki::TlsDir::new(home);
    if !dir.exists() {
        return Err(WorkspaceError::TlsMissing { dir: dir.dir });
    }
    Ok(dir.client_identity().client_config()?)
}

/// Asks a workspace node to stop: `beamtalk_workspace:stop/0`, or `init:stop/0` on a node of an older
/// version that lacks it.
async fn ask_to_stop(conn: &Connection, timeout: Duration) -> Result<(), WorkspaceError> {
    match node_api::STOP.call(conn, vec![], timeout).await {
        Err(CallError::Exception(x)) if x.reason.to_string().contains("undef") => conn
            .call("init", "stop", vec![], timeout)
            .await
            .map(drop)
            .map_err(WorkspaceError::from),
        // Gone before its answer arrived: stopping is what was asked.
        Err(CallError::NodeDown { .. }) => Ok(()),
        other => other.map(drop).map_err(WorkspaceError::from),
    }
}

/// The node answered and refused us (cookie, certificate): not a node that does not answer.
fn is_refusal(e: &ConnectError) -> bool {
    matches!(
        e,
        ConnectError::Auth { .. } | ConnectError::TlsRefused { .. }
    )
}

/// What EPMD's reason says when it does not list a node.
const NOT_REGISTERED: &str = "not registered with EPMD";

/// The state of a node EPMD does not list: stopped, unless its pid file says it lives (EPMD restarted
/// and the node has not registered again yet).
fn unlisted(live: Liveness) -> State {
    match live {
        Liveness::Alive(pid) => State::Unreachable(format!(
            "the node is running{} but {NOT_REGISTERED} (EPMD restarted?)",
            pid_text(&pid)
        )),
        _ => State::Stopped,
    }
}

/// How to start again a workspace whose node is gone: where and how it ran before.
fn recreate_spec(entry: &Entry) -> CreateSpec {
    CreateSpec {
        max_idle: DEFAULT_MAX_IDLE,
        host: entry.host.clone(),
        tls: entry.tls,
        launcher: entry.launcher.clone(),
        scratch: None,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
