//! Isolation for `grade`, which builds and runs code the grader cannot trust: where the system
//! offers it, each student's build and tests run without network and under limits on processes,
//! memory, file size and CPU time; where it does not, `grade` says so before it starts.
//!
//! On Linux, with no crate and no unsafe code, the runner wraps the command in the system's own
//! tools:
//!
//! - `unshare --user --map-root-user --net` (util-linux) gives it a network namespace of its own:
//!   no route out, and a loopback interface of its own, which the runner brings up with
//!   `ip link set lo up` (iproute2) so the chapters' tests can still talk to themselves. The
//!   grader's own loopback servers are out of reach too.
//! - `prlimit` (util-linux) sets the limits: processes and threads (`RLIMIT_NPROC`), address space
//!   (`RLIMIT_AS`), the size of any file written (`RLIMIT_FSIZE`) and CPU seconds
//!   (`RLIMIT_CPU`). The kernel does not apply the process limit to root, so when the grader runs
//!   as root the runner also puts the command in a `pids` control group of its own, where the
//!   system lets it create one; otherwise it says that processes are not limited.
//! - The environment is emptied but for what cargo and rustup need (`PATH`, `HOME`, `CARGO*`,
//!   `RUSTUP*`, locale, temporary folder): no tokens, no SSH agent.
//!
//! The files are not isolated: a student's code can read and write what the grader's user can,
//! the shared build folder included. `grade` puts back every file of the trusted workbook that a
//! run changed, and says so in that student's report, but for a class you do not trust, run
//! `grade` in a container (the README's recipe) or as a user of its own.
//!
//! - `unshare --pid --fork --mount --mount-proc` gives it a process namespace of its own, whose
//!   first process is the runner's `check`: when it ends, the kernel ends whatever the student's
//!   code left behind, however it hid (a new session, a double fork).
//!
//! The chain, for one run: `xtask sandbox-enter [--cgroup DIR] -- unshare … -- xtask
//! sandbox-enter --loopback -- prlimit … -- PROGRAM ARGS`. `sandbox-enter` is a hidden command
//! of the runner itself: it joins the control groups, brings the loopback up, and replaces
//! itself with what follows `--` (`exec`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// What a sandboxed command may use.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Processes and threads at once.
    pub processes: u64,
    /// Bytes of address space per process.
    pub memory: u64,
    /// Bytes in any one file it writes.
    pub file_size: u64,
    /// CPU seconds per process.
    pub cpu_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Address space, not memory in use: a thread's stack counts in full, and a chat server
        // under the chapter 8 flood runs over a thousand threads. Half the machine's memory, at
        // least 4 GiB and at most 16 GiB.
        let half = total_memory().map_or(8 << 30, |bytes| bytes / 2);
        Limits {
            processes: 4096,
            memory: half.clamp(4 << 30, 16 << 30),
            file_size: 256 << 20,
            cpu_seconds: 900,
        }
    }
}

/// How `grade` runs students' code.
pub struct Sandbox {
    /// The runner's own program, which enters the sandbox and grades.
    pub runner: PathBuf,
    limits: Limits,
    /// What isolates the code, as sentences; empty when nothing does.
    pub offers: Vec<String>,
    /// What does not, and why.
    pub lacks: Vec<String>,
    namespaces: bool,
    rlimits: bool,
    /// Where a `pids` control group of its own can be made for each run, when the runner runs
    /// as root.
    cgroup_base: Option<PathBuf>,
    /// How many groups were made, for their names.
    made: std::sync::atomic::AtomicU32,
    /// The kernel does not apply `RLIMIT_NPROC` to root.
    root: bool,
}

/// The environment variables a sandboxed build and test run keep.
fn kept(name: &str) -> bool {
    matches!(
        name,
        "PATH" | "HOME" | "USER" | "LOGNAME" | "LANG" | "TMPDIR" | "TEMP" | "TMP" | "CARGO"
    ) || name.starts_with("LC_")
        || name.starts_with("RUSTUP_")
        || name == "CARGO_HOME"
        // Windows cannot start a program without these.
        || cfg!(windows)
}

impl Sandbox {
    /// No isolation at all (`--no-isolation`), said as such.
    pub fn none(runner: PathBuf, why: &str) -> Self {
        Sandbox {
            runner,
            limits: Limits::default(),
            offers: Vec::new(),
            lacks: vec![why.to_owned()],
            namespaces: false,
            rlimits: false,
            cgroup_base: None,
            made: std::sync::atomic::AtomicU32::new(0),
            root: is_root(),
        }
    }

