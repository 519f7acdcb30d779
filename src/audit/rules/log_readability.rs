//! `log-readability`: see its entry below.

use super::super::*;
use super::{Rule, RuleInfo};

pub(super) const RULE: RuleInfo = RuleInfo {
    rule: Rule::LogReadability,
    id: "log-readability",
    severity: "warning",
    guideline: "Save logs (logs an investigation can read: add the format with `[[formats]]`)",
    doc: "Per source: a file of more than 20 lines in which no LINE request or receipt was recognised, or with more than 10 % of its lines unparsed; names the file, the unparsed share and its largest shapes, so `audit --fail-on warning` fails on logs it cannot read.",
    check: |i, out| check(i.cx, out),
};

/// A file this large with nothing read, or this share unparsed, is flagged.
const READABLE_MIN_LINES: u64 = 20;

const READABLE_MAX_UNPARSED_PERCENT: u64 = 10;

/// Files linelens cannot read well: more than 20 lines and no LINE request
/// or receipt recognised, or more than 10 % of the lines unparsed (`audit
/// --fail-on warning` then fails on logs it cannot read).
/// Cost: one pass over the sources, then one over the records for up to 20
/// unparsed examples of each flagged file: O(records + sources).
fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    let flagged: Vec<usize> = cx
        .store
        .sources
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let lines = s.lines();
            lines > READABLE_MIN_LINES
                && (s.line_records == 0 || s.unparsed * 100 > lines * READABLE_MAX_UNPARSED_PERCENT)
        })
        .map(|(i, _)| i)
        .collect();
    if flagged.is_empty() {
        return;
    }
    let mut is_flagged = vec![false; cx.store.sources.len()];
    for &i in &flagged {
        if let Some(f) = is_flagged.get_mut(i) {
            *f = true;
        }
    }
    let mut examples: HashMap<u32, Vec<RecordId>> = HashMap::default();
    for (id, r) in cx.store.iter_kinds(|k| k == Kind::Unparsed) {
        if is_flagged.get(r.source() as usize).copied().unwrap_or(false) {
            let v = examples.entry(r.source()).or_default();
            if v.len() < 20 {
                v.push(id);
            }
        }
    }
    for si in flagged {
        let Some(s) = cx.store.sources.get(si) else { continue };
        let lines = s.lines();
        let pct = (s.unparsed * 1000 / lines.max(1)) as f64 / 10.0;
        let shapes = cx.store.shapes(Some(si as u32), 3);
        let shown: Vec<String> = shapes
            .iter()
            .map(|x| format!("\"{}\" ×{}", crate::escape::truncate(x.shape, 40), n(x.count as usize)))
            .collect();
        let what = if s.line_records == 0 { "no LINE request or receipt recognised; " } else { "" };
        let msg = format!(
            "{}: {what}{pct} % of {} lines unparsed{}",
            s.display,
            n(lines as usize),
            if shown.is_empty() { String::new() } else { format!("; largest shapes {}", shown.join(", ")) }
        );
        let ex = examples.remove(&(si as u32)).unwrap_or_default();
        out.push(finding(
            cx.store,
            Rule::LogReadability,
            Severity::Warning,
            guideline::READABLE_LOGS,
            msg,
            s.unparsed,
            ex,
        ));
    }
}
