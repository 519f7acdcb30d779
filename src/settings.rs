//! What the screen and the headless commands run with, whoever decided it:
//! the paths, the time window, the thresholds, the audit's limits, the
//! channel secrets, masking and the config file's other tables. The command
//! line fills it in (flags over the config file over defaults, see
//! [`crate::config`]); the engine and the screen read it and know nothing
//! of flags.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::Thresholds;
use crate::audit::Audit;
use crate::config::FileConfig;
use crate::ingest::Window;
use crate::mask::Mask;
use crate::signature::Secrets;
use crate::store::Store;

#[derive(Debug, Default)]
pub struct Settings {
    /// Files or directories to read; `-` is standard input.
    pub paths: Vec<PathBuf>,
    /// Records outside it are not kept.
    pub window: Window,
    pub thresholds: Thresholds,
    pub audit: Audit,
    /// Channel secrets for verifying webhook signatures (never printed).
    pub secrets: Option<Arc<Secrets>>,
    pub mask: Mask,
    /// The config file as read (its keys table, formats, …), or defaults.
    pub file: FileConfig,
}

impl Settings {
    /// An empty store for `what`, that verifies signatures with the
    /// settings' secrets.
    pub fn store(&self, what: crate::store::StoreUse) -> Store {
        let mut s = Store::for_use(what);
        s.secrets = self.secrets.clone();
        s
    }
}