    /// What this system offers, found by trying it: a probe runs through the whole chain and
    /// must reach its own loopback and not the grader's.
    pub fn probe(runner: PathBuf, limits: Limits) -> Self {
        let mut sandbox = Sandbox::none(runner, "");
        sandbox.lacks.clear();
        sandbox.limits = limits;
        if !cfg!(target_os = "linux") {
            sandbox.lacks.push(
                "this system offers the runner no isolation (it has it on Linux only): the \
                 students' code runs with your user's rights and network"
                    .to_owned(),
            );
            return sandbox;
        }
        sandbox.rlimits = tool_works("prlimit", &["--version"]);
        sandbox.namespaces = tool_works("unshare", &["--version"]) && tool_works("ip", &["-V"]);
        if sandbox.namespaces {
            match sandbox.try_network() {
                Ok(()) => sandbox
                    .offers
                    .push("no network (a network namespace with a loopback of its own)".to_owned()),
                Err(why) => {
                    sandbox.namespaces = false;
                    sandbox.lacks.push(format!("network not isolated: {why:#}"));
                }
            }
        } else {
            sandbox.lacks.push(
                "network not isolated: `unshare` (util-linux) and `ip` (iproute2) are needed"
                    .to_owned(),
            );
        }
        if sandbox.rlimits {
            let root = sandbox.root;
            if root {
                sandbox.cgroup_base = pids_base();
            }
            let processes = if !root {
                format!("at most {} processes and threads", limits.processes)
            } else if sandbox.cgroup_base.is_some() {
                format!(
                    "at most {} processes and threads (a control group)",
                    limits.processes
                )
            } else {
                sandbox.lacks.push(
                    "processes not limited: the kernel does not apply the limit to root, and \
                     no control group could be made; grade as an ordinary user"
                        .to_owned(),
                );
                String::new()
            };
            let mut offer = format!(
                "{} GiB of address space per process, files up to {} MiB, {} CPU seconds per \
                 process",
                limits.memory >> 30,
                limits.file_size >> 20,
                limits.cpu_seconds
            );
            if !processes.is_empty() {
                offer = format!("{processes}, {offer}");
            }
            sandbox.offers.push(offer);
        } else {
            sandbox
                .lacks
                .push("no limits on processes or memory: `prlimit` (util-linux) is needed".into());
        }
        if !sandbox.offers.is_empty() {
            sandbox.offers.push(
                "an environment without your tokens and keys (only PATH, HOME, cargo's and \
                 rustup's variables)"
                    .to_owned(),
            );
            sandbox.lacks.push(
                "files not isolated: the code can read and write what your user can (changes \
                 to the trusted workbook are undone and reported); for a class you do not \
                 trust, grade in a container"
                    .to_owned(),
            );
        }
        sandbox
    }

    /// `program args…`, to be run inside the sandbox, with the environment emptied on Unix;
    /// and the control group made for it, which [`Sandbox::release`] removes once it has ended.
    pub fn command(&self, program: &Path, args: &[OsString]) -> (Command, Option<PathBuf>) {
        let mut chain: Vec<OsString> = Vec::new();
        let group = self.cgroup_base.as_ref().and_then(|base| {
            let count = self.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let group = base.join(format!("workbook-grade-{}-{count}", std::process::id()));
            std::fs::create_dir(&group).ok()?;
            let limited = std::fs::write(group.join("pids.max"), self.limits.processes.to_string());
            limited.is_ok().then_some(group)
        });
        if let Some(group) = &group {
            chain.push(self.runner.clone().into());
            chain.extend(["sandbox-enter", "--cgroup"].map(OsString::from));
            chain.push(group.clone().into());
            chain.push("--".into());
        }
        if self.namespaces {
            // A process namespace too: when the run ends, the kernel ends everything it left.
            chain.extend(
                [
                    "unshare",
                    "--user",
                    "--map-root-user",
                    "--net",
                    "--pid",
                    "--fork",
                    "--mount",
                    "--mount-proc",
                    "--",
                ]
                .map(OsString::from),
            );
            chain.push(self.runner.clone().into());
            chain.extend(["sandbox-enter", "--loopback", "--"].map(OsString::from));
        }
        if self.rlimits {
            let limits = self.limits;
            chain.push("prlimit".into());
            if !self.root {
                chain.push(format!("--nproc={}", limits.processes).into());
            }
            chain.push(format!("--as={}", limits.memory).into());
            chain.push(format!("--fsize={}", limits.file_size).into());
            chain.push(format!("--cpu={}", limits.cpu_seconds).into());
            chain.push("--".into());
        }
        chain.push(program.into());
        chain.extend(args.iter().cloned());
        let mut command = Command::new(&chain[0]);
        command.args(&chain[1..]);
        if cfg!(unix) {
            command.env_clear();
            command.envs(std::env::vars_os().filter(|(name, _)| name.to_str().is_some_and(kept)));
        }
        (command, group)
    }

