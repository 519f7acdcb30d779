//! What a key means ([`Action`]) and the keymap that resolves keys to it.
//!
//! The default keymap is `keymap.toml` beside this file (`action = ["key",
//! …]`); the config file's `[keys]` table replaces the keys of the actions it
//! names. The help screen is generated from the effective keymap.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// Everything a key can do, named as in the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    MoveDown,
    MoveUp,
    PageDown,
    PageUp,
    First,
    Last,
    NextPane,
    Open,
    Back,
    Expand,
    Collapse,
    Alerts,
    ZoomIn,
    ZoomOut,
    Filter,
    NextMatch,
    PrevMatch,
    NextError,
    PrevError,
    Next429,
    Prev429,
    JumpToTime,
    ToggleUtc,
    ToggleFollow,
    Help,
    Quit,
}

impl Action {
    /// One line for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Action::MoveDown => "next row",
            Action::MoveUp => "previous row",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::First => "first record",
            Action::Last => "last record (and follow again)",
            Action::NextPane => "switch pane (alerts, timeline, detail)",
            Action::Open => "open: narrow to an alert's records, or jump to a linked record",
            Action::Back => "back (close the open alert group, or undo the last narrowing, jump or filter)",
            Action::Expand => "open the selected alert group into its occurrences",
            Action::Collapse => "close the open alert group",
            Action::Alerts => "show the alerts list (in place of the timeline on a small terminal)",
            Action::ZoomIn => "zoom the strips and timeline in: whole range → day → hour → 10 min",
            Action::ZoomOut => "zoom out",
            Action::Filter => "filter: fuzzy text, and kind: status: user: path: ip: type: id: terms",
            Action::NextMatch => "next match of the last filter in the current view",
            Action::PrevMatch => "previous match of the last filter in the current view",
            Action::NextError => "next error (4xx/5xx, error logs)",
            Action::PrevError => "previous error",
            Action::Next429 => "next 429",
            Action::Prev429 => "previous 429",
            Action::JumpToTime => "jump to a time (HH:MM[:SS] on the selected day, or RFC 3339)",
            Action::ToggleUtc => "UTC / local time",
            Action::ToggleFollow => "follow new records on/off",
            Action::Help => "this help",
            Action::Quit => "quit",
        }
    }
}

const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// A key as written in a keymap: `j`, `G`, `down`, `pgdn`, `enter`, `ctrl-c`…
fn parse_key(s: &str) -> Option<KeyEvent> {
    let (mods, name) = match s.strip_prefix("ctrl-") {
        Some(rest) => (KeyModifiers::CONTROL, rest),
        None => (KeyModifiers::NONE, s),
    };
    let code = match name {
        "down" => KeyCode::Down,
        "up" => KeyCode::Up,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "pgup" | "pageup" => KeyCode::PageUp,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "backspace" => KeyCode::Backspace,
        "tab" => KeyCode::Tab,
        "space" => KeyCode::Char(' '),
        one if one.chars().count() == 1 => KeyCode::Char(one.chars().next()?),
        _ => return None,
    };
    Some(KeyEvent::new(code, mods))
}

/// Keys → actions, and the reverse for the help screen and key bar.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<String>>,
}

impl Keymap {
    /// The defaults with `overrides` (action name → keys) applied.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap, String> {
        let mut by_action: BTreeMap<Action, Vec<String>> =
            toml::from_str(DEFAULT_KEYMAP).map_err(|e| format!("built-in keymap: {}", e.message()))?;
        for (name, keys) in overrides {
            let action: Action = serde::de::Deserialize::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(name))
            .map_err(|_| format!("keys: unknown action `{name}`"))?;
            for k in keys {
                if parse_key(k).is_none() {
                    return Err(format!("keys.{name}: unknown key `{k}`"));
                }
            }
            by_action.insert(action, keys.clone());
        }
        Ok(Keymap { by_action })
    }

    /// The action a key press means.
    pub fn resolve(&self, key: KeyEvent) -> Option<Action> {
        // Ctrl-C always quits, whatever the keymap says.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        let mods = key.modifiers - KeyModifiers::SHIFT;
        self.by_action.iter().find_map(|(a, keys)| {
            keys.iter().filter_map(|k| parse_key(k)).any(|k| k.code == key.code && k.modifiers == mods).then_some(*a)
        })
    }

    /// The keys bound to an action, as written.
    pub fn keys(&self, a: Action) -> &[String] {
        self.by_action.get(&a).map_or(&[], Vec::as_slice)
    }

    /// Every action with its keys, in a stable order.
    pub fn entries(&self) -> impl Iterator<Item = (Action, &[String])> {
        self.by_action.iter().map(|(a, k)| (*a, k.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_and_overrides() {
        let km = Keymap::new(&BTreeMap::new()).unwrap();
        assert_eq!(km.resolve(key('j')), Some(Action::MoveDown));
        assert_eq!(km.resolve(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)), Some(Action::MoveDown));
        assert_eq!(km.resolve(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Last));
        assert_eq!(km.resolve(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(km.resolve(key('x')), None);
        // every action has a key
        let all = km.entries().count();
        assert_eq!(all, 26);
        let over = BTreeMap::from([("move_down".to_owned(), vec!["x".to_owned()])]);
        let km = Keymap::new(&over).unwrap();
        assert_eq!(km.resolve(key('x')), Some(Action::MoveDown));
        assert_eq!(km.resolve(key('j')), None);
        assert!(Keymap::new(&BTreeMap::from([("fly".to_owned(), vec!["x".to_owned()])])).unwrap_err().contains("fly"));
        assert!(Keymap::new(&BTreeMap::from([("quit".to_owned(), vec!["hyper-x".to_owned()])])).is_err());
    }
}
