//! The help overlay: every key and its action.

use super::*;

pub(super) fn help(f: &mut Frame, app: &App, area: Rect) {
    let w = area.width.min(78);
    let h = area.height.min(app.keymap.entries().count() as u16 + 4);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, r);
    let mut lines = vec![Line::from(" Keys (remap them in the config file's [keys] table)")];
    for (a, keys) in app.keymap.entries() {
        lines.push(Line::from(format!(" {:<16} {}", keys.join(" "), a.describe())));
    }
    f.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Help (any key closes) ")), r);
}