    /// Removes a run's control group, once everything in it has ended.
    pub fn release(&self, group: Option<PathBuf>) {
        if let Some(group) = group {
            for _ in 0..100 {
                if std::fs::remove_dir(&group).is_ok() {
                    return;
                }
                // The kernel may still be reaping what was killed.
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }

    /// Runs the probe through the chain: it must reach a server on its own loopback, and must not
    /// reach one the grader runs on the real loopback.
    fn try_network(&self) -> Result<()> {
        let outside = std::net::TcpListener::bind("127.0.0.1:0")
            .context("cannot start the probe's listener")?;
        let port = outside.local_addr()?.port().to_string();
        outside.set_nonblocking(true)?;
        let (mut command, group) =
            self.command(&self.runner, &["sandbox-probe".into(), port.into()]);
        let output = command.stdin(Stdio::null()).output();
        self.release(group);
        let output = output.context("cannot start `unshare`")?;
        let said = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            bail!("the probe failed: {}", said.trim());
        }
        if outside.accept().is_ok() {
            bail!("the probe reached the grader's loopback from inside the namespace");
        }
        Ok(())
    }
}

/// True when `program args` runs and succeeds.
fn tool_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// True when the runner runs as root, to whom the kernel does not apply `RLIMIT_NPROC`.
fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The owner of a file the runner just made is who it runs as.
        let probe = std::env::temp_dir().join(format!("xtask-whoami-{}", std::process::id()));
        let uid = std::fs::write(&probe, b"")
            .and_then(|()| std::fs::metadata(&probe))
            .map(|m| m.uid());
        let _ = std::fs::remove_file(&probe);
        uid.is_ok_and(|uid| uid == 0)
    }
    #[cfg(not(unix))]
    false
}

/// The machine's memory in bytes, where the system says (Linux).
fn total_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Where the runner can make `pids` control groups, under the one it is in: cgroup v2
/// (`/sys/fs/cgroup`, with the `pids` controller) or v1 (`/sys/fs/cgroup/pids`). Found by making
/// one and removing it.
fn pids_base() -> Option<PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let name = format!("workbook-grade-{}-probe", std::process::id());
    let candidates = own.lines().filter_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "pids") {
            Some(Path::new("/sys/fs/cgroup/pids").join(path))
        } else if controllers.is_empty() {
            Some(Path::new("/sys/fs/cgroup").join(path))
        } else {
            None
        }
    });
    for base in candidates {
        let group = base.join(&name);
        if std::fs::create_dir(&group).is_err() {
            continue;
        }
        let limited = std::fs::write(group.join("pids.max"), "64").is_ok();
        let _ = std::fs::remove_dir(&group);
        if limited {
            return Some(base);
        }
    }
    None
}

/// The hidden `sandbox-enter` command: `[--cgroup DIR]… [--loopback] -- PROGRAM ARGS…`. Joins
/// the control groups, brings the loopback interface up, then becomes `PROGRAM`.
pub fn enter(args: &[OsString]) -> Result<()> {
    let split = args
        .iter()
        .position(|arg| arg == "--")
        .context("sandbox-enter: `--` and a program are needed")?;
    let (options, rest) = (&args[..split], &args[split + 1..]);
    let mut options = options.iter();
    while let Some(option) = options.next() {
        if option == "--cgroup" {
            let group = options
                .next()
                .context("sandbox-enter: --cgroup needs a folder")?;
            let procs = Path::new(group).join("cgroup.procs");
            std::fs::write(&procs, std::process::id().to_string())
                .with_context(|| format!("cannot join the control group {}", procs.display()))?;
        } else if option == "--loopback" {
            let status = Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .stdin(Stdio::null())
                .status()
                .context("cannot run `ip` (iproute2)")?;
            if !status.success() {
                bail!("`ip link set lo up` failed in the sandbox's network namespace");
            }
        } else {
            bail!("sandbox-enter: unknown option {}", option.to_string_lossy());
        }
    }
    let (program, rest) = rest
        .split_first()
        .context("sandbox-enter: no program after `--`")?;
    become_program(program, rest)
}

#[cfg(unix)]
fn become_program(program: &OsString, args: &[OsString]) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let error = Command::new(program).args(args).exec();
    Err(error).with_context(|| format!("cannot run {}", program.to_string_lossy()))
}

#[cfg(not(unix))]
fn become_program(program: &OsString, args: &[OsString]) -> Result<()> {
    let status = Command::new(program).args(args).status()?;
    std::process::exit(status.code().unwrap_or(1));
}

/// The hidden `sandbox-probe PORT` command, run inside the sandbox: a server on its own loopback
/// must answer, and the grader's (on `PORT`) must not.
pub fn probe(args: &[OsString]) -> Result<()> {
    use std::net::{TcpListener, TcpStream};
    let inside = TcpListener::bind("127.0.0.1:0").context("no loopback inside the sandbox")?;
    TcpStream::connect(inside.local_addr()?).context("the sandbox's loopback does not answer")?;
    let port: u16 = args
        .first()
        .and_then(|port| port.to_str()?.parse().ok())
        .context("sandbox-probe: a port is needed")?;
    if TcpStream::connect(("127.0.0.1", port)).is_ok() {
        bail!("the grader's loopback is reachable from the sandbox");
    }
    Ok(())
}
