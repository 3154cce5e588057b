//! PC/SC: the readers pcscd (or WinSCard) knows, waiting for a card on any of them, and reading
//! the card's UID with the PC/SC 2.01 part 3 pseudo-APDU GET DATA `FF CA 00 00 00` (ISO 14443 A
//! UID of 4, 7 or 10 octets, 14443 B PUPI, or FeliCa IDm of 8). A UID is a key to look the card
//! up, not a proof: the server maps it through the card register and flags what it does not
//! know.

use std::ffi::CString;
use std::time::Duration;

/// GET DATA of the UID.
pub const GET_UID: [u8; 5] = [0xFF, 0xCA, 0x00, 0x00, 0x00];

/// A PC/SC failure.
#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    /// pcscd is not running, or no reader is connected.
    #[error("PC/SC: {0}")]
    Pcsc(#[from] pcsc::Error),
    /// The card answered GET DATA with an error status.
    #[error("the card refused GET DATA (SW {0:04X})")]
    Refused(u16),
}

/// A card read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRead {
    /// The reader it was on.
    pub reader: String,
    /// Its ATR (hex).
    pub atr: String,
    /// Its UID / IDm (upper-case hex).
    pub uid: String,
}

/// The PC/SC context and the readers it watches.
pub struct Readers {
    ctx: pcsc::Context,
    states: Vec<pcsc::ReaderState>,
}

impl Readers {
    /// Connects to PC/SC and lists the readers (all of them, or those whose name contains
    /// `only`).
    pub fn open(only: Option<&str>) -> Result<Readers, ReaderError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)?;
        let names = ctx.list_readers_owned()?;
        let states = names
            .into_iter()
            .filter(|n| only.is_none_or(|o| n.to_string_lossy().contains(o)))
            .map(|n| pcsc::ReaderState::new(n, pcsc::State::UNAWARE))
            .collect::<Vec<_>>();
        if states.is_empty() {
            return Err(ReaderError::Pcsc(pcsc::Error::NoReadersAvailable));
        }
        let mut r = Readers { ctx, states };
        // Learn the current state, so a card already on a reader is not read as a new tap.
        r.ctx
            .get_status_change(Duration::from_millis(0), &mut r.states)
            .or_else(ignore_timeout)?;
        for s in &mut r.states {
            s.sync_current_state();
        }
        Ok(r)
    }

    /// The readers' names.
    pub fn names(&self) -> Vec<String> {
        self.states
            .iter()
            .map(|s| s.name().to_string_lossy().into_owned())
            .collect()
    }

    /// Waits up to `timeout` for a card to arrive on a reader, and reads it. Cards that stay on
    /// the reader are read once.
    pub fn next_card(&mut self, timeout: Duration) -> Result<Option<CardRead>, ReaderError> {
        match self.ctx.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let mut arrived = None;
        for s in &mut self.states {
            let before = s.current_state();
            let now = s.event_state();
            if now.contains(pcsc::State::PRESENT)
                && !before.contains(pcsc::State::PRESENT)
                && arrived.is_none()
            {
                arrived = Some((s.name().to_owned(), hex::encode_upper(s.atr())));
            }
            s.sync_current_state();
        }
        let Some((reader, atr)) = arrived else {
            return Ok(None);
        };
        let uid = self.read_uid(&reader)?;
        Ok(Some(CardRead {
            reader: reader.to_string_lossy().into_owned(),
            atr,
            uid,
        }))
    }

    fn read_uid(&self, reader: &CString) -> Result<String, ReaderError> {
        let card = self
            .ctx
            .connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let answer = card.transmit(&GET_UID, &mut buf)?;
        let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        match answer {
            [uid @ .., 0x90, 0x00] if !uid.is_empty() => Ok(hex::encode_upper(uid)),
            [.., sw1, sw2] => Err(ReaderError::Refused(u16::from_be_bytes([*sw1, *sw2]))),
            _ => Err(ReaderError::Refused(0)),
        }
    }
}

fn ignore_timeout(e: pcsc::Error) -> Result<(), pcsc::Error> {
    if e == pcsc::Error::Timeout {
        Ok(())
    } else {
        Err(e)
    }
}
