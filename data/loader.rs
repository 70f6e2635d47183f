//! Reads the data sets in `data/`: features as rows of `f32`, labels as class indices, and a
//! fixed, seeded train/test split. Shared by the examples and the tests (`#[path]`-included).

#![allow(dead_code)]

use std::io::Read;

/// A labelled data set.
pub struct DataSet {
    /// One row of features per sample.
    pub features: Vec<Vec<f32>>,
    /// The class of each sample.
    pub labels: Vec<usize>,
    /// How many classes there are.
    pub classes: usize,
}

fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

fn parse(text: &str, skip_header: bool, classes: usize) -> DataSet {
    let mut set = DataSet {
        features: Vec::new(),
        labels: Vec::new(),
        classes,
    };
    for line in text
        .lines()
        .skip(usize::from(skip_header))
        .filter(|l| !l.trim().is_empty())
    {
        let mut values: Vec<f32> = line.split(',').map(|v| v.trim().parse().expect("a number")).collect();
        let label = values.pop().expect("a label") as usize;
        set.features.push(values);
        set.labels.push(label);
    }
    set
}

/// Fisher's Iris: 150 samples, 4 features, 3 classes.
pub fn iris() -> DataSet {
    let text = std::fs::read_to_string(path("iris.csv")).expect("data/iris.csv");
    parse(&text, true, 3)
}

/// The UCI optical digits: 1797 samples, 64 pixels in 0..16, 10 classes.
pub fn digits() -> DataSet {
    let file = std::fs::File::open(path("digits.csv.gz")).expect("data/digits.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip CSV");
    parse(&text, false, 10)
}

impl DataSet {
    /// Splits off every sample whose position in a seeded shuffle falls in the last
    /// `test_fraction`: the same split on every run.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (DataSet, DataSet) {
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let test_len = (self.labels.len() as f64 * test_fraction).round() as usize;
        let pick = |indices: &[usize]| DataSet {
            features: indices.iter().map(|&i| self.features[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            classes: self.classes,
        };
        let (test, train) = order.split_at(test_len);
        (pick(train), pick(test))
    }

    /// Scales every feature by `1 / scale`.
    pub fn scale(&mut self, scale: f32) {
        self.features.iter_mut().flatten().for_each(|x| *x /= scale);
    }

    /// Standardises every feature with the mean and deviation of `reference`.
    pub fn standardise(&mut self, reference: &DataSet) {
        let n = reference.features.len() as f32;
        for j in 0..self.features[0].len() {
            let mean = reference.features.iter().map(|r| r[j]).sum::<f32>() / n;
            let var = reference.features.iter().map(|r| (r[j] - mean).powi(2)).sum::<f32>() / n;
            for row in &mut self.features {
                row[j] = (row[j] - mean) / var.sqrt().max(1e-6);
            }
        }
    }

    /// Writes samples `start..start + B` (wrapping around) into a batch of features and one-hot labels.
    pub fn batch<const B: usize, const F: usize, const C: usize>(
        &self,
        start: usize,
        x: &mut [[f32; F]; B],
        t: &mut [[f32; C]; B],
    ) {
        for k in 0..B {
            let i = (start + k) % self.labels.len();
            x[k].copy_from_slice(&self.features[i]);
            t[k] = [0.0; C];
            t[k][self.labels[i]] = 1.0;
        }
    }

    /// Writes samples `start..start + B` (wrapping around) into a batch of features and class ids.
    pub fn batch_ids<const B: usize, const F: usize>(
        &self,
        start: usize,
        x: &mut [[f32; F]; B],
        labels: &mut [usize; B],
    ) {
        for k in 0..B {
            let i = (start + k) % self.labels.len();
            x[k].copy_from_slice(&self.features[i]);
            labels[k] = self.labels[i];
        }
    }

    /// The fraction of rows of `scores` whose largest entry is at the sample's label.
    pub fn accuracy<const C: usize>(&self, scores: &[[f32; C]]) -> f64 {
        let hits = scores
            .iter()
            .zip(&self.labels)
            .filter(|(row, &label)| {
                let best = row
                    .iter()
                    .enumerate()
                    .fold(0, |b, (j, &s)| if s > row[b] { j } else { b });
                best == label
            })
            .count();
        hits as f64 / self.labels.len() as f64
    }
}
