//! `Serialize` and `Deserialize` on the generated structs (the `serde` feature), through JSON:
//! a round trip of every struct keeps every value (ids and a named dimension included); the
//! text is what a reader expects (fields by name, flat row-major sequences); and a missing,
//! unknown or repeated field, or one of another length, is an error naming it.

use static_graph::graph;

graph! {
    /// A classifier on ids, over a named batch.
    pub mod net {
        placeholder x: [f32; batch, 3];
        placeholder labels: [i32; batch];
        variable w: [f32; 3, 2] = glorot_uniform;
        variable b: f32 = 0.5;
        let logits = matmul(x, w) + b;
        let predicted = argmax(logits, axis = -1);
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        minimize cost;
    }
}

fn placeholders() -> net::Placeholders<2> {
    net::Placeholders {
        x: Box::new([[0.5, -1.0, 2.0], [0.25, 0.0, -0.75]]),
        labels: Box::new([1, 0]),
    }
}

#[test]
fn every_struct_round_trips_through_json() {
    let (p, v) = (placeholders(), net::Variables::init(4));
    let back: net::Placeholders<2> = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    let back: net::Variables = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(back, v);
    let (values, gradients) = net::backward(&p, &v);
    let back: net::Values<2> = serde_json::from_str(&serde_json::to_string(&values).unwrap()).unwrap();
    assert_eq!(back, values);
    let back: net::Gradients = serde_json::from_str(&serde_json::to_string(&gradients).unwrap()).unwrap();
    assert_eq!(back, gradients);
    let adjoints = net::adjoints(&p, &v);
    let back: net::Adjoints<2> = serde_json::from_str(&serde_json::to_string(&adjoints).unwrap()).unwrap();
    assert_eq!(back, adjoints);
}

#[test]
fn the_text_names_each_field_and_lists_it_row_major() {
    let text = serde_json::to_string(&placeholders()).unwrap();
    assert_eq!(text, r#"{"x":[0.5,-1.0,2.0,0.25,0.0,-0.75],"labels":[1,0]}"#);
    let v: net::Variables = serde_json::from_str(r#"{"w":[1,2,3,4,5,6],"b":[0.25]}"#).unwrap();
    assert_eq!((v.w, v.b), ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 0.25));
}

#[test]
fn a_file_that_does_not_fit_is_an_error_naming_the_field() {
    let error = |text: &str| serde_json::from_str::<net::Variables>(text).unwrap_err().to_string();
    assert!(error(r#"{"w":[1,2,3,4,5,6]}"#).contains("missing field `b`"));
    assert!(error(r#"{"w":[1,2,3,4,5,6],"b":[1],"c":[1]}"#).contains("unknown field `c`"));
    assert!(error(r#"{"w":[1,2,3,4,5,6],"b":[1],"b":[2]}"#).contains("duplicate field `b`"));
    assert!(error(r#"{"w":[1,2,3,4,5],"b":[1]}"#).contains("invalid length 5, expected a sequence of 6 elements"));
    assert!(error(r#"{"w":[1,2,3,4,5,6,7],"b":[1]}"#).contains("invalid length 7"));
    let ids = serde_json::from_str::<net::Placeholders<2>>(r#"{"x":[0,0,0,0,0,0],"labels":[1.5,0]}"#);
    assert!(ids
        .unwrap_err()
        .to_string()
        .contains("invalid type: floating point `1.5`, expected i32"));
}

graph! {
    /// A line fitted with Adam and momentum.
    pub mod line {
        placeholder x: [f64; 3];
        placeholder y: [f64; 3];
        variable a: f64;
        variable b: [f64; 2];
        let cost = mean(square(x * a + b[0] * b[1] - y));
        minimize cost;
        optimizer adam(learning_rate = 0.1, clip_global_norm = 5);
        optimizer momentum(nesterov = true);
    }
}

#[test]
fn an_optimizers_state_round_trips_and_training_resumes_exactly() {
    let p = line::Placeholders {
        x: [0.0, 1.0, 2.0],
        y: [1.0, 3.0, 5.0],
    };
    let (mut v, mut adam) = (line::Variables::init(1), line::Adam::new());
    for _ in 0..4 {
        let _ = line::adam_step(&p, &mut v, &mut adam);
    }
    let text = serde_json::to_string(&adam).unwrap();
    assert!(text.starts_with(r#"{"learning_rate":0.1,"beta1":0.9,"#), "{text}");
    assert!(
        text.contains(r#""clip_global_norm":5.0"#) && text.ends_with(r#""step":4}"#),
        "{text}"
    );
    let mut resumed: line::Adam = serde_json::from_str(&text).unwrap();
    assert_eq!(resumed, adam);
    let mut resumed_v = v.clone();
    for _ in 0..4 {
        let _ = line::adam_step(&p, &mut v, &mut adam);
        let _ = line::adam_step(&p, &mut resumed_v, &mut resumed);
    }
    assert_eq!(resumed_v, v);
    let momentum = line::Momentum::new();
    let text = serde_json::to_string(&momentum).unwrap();
    assert!(text.contains(r#""nesterov":true"#), "{text}");
    assert_eq!(serde_json::from_str::<line::Momentum>(&text).unwrap(), momentum);
    // A field missing, or one of another optimizer, is an error naming it.
    let error = serde_json::from_str::<line::Momentum>(&serde_json::to_string(&adam).unwrap()).unwrap_err();
    assert!(error.to_string().contains("unknown field `beta1`"), "{error}");
    let error = serde_json::from_str::<line::Adam>(r#"{"learning_rate":0.1}"#).unwrap_err();
    assert!(error.to_string().contains("missing field"), "{error}");
}
