//! Framing for the attach socket: one tag byte, a big-endian u32 length,
//! then the payload. Stdout and stderr travel as separate frame kinds so the
//! CLI can keep the streams apart.

use std::io::{self, Read, Write};

const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Stdin(Vec<u8>),
    StdinEof,
    Resize {
        rows: u16,
        cols: u16,
    },
    /// The process is running; its host pid.
    Started(i32),
    /// The process could not be started; Apple-style error text.
    Failed(String),
    /// The process ended with this code (128 + signal when killed).
    Exit(i32),
    /// An `exec` request, JSON-encoded.
    Exec(Vec<u8>),
}

impl Frame {
    fn encode(&self) -> (u8, Vec<u8>) {
        match self {
            Frame::Stdout(bytes) => (1, bytes.clone()),
            Frame::Stderr(bytes) => (2, bytes.clone()),
            Frame::Stdin(bytes) => (3, bytes.clone()),
            Frame::StdinEof => (4, Vec::new()),
            Frame::Resize { rows, cols } => {
                let mut payload = rows.to_be_bytes().to_vec();
                payload.extend_from_slice(&cols.to_be_bytes());
                (5, payload)
            }
            Frame::Started(pid) => (6, pid.to_be_bytes().to_vec()),
            Frame::Failed(text) => (7, text.as_bytes().to_vec()),
            Frame::Exit(code) => (8, code.to_be_bytes().to_vec()),
            Frame::Exec(json) => (9, json.clone()),
        }
    }

    fn decode(tag: u8, payload: Vec<u8>) -> io::Result<Frame> {
        let int = |payload: &[u8]| -> io::Result<i32> {
            let bytes: [u8; 4] = payload
                .try_into()
                .map_err(|_| invalid("bad integer frame"))?;
            Ok(i32::from_be_bytes(bytes))
        };
        Ok(match tag {
            1 => Frame::Stdout(payload),
            2 => Frame::Stderr(payload),
            3 => Frame::Stdin(payload),
            4 => Frame::StdinEof,
            5 if payload.len() == 4 => Frame::Resize {
                rows: u16::from_be_bytes([payload[0], payload[1]]),
                cols: u16::from_be_bytes([payload[2], payload[3]]),
            },
            6 => Frame::Started(int(&payload)?),
            7 => Frame::Failed(String::from_utf8_lossy(&payload).into_owned()),
            8 => Frame::Exit(int(&payload)?),
            9 => Frame::Exec(payload),
            _ => return Err(invalid("unknown frame")),
        })
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

pub fn write_frame(writer: &mut impl Write, frame: &Frame) -> io::Result<()> {
    let (tag, payload) = frame.encode();
    let mut buffer = Vec::with_capacity(5 + payload.len());
    buffer.push(tag);
    buffer.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    buffer.extend_from_slice(&payload);
    writer.write_all(&buffer)?;
    writer.flush()
}

/// The next frame, or `None` at a clean end of stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut header = [0u8; 5];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if length > MAX_PAYLOAD {
        return Err(invalid("frame too large"));
    }
    let mut payload = vec![0u8; length];
    reader.read_exact(&mut payload)?;
    Frame::decode(header[0], payload).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_kind_round_trips() {
        let frames = vec![
            Frame::Stdout(b"out".to_vec()),
            Frame::Stderr(b"err".to_vec()),
            Frame::Stdin(Vec::new()),
            Frame::StdinEof,
            Frame::Resize {
                rows: 40,
                cols: 120,
            },
            Frame::Started(4242),
            Frame::Failed("no such file".into()),
            Frame::Exit(-1),
            Frame::Exec(b"{}".to_vec()),
        ];
        let mut wire = Vec::new();
        for frame in &frames {
            write_frame(&mut wire, frame).unwrap();
        }
        let mut reader = wire.as_slice();
        for frame in &frames {
            assert_eq!(read_frame(&mut reader).unwrap().as_ref(), Some(frame));
        }
        assert_eq!(read_frame(&mut reader).unwrap(), None);
    }

    #[test]
    fn truncated_payload_is_an_error() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &Frame::Stdout(b"hello".to_vec())).unwrap();
        wire.truncate(7);
        assert!(read_frame(&mut wire.as_slice()).is_err());
    }
}
