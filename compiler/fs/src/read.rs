//! Reading a file: a regular file only, and at most a given number of bytes.
//!
//! Opening a FIFO for reading blocks until something writes to it, and a
//! device such as `/dev/zero` never ends; neither may stall `pipec` in a
//! pre-commit hook. So the path is looked at before it is opened (a special
//! file is refused without being opened), opened without blocking, and looked
//! at again through the open file, in case it changed in between. The limit is
//! enforced while reading: at most `limit + 1` bytes are ever read.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Refusal, describe};

/// Flags for every read: never block on a FIFO, never make a terminal the
/// controlling one.
pub(crate) const READ_FLAGS: i32 =
    rustix::fs::OFlags::NONBLOCK.bits() as i32 | rustix::fs::OFlags::NOCTTY.bits() as i32;

/// The contents of the regular file at `path` (symbolic links followed), at
/// most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular {
            what: describe(meta.file_type()),
        }
        .into());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(READ_FLAGS)
        .open(path)?;
    read_open(file, limit)
}

/// The contents of the regular file at `path`, decoded as UTF-8.
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read(path, limit)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not valid UTF-8 text (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads an open file: it must be a regular file, of at most `limit` bytes.
pub(crate) fn read_open(file: File, limit: u64) -> io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular {
            what: describe(meta.file_type()),
        }
        .into());
    }
    let expected = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected + 1);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooLarge { limit }.into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pipec-fs-read-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_regular_files_up_to_the_limit() {
        let dir = scratch("limit");
        let f = dir.join("a");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read(&f, 5).unwrap(), b"12345");
        let e = read(&f, 4).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::TooLarge { limit: 4 }));
    }

    #[test]
    fn refuses_devices_fifos_and_directories_without_blocking() {
        let dir = scratch("special");
        let e = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::NotRegular { what: "a device" }));
        let link = dir.join("zero.yml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(read(&link, 1 << 20).is_err());
        let fifo = dir.join("fifo.pipe");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = read(&fifo, 1 << 20).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::NotRegular { what: "a FIFO" }));
        assert!(read(&dir, 10).is_err());
        // Opened without blocking, the open file is still refused.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(READ_FLAGS)
            .open(&fifo)
            .unwrap();
        assert!(read_open(file, 10).is_err());
    }
}
