//! The CLI's own terminal: raw mode for `-t -i`, and its window size so a
//! container PTY can match it.

use nix::sys::termios::{self, SetArg, Termios};
use std::io::IsTerminal;
use std::sync::Mutex;

static SAVED_MODE: Mutex<Option<Termios>> = Mutex::new(None);

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Puts stdin into raw mode when it is a terminal; `restore` undoes it.
pub fn enter_raw_mode() {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return;
    }
    let Ok(original) = termios::tcgetattr(&stdin) else {
        return;
    };
    let mut raw = original.clone();
    termios::cfmakeraw(&mut raw);
    if termios::tcsetattr(&stdin, SetArg::TCSANOW, &raw).is_ok() {
        if let Ok(mut saved) = SAVED_MODE.lock() {
            *saved = Some(original);
        }
    }
}

/// Restores the mode saved by `enter_raw_mode`; safe to call repeatedly.
pub fn restore() {
    let saved = SAVED_MODE.lock().ok().and_then(|mut saved| saved.take());
    if let Some(original) = saved {
        let _ = termios::tcsetattr(std::io::stdin(), SetArg::TCSANOW, &original);
    }
}

/// (rows, cols) of the terminal on stdin, if it is one.
pub fn window_size() -> Option<(u16, u16)> {
    if !stdin_is_terminal() {
        return None;
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the pointed-to struct.
    let result = unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCGWINSZ, &mut size) };
    (result == 0 && size.ws_row > 0).then_some((size.ws_row, size.ws_col))
}
