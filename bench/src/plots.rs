//! SVG plots of a run, ours beside the reference: broadcast latency percentiles and relay memory
//! against the number of connections (from the idle steps), and the chat latency percentiles.

use std::path::Path;

use plotters::prelude::*;

use crate::report::RunResults;
use crate::scenario::idle::IdleResults;

const OURS: RGBColor = RGBColor(31, 119, 180);
const REFERENCE: RGBColor = RGBColor(214, 39, 40);
/// The second series of each relay (agent → shopper).
const OURS_LIGHT: RGBColor = RGBColor(120, 175, 225);
const REFERENCE_LIGHT: RGBColor = RGBColor(240, 140, 130);
/// The third series of each relay (p99).
const OURS_DARK: RGBColor = RGBColor(10, 50, 110);
const REFERENCE_DARK: RGBColor = RGBColor(120, 10, 10);
const SIZE: (u32, u32) = (900, 540);

#[derive(Debug, thiserror::Error)]
#[error("cannot draw {file}: {message}")]
pub struct PlotError {
    file: String,
    message: String,
}

/// Draws every plot the results have data for into `dir`; returns the files written.
pub fn draw_all(dir: &Path, results: &RunResults) -> Result<Vec<String>, PlotError> {
    let mut written = Vec::new();
    let ours = results.ours.idle.as_ref();
    let reference = results.reference.as_ref().and_then(|r| r.idle.as_ref());
    if let Some(ours) = ours {
        let file = "broadcast-latency.svg";
        broadcast_latency(&dir.join(file), ours, reference)
            .map_err(|message| PlotError { file: file.into(), message })?;
        written.push(file.to_owned());
        let file = "memory.svg";
        memory(&dir.join(file), ours, reference).map_err(|message| PlotError { file: file.into(), message })?;
        written.push(file.to_owned());
    }
    if let Some(chat) = &results.ours.chat {
        let file = "chat-latency.svg";
        let theirs = results.reference.as_ref().and_then(|r| r.chat.as_ref());
        chat_latency(&dir.join(file), chat, theirs).map_err(|message| PlotError { file: file.into(), message })?;
        written.push(file.to_owned());
    }
    Ok(written)
}

type Series = (String, RGBColor, bool, Vec<(f64, f64)>);

fn broadcast_latency(path: &Path, ours: &IdleResults, reference: Option<&IdleResults>) -> Result<(), String> {
    let mut series: Vec<Series> = Vec::new();
    let relays = [
        (Some(ours), "ours", [OURS_LIGHT, OURS, OURS_DARK], false),
        (reference, "socket.io", [REFERENCE_LIGHT, REFERENCE, REFERENCE_DARK], true),
    ];
    for (results, label, shades, dashed) in relays {
        let Some(results) = results else { continue };
        type Pick = fn(&crate::stats::Percentiles) -> f64;
        let picks: [(&str, Pick); 3] = [("p50", |p| p.p50_ms), ("p95", |p| p.p95_ms), ("p99", |p| p.p99_ms)];
        for ((which, pick), color) in picks.into_iter().zip(shades) {
            let points = results.steps.iter().map(|s| (s.connections as f64, pick(&s.broadcast).max(0.01))).collect();
            series.push((format!("{label} {which}"), color, dashed, points));
        }
    }
    let limit = ours.latency_limit_ms;
    let x_max = max_x(&series);
    let y_max = series.iter().flat_map(|s| s.3.iter().map(|p| p.1)).fold(limit * 2.0, f64::max);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Presence broadcast to every idle shopper: receive latency", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, (0.1f64..y_max * 1.5).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("idle shoppers connected")
        .y_desc("latency (ms, log scale)")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(DashedLineSeries::new([(0.0, limit), (x_max, limit)], 4, 4, BLACK.stroke_width(1)))
        .map_err(|e| e.to_string())?
        .label(format!("{limit:.0} ms"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK));
    draw_series(&mut chart, &series)?;
    finish(&mut chart, root)
}

fn memory(path: &Path, ours: &IdleResults, reference: Option<&IdleResults>) -> Result<(), String> {
    let mut series: Vec<Series> = Vec::new();
    for (results, label, color, dashed) in
        [(Some(ours), "ours", OURS, false), (reference, "socket.io", REFERENCE, true)]
    {
        let Some(results) = results else { continue };
        let baseline = std::iter::once((0.0, results.baseline_rss_bytes as f64 / 1e6));
        let steps = results.steps.iter().map(|s| (s.connections as f64, s.relay_rss_bytes as f64 / 1e6));
        series.push((format!("{label} relay RSS"), color, dashed, baseline.chain(steps).collect()));
    }
    let x_max = max_x(&series);
    let y_max = series.iter().flat_map(|s| s.3.iter().map(|p| p.1)).fold(1.0, f64::max);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Relay resident memory against idle connections", ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max * 1.1)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("idle shoppers connected").y_desc("RSS (MB)").draw().map_err(|e| e.to_string())?;
    draw_series(&mut chart, &series)?;
    finish(&mut chart, root)
}

fn chat_latency(
    path: &Path,
    ours: &crate::scenario::chat::ChatResults,
    reference: Option<&crate::scenario::chat::ChatResults>,
) -> Result<(), String> {
    let spectrum = |p: &crate::stats::Percentiles| {
        vec![(0.0, p.p50_ms), (1.0, p.p95_ms), (2.0, p.p99_ms), (3.0, p.p999_ms), (4.0, p.max_ms)]
    };
    let mut series: Vec<Series> = Vec::new();
    let relays =
        [(Some(ours), "ours", OURS, OURS_LIGHT, false), (reference, "socket.io", REFERENCE, REFERENCE_LIGHT, true)];
    for (results, label, color, light, dashed) in relays {
        let Some(results) = results else { continue };
        series.push((format!("{label} shopper→agent"), color, dashed, spectrum(&results.shopper_to_agent)));
        series.push((format!("{label} agent→shopper"), light, dashed, spectrum(&results.agent_to_shopper)));
    }
    let y_max = series.iter().flat_map(|s| s.3.iter().map(|p| p.1)).fold(1.0, f64::max);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let caption = format!("{} active conversations: end-to-end latency", ours.conversations);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..4f64, (0.1f64..y_max * 1.5).log_scale())
        .map_err(|e| e.to_string())?;
    let names = ["p50", "p95", "p99", "p99.9", "max"];
    chart
        .configure_mesh()
        .x_labels(5)
        .x_label_formatter(&|x| names.get(x.round() as usize).copied().unwrap_or("").to_owned())
        .x_desc("percentile")
        .y_desc("latency (ms, log scale)")
        .draw()
        .map_err(|e| e.to_string())?;
    draw_series(&mut chart, &series)?;
    finish(&mut chart, root)
}

fn max_x(series: &[Series]) -> f64 {
    series.iter().flat_map(|s| s.3.iter().map(|p| p.0)).fold(1.0, f64::max) * 1.02
}

type Chart<'a, Y> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

fn draw_series<Y>(chart: &mut Chart<'_, Y>, series: &[Series]) -> Result<(), String>
where
    Y: Ranged<ValueType = f64>,
{
    for (label, color, dashed, points) in series {
        let style = color.stroke_width(if label.contains("p99") || label.contains("shopper→agent") { 3 } else { 2 });
        let color = *color;
        let drawn = if *dashed {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, style))
        } else {
            chart.draw_series(LineSeries::new(points.iter().copied(), style))
        };
        drawn
            .map_err(|e| e.to_string())?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
    }
    Ok(())
}

fn finish<Y>(chart: &mut Chart<'_, Y>, root: DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>
where
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
