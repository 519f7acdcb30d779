//! The key bar at the bottom: the keys that act in the focused pane.

use super::*;

/// The key bar, from the effective keymap.
pub(super) fn key_bar(app: &App, width: u16) -> Line<'static> {
    if let Some(i) = &app.input {
        let prompt = match i.kind {
            crate::tui::app::InputKind::Filter => "/",
            crate::tui::app::InputKind::Time => "jump to time (HH:MM[:SS] or RFC 3339): ",
        };
        return Line::from(format!(" {prompt}{}▏  (enter keeps, esc cancels)", safe(app.mask, &i.text, 100)));
    }
    if let Some(m) = &app.message {
        return Line::from(format!(" {}", safe(app.mask, m, 200)));
    }
    let k = |a: Action| app.keymap.keys(a).first().cloned().unwrap_or_default();
    let pair = |a: Action, b: Action| format!("{}/{}", k(a), k(b));
    let zoom = format!("{}/{}", k(Action::ZoomIn), k(Action::ZoomOut));
    if width < 110 {
        // Narrow: the keys most needed, shorter words (`?` lists them all).
        return Line::from(format!(
            " {} help {} filter {} alerts {} open {} back {} err {} 429 {} time {zoom} zoom {} quit",
            k(Action::Help),
            k(Action::Filter),
            k(Action::Alerts),
            if k(Action::Open) == "enter" { "⏎".to_owned() } else { k(Action::Open) },
            if k(Action::Back) == "backspace" { "⌫".to_owned() } else { k(Action::Back) },
            k(Action::NextError),
            k(Action::Next429),
            k(Action::JumpToTime),
            k(Action::Quit),
        ));
    }
    Line::from(format!(
        " {} help  {} filter  {} pane  {} alerts  {} open  {} back  {} error  {} 429  {} time  {zoom} zoom  {} quit",
        k(Action::Help),
        k(Action::Filter),
        k(Action::NextPane),
        k(Action::Alerts),
        k(Action::Open),
        k(Action::Back),
        pair(Action::NextError, Action::PrevError),
        pair(Action::Next429, Action::Prev429),
        k(Action::JumpToTime),
        k(Action::Quit),
    ))
}
