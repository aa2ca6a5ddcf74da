//! Why pipec refused a path, carried inside `std::io::Error`.

use std::io;

/// A path pipec will not read or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The entry itself is not a regular file: `what` says what it is ("a
    /// symbolic link", "a FIFO", "a directory", …).
    NotRegular { what: &'static str },
    /// A directory on the way to the path is a symbolic link (or not a
    /// directory); `at` is that directory, relative to where the walk began.
    NotADirectory { at: String, what: &'static str },
    /// The file is larger than `limit` bytes; reading stopped there.
    TooLarge { limit: u64 },
    /// Not a plain relative path (absolute, `..`, empty names, backslashes).
    NotPlain { path: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotRegular { what } => {
                write!(f, "it is {what}, not a regular file")
            }
            Refusal::NotADirectory { at, what } if *what == "a symbolic link" => write!(
                f,
                "`{at}` is a symbolic link; pipec does not follow symbolic links in the output directory"
            ),
            Refusal::NotADirectory { at, what } => write!(f, "`{at}` is {what}, not a directory"),
            Refusal::TooLarge { limit } => {
                write!(f, "the file is larger than {} MiB", limit >> 20)
            }
            Refusal::NotPlain { path } => write!(
                f,
                "`{path}` is not a plain relative path inside the directory"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for io::Error {
    fn from(r: Refusal) -> io::Error {
        let kind = match r {
            Refusal::TooLarge { .. } => io::ErrorKind::FileTooLarge,
            Refusal::NotPlain { .. } => io::ErrorKind::InvalidInput,
            Refusal::NotRegular { .. } | Refusal::NotADirectory { .. } => {
                io::ErrorKind::InvalidInput
            }
        };
        io::Error::new(kind, r)
    }
}

/// The refusal an error carries, if it is one.
pub fn refusal(e: &io::Error) -> Option<&Refusal> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
}

/// What a file type is, in words.
pub(crate) fn describe(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}
