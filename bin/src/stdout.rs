//! Standard output for the verbs. A reader that goes away early
//! (`ctswitch dump-flows | head`) ends the program quietly, with the
//! status of a program SIGPIPE ended, as it ends ovs-ofctl; `println!`
//! would panic instead. A failure to write for any other reason (a full
//! disk) is reported on stderr and ends the program with status 1.
//!
//! Verbs print through [`out!`] and [`outln!`], never `print!`.

use std::fmt::Arguments;
use std::io::{self, Write};

/// What a shell reports for a program ended by SIGPIPE (128 + 13).
const BROKEN_PIPE_STATUS: i32 = 141;

/// Writes `args` to standard output, then a newline if `newline`.
pub fn write(args: Arguments<'_>, newline: bool) {
    let mut stdout = io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| {
        if newline {
            stdout.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        std::process::exit(exit_status(&e));
    }
}

/// The status to end with after `error` writing standard output.
fn exit_status(error: &io::Error) -> i32 {
    if error.kind() == io::ErrorKind::BrokenPipe {
        BROKEN_PIPE_STATUS
    } else {
        eprintln!("ctswitch: writing standard output: {error}");
        1
    }
}

/// `print!` that ends the program quietly when standard output is gone.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*), false)
    };
}

/// `println!` that ends the program quietly when standard output is gone.
macro_rules! outln {
    () => {
        $crate::stdout::write(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(format_args!($($arg)*), true)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_ends_quietly_with_sigpipes_status() {
        let closed = io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(exit_status(&closed), 141);
        let full = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(exit_status(&full), 1);
    }
}
