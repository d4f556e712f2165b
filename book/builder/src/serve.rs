//! A tiny static file server for the built book, on 127.0.0.1 only, std only.
//!
//! The browser check needs pages over HTTP (mdBook's search and sidebar are JavaScript), and
//! `--watch` shows the book at a stable address. `?theme=navy` on a page stores that theme for
//! the page's scripts before they run, so a screenshot can show the dark theme.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::thread;

use anyhow::{Context, Result};

/// Serves `root` on `127.0.0.1:port` (0 for any free port) from a background thread; returns
/// the address it listens on.
pub fn start(root: &Path, port: u16) -> Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}; is it in use? try --port"))?;
    let addr = listener.local_addr()?;
    let root = root.to_path_buf();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            thread::spawn(move || {
                // A browser that goes away mid-answer is not an error worth reporting.
                let _ = answer(&root, stream);
            });
        }
    });
    Ok(addr)
}

fn answer(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    // A request line longer than this is not one of ours.
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let theme = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("theme="))
        .filter(|theme| theme.chars().all(|c| c.is_ascii_alphanumeric()));

    let (status, file) = match local_path(root, path) {
        Some(file) if file.is_file() => ("200 OK", file),
        _ => ("404 Not Found", root.join("404.html")),
    };
    let mut body = fs::read(&file).unwrap_or_default();
    if let Some(theme) = theme {
        body = with_theme(&body, theme);
    }
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        content_type(&file),
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

/// The file under `root` that a URL path names, or `None` if it tries to leave `root`.
fn local_path(root: &Path, url_path: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for part in url_path.split('/').filter(|part| !part.is_empty()) {
        let part = part.replace("%20", " ");
        let component = Path::new(&part).components().next()?;
        if !matches!(component, Component::Normal(_)) || Path::new(&part).components().count() != 1
        {
            return None;
        }
        path.push(part);
    }
    if path.is_dir() {
        path.push("index.html");
    }
    Some(path)
}

/// The page with a script, first in its `<head>`, that stores `theme` where mdBook looks.
fn with_theme(page: &[u8], theme: &str) -> Vec<u8> {
    let page = String::from_utf8_lossy(page);
    let script = format!(
        "<head>\n<script>try {{ localStorage.setItem('mdbook-theme', '{theme}'); }} catch (e) {{}}</script>"
    );
    page.replacen("<head>", &script, 1).into_bytes()
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" | "md" | "rs" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
