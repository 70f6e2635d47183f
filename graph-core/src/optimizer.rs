//! The optimizers a graph may declare after `minimize` (`optimizer adam(learning_rate = 1e-3);`):
//! the one table of their names, hyperparameters with TensorFlow 1.x's defaults, and state
//! (slots), which lowering checks against and the emitter (`emit::optimizers`) writes out.

use crate::diag::Loc;

/// Which optimizer: TensorFlow 1.x's `tf.train.*Optimizer` (AdamW as Keras's, decoupled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `MomentumOptimizer`, optionally Nesterov's.
    Momentum,
    /// `AdamOptimizer`.
    Adam,
    /// Adam with decoupled weight decay (`tf.keras.optimizers.AdamW`).
    AdamW,
    /// `RMSPropOptimizer`.
    RmsProp,
    /// `AdagradOptimizer`.
    Adagrad,
}

/// A hyperparameter: its name, its default, and whether it is a flag (`nesterov = true`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    /// As written in the declaration and as the state struct's field.
    pub name: &'static str,
    /// TensorFlow 1.x's default (for a flag, 0 or 1).
    pub default: f64,
    /// `true` or `false` rather than a number.
    pub flag: bool,
}

const fn number(name: &'static str, default: f64) -> Hyper {
    Hyper {
        name,
        default,
        flag: false,
    }
}

/// The keyword every optimizer takes: TensorFlow's `clip_by_global_norm` before the update.
pub const CLIP: &str = "clip_global_norm";

impl Kind {
    /// Every optimizer.
    pub const ALL: [Kind; 5] = [Kind::Momentum, Kind::Adam, Kind::AdamW, Kind::RmsProp, Kind::Adagrad];

    /// The name in a declaration, and in the generated `NAME_step` functions.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Momentum => "momentum",
            Kind::Adam => "adam",
            Kind::AdamW => "adamw",
            Kind::RmsProp => "rmsprop",
            Kind::Adagrad => "adagrad",
        }
    }

    /// The generated state struct's name.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Momentum => "Momentum",
            Kind::Adam => "Adam",
            Kind::AdamW => "AdamW",
            Kind::RmsProp => "RmsProp",
            Kind::Adagrad => "Adagrad",
        }
    }

    /// The hyperparameters, in order, with TensorFlow 1.x's defaults.
    pub fn hypers(self) -> &'static [Hyper] {
        const MOMENTUM: &[Hyper] = &[
            number("learning_rate", 0.01),
            number("momentum", 0.9),
            Hyper {
                name: "nesterov",
                default: 0.0,
                flag: true,
            },
        ];
        const ADAM: &[Hyper] = &[
            number("learning_rate", 1e-3),
            number("beta1", 0.9),
            number("beta2", 0.999),
            number("epsilon", 1e-8),
        ];
        const ADAMW: &[Hyper] = &[
            number("learning_rate", 1e-3),
            number("beta1", 0.9),
            number("beta2", 0.999),
            number("epsilon", 1e-8),
            number("weight_decay", 0.01),
        ];
        const RMSPROP: &[Hyper] = &[
            number("learning_rate", 1e-3),
            number("decay", 0.9),
            number("momentum", 0.0),
            number("epsilon", 1e-10),
        ];
        const ADAGRAD: &[Hyper] = &[number("learning_rate", 1e-2), number("initial_accumulator", 0.1)];
        match self {
            Kind::Momentum => MOMENTUM,
            Kind::Adam => ADAM,
            Kind::AdamW => ADAMW,
            Kind::RmsProp => RMSPROP,
            Kind::Adagrad => ADAGRAD,
        }
    }

    /// The state kept per variable (each a `Variables`), and what it starts at: TensorFlow's
    /// slots (`RMSPropOptimizer` starts its mean square at 1, `AdagradOptimizer` its
    /// accumulator at `initial_accumulator`).
    pub fn slots(self) -> &'static [(&'static str, Start)] {
        match self {
            Kind::Momentum => &[("accumulator", Start::Zero)],
            Kind::Adam | Kind::AdamW => &[("m", Start::Zero), ("v", Start::Zero)],
            Kind::RmsProp => &[("ms", Start::One), ("mom", Start::Zero)],
            Kind::Adagrad => &[("accumulator", Start::Hyper("initial_accumulator"))],
        }
    }

    /// Whether the state counts steps (Adam's bias correction).
    pub fn counts_steps(self) -> bool {
        matches!(self, Kind::Adam | Kind::AdamW)
    }
}

/// What a slot starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Zeros.
    Zero,
    /// Ones.
    One,
    /// The hyperparameter of this name, everywhere.
    Hyper(&'static str),
}

/// One `optimizer NAME(...);` declaration, checked.
#[derive(Clone, Debug)]
pub struct Optimizer {
    /// Which optimizer.
    pub kind: Kind,
    /// Each hyperparameter's value, in [`Kind::hypers`] order (a flag as 0 or 1).
    pub values: Vec<f64>,
    /// `clip_global_norm`, if given.
    pub clip: Option<f64>,
    /// Where it was declared.
    pub loc: Loc,
}

impl Optimizer {
    /// The value of hyperparameter `name`.
    pub fn value(&self, name: &str) -> f64 {
        let k = self.kind.hypers().iter().position(|h| h.name == name);
        self.values[k.expect("a hyperparameter of this optimizer")]
    }
}
