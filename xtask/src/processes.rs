//! Waiting for, reading and ending a process with everything it started: the runner's builds
//! and test programs run code it cannot trust (build scripts, the student's tests), which may
//! start processes of its own, never end, or print without end.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Waits for `child` to end, until `deadline`: how it ended, or `None` when it still runs then.
/// (std has no wait with a timeout; the child is asked again every few milliseconds.)
pub fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// One output pipe of a child, read on a thread of its own into a buffer that can be taken
/// even while the thread still waits on the pipe (a process that escaped [`end_tree`] may hold
/// it open).
pub struct Drain {
    kept: Arc<Mutex<Vec<u8>>>,
    done: Receiver<()>,
}

impl Drain {
    /// Reads `pipe` to its end, keeping at most `cap` bytes and dropping the rest.
    pub fn start(mut pipe: impl Read + Send + 'static, cap: usize) -> Drain {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let (finished, done) = mpsc::channel();
        let buffer = Arc::clone(&kept);
        thread::spawn(move || {
            let mut chunk = [0; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut kept = buffer.lock().unwrap_or_else(PoisonError::into_inner);
                        let room = cap.saturating_sub(kept.len());
                        kept.extend_from_slice(&chunk[..n.min(room)]);
                    }
                }
            }
            let _ = finished.send(());
        });
        Drain { kept, done }
    }

    /// What came through the pipe: all of it once it closes, or what came within `grace`.
    pub fn finish(self, grace: Duration) -> Vec<u8> {
        let _ = self.done.recv_timeout(grace);
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.clone()
    }
}

/// Starts `command`'s process in a process group of its own on Unix, so that ending the group
/// ends whatever it started too, even what outlived its parent. (A process in its own group does
/// not get the terminal's Ctrl-C; the test programs end by themselves once their tests have, as
/// every test has a watchdog.)
pub fn own_group(command: &mut Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    #[cfg(not(unix))]
    let _ = command;
}

/// Ends `child` and every process it started that still runs: cargo with the compilers and build
/// scripts under it, or a test program with whatever the student's code started. The tree is
/// collected before anything is killed, because a process whose parent is gone is no longer
/// found under it; a child started in a process group of its own (see [`own_group`]) takes its
/// group with it, which catches the processes that outlived their parent. No crate and no
/// unsafe code: the systems' own `pgrep` and `kill`, or `taskkill`.
pub fn end_tree(child: &mut Child) {
    #[cfg(unix)]
    {
        let mut tree = vec![child.id().to_string()];
        let mut next = 0;
        while next < tree.len() && tree.len() < 10_000 {
            let children = Command::new("pgrep")
                .args(["-P", &tree[next]])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output();
            if let Ok(children) = children {
                tree.extend(
                    String::from_utf8_lossy(&children.stdout)
                        .split_whitespace()
                        .map(str::to_owned),
                );
            }
            next += 1;
        }
        // `-PID` is the group whose leader is the child, if it leads one; otherwise no group has
        // that number, and `kill` says so and kills the others.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-9", "--", &group])
            .args(&tree)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(windows)]
    {
        let _ = Command::new("taskkill")
            .args(["/F", "/T", "/PID", &child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}
