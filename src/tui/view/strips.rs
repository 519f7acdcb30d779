//! The strips: requests and 429/5xx per column over the range shown, scaled to their usual level, with a legend and a time axis.

use super::*;

pub(super) const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A column over the strip's scale.
pub(super) const CLIPPED: char = '▲';

/// A strip's full cell: the 95th percentile of its non-empty columns, and
/// at least four times their median, so that the usual level sits low
/// and a spike stands out (the busiest column would flatten the rest).
pub(super) fn strip_scale(data: &[u64]) -> u64 {
    let mut nz: Vec<u64> = data.iter().copied().filter(|&v| v > 0).collect();
    nz.sort_unstable();
    let at = |q: usize| nz.get(nz.len().saturating_sub(1) * q / 100).copied().unwrap_or(0);
    at(95).max(at(50).saturating_mul(4))
}

/// Bars scaled to `scale`; columns above it are marked [`CLIPPED`].
pub(super) fn bars(data: &[u64], scale: u64) -> String {
    data.iter()
        .map(|&v| match v {
            0 => ' ',
            _ if scale == 0 => ' ',
            v if v > scale => CLIPPED,
            v => {
                let i = ((v * 8).div_ceil(scale)).clamp(1, 8) as usize - 1;
                BARS.get(i).copied().unwrap_or('█')
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) fn bars_for_test(data: &[u64], scale: u64) -> String {
    bars(data, scale)
}

#[cfg(test)]
pub(crate) fn strip_scale_for_test(data: &[u64]) -> u64 {
    strip_scale(data)
}

/// What a full cell means, per minute: `█=120/min`.
pub(super) fn legend(scale: u64, bucket_secs: f64) -> String {
    let per_min = scale as f64 * 60.0 / bucket_secs.max(1e-3);
    if scale == 0 {
        String::new()
    } else if per_min >= 10.0 {
        format!("█={}/min", thousands(per_min.round() as u64))
    } else {
        format!("█={per_min:.1}/min")
    }
}

/// Columns at the strips' right end for the legend.
pub(super) const LEGEND_W: usize = 13;

/// Columns at the strips' left for the row names.
pub(super) const LABEL_W: usize = 9;

/// Tick spacing for the axis: the smallest that leaves room for labels.
pub(super) fn tick_every(span_ms: i64, columns: usize) -> i64 {
    const MIN: i64 = 60_000;
    let steps = [
        MIN,
        2 * MIN,
        5 * MIN,
        10 * MIN,
        30 * MIN,
        60 * MIN,
        180 * MIN,
        360 * MIN,
        720 * MIN,
        1440 * MIN,
        2880 * MIN,
        10080 * MIN,
    ];
    let room = (columns / 8).max(1) as i64;
    steps.into_iter().find(|s| span_ms / s <= room).unwrap_or(10080 * MIN)
}

/// The time axis under the strips: ticks at round times (days over long
/// spans, else hours or minutes; a day's first tick says its date), the
/// selection marked `↑`, the zoom named on the left.
pub(super) fn axis(app: &App, first_s: i64, last_s: i64, w: usize) -> String {
    let (first, last) = (first_s.saturating_mul(1000), last_s.saturating_mul(1000).saturating_add(999));
    let span = (last - first).max(1);
    let mut row: Vec<char> = vec![' '; w];
    let col = |t: i64| ((i128::from(t - first) * w as i128) / i128::from(span)) as usize;
    let every = tick_every(span, w);
    // Ticks fall on round times of the zone shown.
    let offset = if app.utc { 0 } else { i64::from(Local::now().offset().local_minus_utc()) * 1000 };
    let mut t = (first + offset).div_euclid(every) * every - offset;
    if t < first {
        t += every;
    }
    let mut free = 0usize;
    while t <= last {
        let c = col(t);
        let midnight = (t + offset).rem_euclid(86_400_000) == 0;
        let label =
            if every >= 86_400_000 || midnight { fmt_time(t, app.utc, "%m-%d") } else { fmt_time(t, app.utc, "%H:%M") };
        let text: Vec<char> = format!("╵{label}").chars().collect();
        if c >= free && c + text.len() <= w {
            for (i, ch) in text.iter().enumerate() {
                if let Some(x) = row.get_mut(c + i) {
                    *x = *ch;
                }
            }
            free = c + text.len() + 1;
        }
        t += every;
    }
    if let Some((_, r)) = app.selected_record()
        && (first..=last).contains(&r.ts())
        && let Some(x) = row.get_mut(col(r.ts()).min(w.saturating_sub(1)))
    {
        *x = '↑';
    }
    let zoom = match app.zoom {
        crate::tui::app::Zoom::All => "all",
        z => z.name(),
    };
    format!("{:<LABEL_W$}{}", format!(" {zoom}"), row.into_iter().collect::<String>())
}

pub(super) fn rate_strip(app: &App, width: u16) -> Vec<Line<'static>> {
    let theme = Theme::from_env();
    let w = (width as usize).saturating_sub(LABEL_W + LEGEND_W + 1).max(1);
    let (req, bad) = app.rate_buckets(w);
    let (first, last) = app.strip_range().unwrap_or_default();
    let bucket_secs = (last - first + 1) as f64 / w as f64;
    let row = |name: &str, data: &[u64], color: Color| {
        let scale = strip_scale(data);
        Line::from(vec![
            Span::raw(format!("{name:<LABEL_W$}")),
            Span::styled(bars(data, scale), theme.fg(color)),
            Span::raw(format!(" {:<LEGEND_W$}", legend(scale, bucket_secs))),
        ])
    };
    let mut lines = vec![
        row(" req", &req, Color::Cyan),
        // 429 and 5xx responses, and error-level log entries.
        row(" 429/5xx", &bad, Color::Red),
    ];
    if app.strip_range().is_some() {
        lines.push(Line::from(Span::styled(axis(app, first, last, w), theme.fg(Color::DarkGray))));
    }
    lines
}
