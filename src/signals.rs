//! Signals as a channel, for the loops that wait on several (`select!`).

use crossbeam_channel::{Receiver, unbounded};

/// A message on the channel for each of `signals` received (e.g.
/// `signal_hook::consts::SIGTERM`). If the handler cannot be installed the
/// channel stays silent and the default action applies.
pub fn channel(signals: &[i32]) -> Receiver<()> {
    let (tx, rx) = unbounded();
    if let Ok(mut s) = signal_hook::iterator::Signals::new(signals) {
        std::thread::spawn(move || {
            for _ in s.forever() {
                if tx.send(()).is_err() {
                    break;
                }
            }
        });
    }
    rx
}
