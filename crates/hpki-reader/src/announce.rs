//! What the reception sees and hears: one line per tap on the terminal (Japanese, then English),
//! and, with `--say`, the Japanese message given to a speech program (`espeak-ng -v ja`,
//! `spd-say -l ja`, …) so the doctor hears the result without looking.

use std::process::{Command, Stdio};

use hpki_text::Text;

/// Where the announcements go.
pub struct Announcer {
    say: Option<Vec<String>>,
}

impl Announcer {
    /// Announces on the terminal, and through the speech command `say` (a program and its
    /// arguments, the message appended) when given.
    pub fn new(say: Option<&str>) -> Announcer {
        Announcer {
            say: say
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .filter(|v: &Vec<String>| !v.is_empty()),
        }
    }

    /// Shows `text` (with `who`, when known) and speaks it.
    pub fn tell(&self, text: &Text, who: Option<&str>) {
        let who = who.map(|w| format!("{w}　")).unwrap_or_default();
        println!("{who}{} / {}", text.ja, text.en);
        if let Some((program, args)) = self.say.as_ref().and_then(|v| v.split_first()) {
            // Spoken in the background: the next card is not kept waiting for the voice.
            let _ = Command::new(program)
                .args(args)
                .arg(&text.ja)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
        }
    }
}
