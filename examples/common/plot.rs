//! The training curves the examples write as SVG: the loss per epoch on the left, and accuracies
//! per epoch on the right. `#[path]`-included by each example.

use plotters::prelude::*;

/// Writes `loss` (one per epoch) and each named series of `accuracies` (from `floor` to 1) to
/// an SVG at `path`.
pub fn curves(
    path: &std::path::Path,
    loss: &[f64],
    accuracies: &[(&str, Vec<f64>)],
    floor: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (960, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    let epochs = loss.len() as f64;
    let max_loss = loss.iter().copied().fold(0.0, f64::max);
    let per_epoch = |values: &[f64]| {
        values
            .iter()
            .enumerate()
            .map(|(e, &v)| (e as f64 + 1.0, v))
            .collect::<Vec<_>>()
    };

    let mut chart = ChartBuilder::on(&left)
        .caption("training loss", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs, 0.0..max_loss * 1.05)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    chart.draw_series(LineSeries::new(per_epoch(loss), &RED))?;

    let mut chart = ChartBuilder::on(&right)
        .caption("accuracy", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs, floor..1.0)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for ((label, values), colour) in accuracies.iter().zip([BLUE, GREEN, MAGENTA]) {
        chart
            .draw_series(LineSeries::new(per_epoch(values), &colour))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}
